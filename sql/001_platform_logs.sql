-- platform_logs: one row per LogEntry, partitioned so that expiring a level is
-- dropping whole partitions (LIST by level, then RANGE by time).
-- Every object is created in the current schema (search_path), so a test or a
-- deployment can keep its own copy side by side.

CREATE TABLE platform_log_partition_widths (
  level      text PRIMARY KEY CHECK (level IN ('debug', 'info', 'warn', 'error')),
  width_days integer NOT NULL CHECK (width_days BETWEEN 1 AND 31)
);

INSERT INTO platform_log_partition_widths (level, width_days)
VALUES ('debug', 1), ('info', 1), ('warn', 1), ('error', 1);

CREATE TABLE platform_logs (
  id               uuid        NOT NULL,
  "timestamp"      timestamptz NOT NULL,
  level            text        NOT NULL,
  tenant_id        text        NOT NULL,
  tenant_slug      text,
  user_id          text,
  session_id       text,
  impersonator_id  text,
  request_id       text,
  trace_id         text,
  span_id          text,
  service          text        NOT NULL,
  action           text,
  file             text,
  line             integer,
  function         text,
  message          text        NOT NULL,
  data             jsonb,
  error_type       text,
  error_code       text,
  error_stack      text,
  environment      text        NOT NULL,
  version          text,
  region           text,
  error_signature  text,
  message_template text,
  search           tsvector GENERATED ALWAYS AS (to_tsvector('simple', message)) STORED,
  -- tenant_id leads the key so that a store distributed by tenant keeps it unique
  PRIMARY KEY (tenant_id, id, level, "timestamp")
) PARTITION BY LIST (level);

CREATE TABLE platform_logs_debug PARTITION OF platform_logs FOR VALUES IN ('debug') PARTITION BY RANGE ("timestamp");
CREATE TABLE platform_logs_info  PARTITION OF platform_logs FOR VALUES IN ('info')  PARTITION BY RANGE ("timestamp");
CREATE TABLE platform_logs_warn  PARTITION OF platform_logs FOR VALUES IN ('warn')  PARTITION BY RANGE ("timestamp");
CREATE TABLE platform_logs_error PARTITION OF platform_logs FOR VALUES IN ('error') PARTITION BY RANGE ("timestamp");

-- Entries keyed by tenant, newest first: the tenant's timeline (keyset on timestamp, id).
CREATE INDEX platform_logs_tenant_time_idx ON platform_logs (tenant_id, "timestamp" DESC, id DESC);
-- All tenants, newest first; level is the partition key, so this also serves level + time.
CREATE INDEX platform_logs_time_idx ON platform_logs ("timestamp" DESC, id DESC);
CREATE INDEX platform_logs_service_time_idx ON platform_logs (service, "timestamp" DESC, id DESC);
CREATE INDEX platform_logs_request_idx ON platform_logs (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX platform_logs_trace_idx ON platform_logs (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX platform_logs_signature_time_idx ON platform_logs (error_signature, "timestamp" DESC)
  WHERE error_signature IS NOT NULL;
CREATE INDEX platform_logs_search_idx ON platform_logs USING gin (search);

-- Every time partition, with its bounds, so that retention and partition creation
-- never need to parse PostgreSQL's partition-bound expressions.
CREATE TABLE platform_log_partitions (
  name        text PRIMARY KEY,
  level       text NOT NULL,
  lower_bound timestamptz NOT NULL,
  upper_bound timestamptz NOT NULL
);

-- The partition of `level` that holds `day`: its bounds follow the level's width,
-- aligned on whole days since 1970-01-01 so that every runner computes the same bounds.
CREATE FUNCTION platform_logs_partition_bounds(p_level text, p_day date, OUT lower_bound date, OUT upper_bound date)
LANGUAGE sql STABLE AS $$
  SELECT date '1970-01-01' + ((p_day - date '1970-01-01') / w.width_days) * w.width_days,
         date '1970-01-01' + ((p_day - date '1970-01-01') / w.width_days + 1) * w.width_days
  FROM platform_log_partition_widths w
  WHERE w.level = p_level
$$;

-- Creates every partition needed for days in [p_from, p_to), for every level.
-- Returns the names of the partitions it created. Safe to run concurrently and repeatedly.
CREATE FUNCTION platform_logs_ensure_partitions(p_from date, p_to date)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  lvl   text;
  d     date;
  b     record;
  name  text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.platform_logs_partitions'));
  FOR lvl IN SELECT level FROM platform_log_partition_widths ORDER BY level LOOP
    d := p_from;
    WHILE d < p_to LOOP
      SELECT * INTO b FROM platform_logs_partition_bounds(lvl, d);
      name := format('platform_logs_%s_%s', lvl, to_char(b.lower_bound, 'YYYYMMDD'));
      IF NOT EXISTS (
           -- a partition made under another width may already cover part of this range
           SELECT 1 FROM platform_log_partitions p
           WHERE p.level = lvl
             AND p.lower_bound < (b.upper_bound::timestamp AT TIME ZONE 'UTC')
             AND p.upper_bound > (b.lower_bound::timestamp AT TIME ZONE 'UTC')
         ) THEN
        EXECUTE format(
          'CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
          current_schema(), name, current_schema(), 'platform_logs_' || lvl,
          (b.lower_bound::timestamp AT TIME ZONE 'UTC'), (b.upper_bound::timestamp AT TIME ZONE 'UTC'));
        INSERT INTO platform_log_partitions (name, level, lower_bound, upper_bound)
        VALUES (name, lvl, b.lower_bound::timestamp AT TIME ZONE 'UTC', b.upper_bound::timestamp AT TIME ZONE 'UTC');
        RETURN NEXT name;
      END IF;
      d := b.upper_bound;
    END LOOP;
  END LOOP;
END
$$;
