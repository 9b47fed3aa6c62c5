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

-- A safety net per level: an entry whose time has no partition (clock skew, a replay of old
-- entries) lands here instead of failing its whole batch. platform_logs_ensure_partitions
-- moves such rows into the partition it creates for their time.
CREATE TABLE platform_logs_debug_default PARTITION OF platform_logs_debug DEFAULT;
CREATE TABLE platform_logs_info_default  PARTITION OF platform_logs_info  DEFAULT;
CREATE TABLE platform_logs_warn_default  PARTITION OF platform_logs_warn  DEFAULT;
CREATE TABLE platform_logs_error_default PARTITION OF platform_logs_error DEFAULT;

-- Each index serves a query of docs/schema.md. Level is the partition key, so every index
-- below is, in effect, one index per level: "recent errors" is this same set of indexes on
-- the error partitions of the last days, found by partition pruning.
-- A tenant's timeline, newest first (keyset on timestamp, id).
CREATE INDEX platform_logs_tenant_time_idx ON platform_logs (tenant_id, "timestamp" DESC, id DESC);
-- All tenants, newest first; with level pruning this also serves level + time.
CREATE INDEX platform_logs_time_idx ON platform_logs ("timestamp" DESC, id DESC);
CREATE INDEX platform_logs_service_time_idx ON platform_logs (service, "timestamp" DESC, id DESC);
CREATE INDEX platform_logs_request_idx ON platform_logs (request_id, "timestamp" DESC) WHERE request_id IS NOT NULL;
CREATE INDEX platform_logs_trace_idx ON platform_logs (trace_id, "timestamp" DESC) WHERE trace_id IS NOT NULL;
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

-- Whether a partition of `p_level` already covers any part of [p_lower, p_upper).
CREATE FUNCTION platform_logs_range_covered(p_level text, p_lower date, p_upper date)
RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM platform_log_partitions p
    WHERE p.level = p_level
      AND p.lower_bound < (p_upper::timestamp AT TIME ZONE 'UTC')
      AND p.upper_bound > (p_lower::timestamp AT TIME ZONE 'UTC'))
$$;

-- Creates the partition of `p_level` for [p_lower, p_upper) and records it. Rows already in
-- the level's default partition for that range are moved into it first (PostgreSQL refuses
-- to create a partition whose rows sit in the default one). Returns its name.
CREATE FUNCTION platform_logs_create_partition(p_level text, p_lower date, p_upper date)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  name         text := format('platform_logs_%s_%s', p_level, to_char(p_lower, 'YYYYMMDD'));
  parent       text := 'platform_logs_' || p_level;
  default_part text := 'platform_logs_' || p_level || '_default';
  lower_ts     timestamptz := p_lower::timestamp AT TIME ZONE 'UTC';
  upper_ts     timestamptz := p_upper::timestamp AT TIME ZONE 'UTC';
  columns      text;
  waiting      boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE "timestamp" >= $1 AND "timestamp" < $2)', current_schema(), default_part)
    INTO waiting USING lower_ts, upper_ts;
  IF waiting THEN
    -- every stored column (the generated search column is computed again on insert)
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
    FROM pg_attribute
    WHERE attrelid = format('%I.platform_logs', current_schema())::regclass
      AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('CREATE TEMP TABLE platform_logs_moving (LIKE %I.platform_logs)', current_schema());
    EXECUTE format(
      'WITH moved AS (DELETE FROM %I.%I WHERE "timestamp" >= $1 AND "timestamp" < $2 RETURNING %s)
       INSERT INTO platform_logs_moving (%s) SELECT %s FROM moved',
      current_schema(), default_part, columns, columns, columns)
      USING lower_ts, upper_ts;
  END IF;
  EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                 current_schema(), name, current_schema(), parent, lower_ts, upper_ts);
  INSERT INTO platform_log_partitions (name, level, lower_bound, upper_bound) VALUES (name, p_level, lower_ts, upper_ts);
  IF waiting THEN
    EXECUTE format('INSERT INTO %I.platform_logs (%s) SELECT %s FROM platform_logs_moving', current_schema(), columns, columns);
    DROP TABLE platform_logs_moving;
  END IF;
  RETURN name;
END
$$;

-- Creates every partition needed for days in [p_from, p_to), for every level, and returns
-- the names of those it created. Where a partition made under another width already covers
-- part of a range, the rest of that range gets one-day partitions, so that a width change
-- leaves neither overlaps nor holes. Safe to run concurrently and repeatedly.
CREATE FUNCTION platform_logs_ensure_partitions(p_from date, p_to date)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  lvl  text;
  d    date;
  day  date;
  b    record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.platform_logs_partitions'));
  FOR lvl IN SELECT level FROM platform_log_partition_widths ORDER BY level LOOP
    d := p_from;
    WHILE d < p_to LOOP
      SELECT * INTO b FROM platform_logs_partition_bounds(lvl, d);
      IF NOT platform_logs_range_covered(lvl, b.lower_bound, b.upper_bound) THEN
        RETURN NEXT platform_logs_create_partition(lvl, b.lower_bound, b.upper_bound);
      ELSE
        day := b.lower_bound;
        WHILE day < b.upper_bound LOOP
          IF NOT platform_logs_range_covered(lvl, day, day + 1) THEN
            RETURN NEXT platform_logs_create_partition(lvl, day, day + 1);
          END IF;
          day := day + 1;
        END LOOP;
      END IF;
      d := b.upper_bound;
    END LOOP;
  END LOOP;
END
$$;
