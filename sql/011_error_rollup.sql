-- Error aggregates over long ranges read this rollup instead of every entry: per hour and
-- per day (UTC, aligned on the epoch), level and error signature, the count, first and last
-- time, services, and the tenants and users as 4096-bit hash sets. A distinct count is
-- estimated from a set's zero bits (linear counting), so sets of any number of hours merge
-- with bit_or. Day rows serve the whole days of a range, hour rows the whole hours at its
-- ends, and the entries themselves the partial hours.
CREATE TABLE platform_log_error_rollup (
  bucket_width    interval    NOT NULL,
  bucket          timestamptz NOT NULL,
  level           text        NOT NULL,
  error_signature text        NOT NULL,
  entries         bigint      NOT NULL,
  first_seen      timestamptz NOT NULL,
  last_seen       timestamptz NOT NULL,
  services        text[]      NOT NULL,
  tenants         bit(4096)   NOT NULL,
  users           bit(4096)   NOT NULL,
  PRIMARY KEY (bucket_width, bucket, level, error_signature)
) PARTITION BY LIST (bucket_width);

-- Day rows apart from the many more hour rows, so that reading a month reads only day rows.
CREATE TABLE platform_log_error_rollup_hour PARTITION OF platform_log_error_rollup FOR VALUES IN ('1 hour');
CREATE TABLE platform_log_error_rollup_day  PARTITION OF platform_log_error_rollup FOR VALUES IN ('1 day');

-- The one-bit hash set of a value; NULL for NULL, which bit_or then skips.
CREATE FUNCTION platform_log_hash_bit(value text) RETURNS bit(4096)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT set_bit(repeat('0', 4096)::bit(4096), (hashtextextended(value, 0) & 4095)::int, 1)
$$;

-- Linear counting: n ≈ -m·ln(V/m) for m bits of which V are zero. Exact for a few values
-- (unless two share a bit), about 1% off near 1,000; a full set returns its ceiling, m·ln(m).
CREATE FUNCTION platform_log_distinct_estimate(bits bit) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN bits IS NULL THEN 0
    WHEN bit_count(bits) = length(bits) THEN round(length(bits) * ln(length(bits)))::integer
    ELSE round(-length(bits) * ln((length(bits) - bit_count(bits))::float8 / length(bits)))::integer
  END
$$;

-- Brings the rollup up to date with the rows of the transition table `changed`. Inserted
-- rows are added. Deleted rows cannot be taken back out of a hash set, so the days, levels
-- and signatures they touched are rebuilt from the entries still stored. Keys are written
-- in order, so two batches flushed at once lock the same rollup rows in the same order:
-- one waits for the other, neither deadlocks, and both counts land.
CREATE FUNCTION platform_log_error_rollup_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched constant text := $q$(SELECT DISTINCT level, error_signature, date_bin('1 day', "timestamp", timestamptz 'epoch') AS day
                               FROM changed WHERE error_signature IS NOT NULL)$q$;
  entries text := 'changed';
BEGIN
  IF TG_OP = 'DELETE' THEN
    EXECUTE format(
      $q$DELETE FROM platform_log_error_rollup r USING %s t
         WHERE r.level = t.level AND r.error_signature = t.error_signature
           AND r.bucket >= t.day AND r.bucket < t.day + interval '1 day'$q$, touched);
    entries := format(
      $q$(SELECT e.* FROM %s t JOIN platform_logs e
            ON e.level = t.level AND e.error_signature = t.error_signature
           AND e."timestamp" >= t.day AND e."timestamp" < t.day + interval '1 day')$q$, touched);
  END IF;
  EXECUTE format(
    $q$INSERT INTO platform_log_error_rollup AS r
         (bucket_width, bucket, level, error_signature, entries, first_seen, last_seen, services, tenants, users)
       SELECT w.width, date_bin(w.width, e."timestamp", timestamptz 'epoch'), e.level, e.error_signature,
              count(*), min(e."timestamp"), max(e."timestamp"), array_agg(DISTINCT e.service ORDER BY e.service),
              bit_or(platform_log_hash_bit(e.tenant_id)),
              coalesce(bit_or(platform_log_hash_bit(e.user_id)), repeat('0', 4096)::bit(4096))
       FROM %s AS e CROSS JOIN (VALUES (interval '1 hour'), (interval '1 day')) AS w(width)
       WHERE e.error_signature IS NOT NULL
       GROUP BY 1, 2, 3, 4
       ORDER BY 1, 2, 3, 4
       ON CONFLICT (bucket_width, bucket, level, error_signature) DO UPDATE SET
         entries    = r.entries + EXCLUDED.entries,
         first_seen = least(r.first_seen, EXCLUDED.first_seen),
         last_seen  = greatest(r.last_seen, EXCLUDED.last_seen),
         services   = ARRAY(SELECT DISTINCT s FROM unnest(r.services || EXCLUDED.services) AS s ORDER BY s),
         tenants    = r.tenants | EXCLUDED.tenants,
         users      = r.users | EXCLUDED.users$q$, entries);
  RETURN NULL;
END
$$;

-- Statement triggers with a transition table: once per INSERT or COPY into platform_logs,
-- whatever the batch size; the transition table holds only the rows actually inserted, so
-- rows skipped by ON CONFLICT DO NOTHING are not counted again. (A statement trigger on
-- the partitioned table fires for rows routed to any partition; row triggers with
-- transition tables are not allowed on partitions.)
CREATE TRIGGER platform_logs_error_rollup_add
  AFTER INSERT ON platform_logs REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION platform_log_error_rollup_apply();

-- Rows are deleted one by one only from the DEFAULT partitions: when a new partition takes
-- over their time (platform_logs_create_partition moves them, and the move inserts them
-- again) and when retention expires them. Time partitions are dropped whole, and the
-- rollup rows of their time expire with them (pruneErrorRollup).
CREATE TRIGGER platform_logs_warn_default_error_rollup_rebuild
  AFTER DELETE ON platform_logs_warn_default REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION platform_log_error_rollup_apply();
CREATE TRIGGER platform_logs_error_default_error_rollup_rebuild
  AFTER DELETE ON platform_logs_error_default REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION platform_log_error_rollup_apply();
