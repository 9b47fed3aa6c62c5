-- Error aggregates group warn and error entries by signature over a time range: this index
-- holds every column the grouping reads, so it runs as an index-only scan of the range.
CREATE INDEX platform_logs_errors_time_idx ON platform_logs ("timestamp", error_signature)
  INCLUDE (tenant_id, user_id, service)
  WHERE error_signature IS NOT NULL;

-- A tenant's error aggregates (and every filter the rollup cannot serve) read the entries:
-- this index holds a tenant's warn/error rows in time order with the columns the grouping reads.
CREATE INDEX platform_logs_tenant_errors_time_idx ON platform_logs (tenant_id, "timestamp")
  INCLUDE (error_signature, user_id, service)
  WHERE error_signature IS NOT NULL;
