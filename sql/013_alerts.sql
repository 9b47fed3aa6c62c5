-- Alert rules, evaluated every minute (server/alerts/). A rule counts the entries its query
-- matches in a window, or watches error groups (signatures) appear or come back.
-- tenant_id NULL is a platform-wide rule (made with a platform key); otherwise the rule is its
-- tenant's, seen and changed only with that tenant's key or a platform key, and it only ever
-- counts that tenant's entries.
CREATE TABLE platform_log_alert_rules (
  id                 uuid        PRIMARY KEY,
  tenant_id          text,
  name               text        NOT NULL,
  kind               text        NOT NULL CHECK (kind IN ('count', 'new_group', 'regression')),
  -- the query text in the API's `q` syntax, and the structured filters (the API's parameter names)
  query              text        NOT NULL DEFAULT '',
  filters            jsonb       NOT NULL DEFAULT '{}',
  window_seconds     integer,
  condition          text        CHECK (condition IN ('above', 'below')),
  threshold          integer,
  quiet_seconds      integer,
  -- the webhook: its URL and signing secret sealed (AES-256-GCM), never answered after creation;
  -- its scheme and host kept apart for display
  webhook_format     text        NOT NULL CHECK (webhook_format IN ('json', 'slack')),
  webhook_url        bytea       NOT NULL,
  webhook_origin     text        NOT NULL,
  signing_secret     bytea       NOT NULL,
  muted              boolean     NOT NULL DEFAULT false,
  snoozed_until      timestamptz,
  state              text        NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'firing', 'resolved')),
  state_since        timestamptz NOT NULL DEFAULT now(),
  last_value         integer,
  -- the end of the last evaluation window: the next run evaluates the windows after it
  evaluated_through  timestamptz,
  -- why the last evaluation failed (a query the query language no longer takes), until one succeeds
  evaluation_error   text,
  evaluation_error_at timestamptz,
  -- the last delivery attempt of any notification of this rule
  delivery_status    text        CHECK (delivery_status IN ('ok', 'retrying', 'failed')),
  delivery_error     text,
  delivery_at        timestamptz,
  delivery_failures  integer     NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX platform_log_alert_rules_tenant_idx ON platform_log_alert_rules (tenant_id, created_at, id);

-- Each rule's history, and the outbox of its notifications. A notification is made once per
-- rule and dedupe key (the window it is about, and the signature for error-group rules), in
-- the same transaction that moves the rule's state, so a run that repeats a window (a crash, a
-- restart, two runners) finds the key taken and sends nothing again.
CREATE TABLE platform_log_alert_events (
  id               uuid        PRIMARY KEY,
  rule_id          uuid        NOT NULL REFERENCES platform_log_alert_rules (id) ON DELETE CASCADE,
  dedupe_key       text        NOT NULL,
  kind             text        NOT NULL CHECK (kind IN ('firing', 'resolved', 'new_group', 'regression', 'test')),
  window_start     timestamptz,
  window_end       timestamptz NOT NULL,
  value            integer,
  signature        text,
  details          jsonb       NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- pending: to send; delivered; failed: every attempt failed; suppressed: muted or snoozed;
  -- none: a change of state that sends nothing (an error-group rule going quiet)
  delivery         text        NOT NULL CHECK (delivery IN ('pending', 'delivered', 'failed', 'suppressed', 'none')),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  last_error       text,
  delivered_at     timestamptz,
  UNIQUE (rule_id, dedupe_key)
);
CREATE INDEX platform_log_alert_events_rule_idx ON platform_log_alert_events (rule_id, window_end DESC, id DESC);
CREATE INDEX platform_log_alert_events_pending_idx ON platform_log_alert_events (next_attempt_at) WHERE delivery = 'pending';

-- The error groups each error-group rule has seen: when, and in which version last, so that a
-- new signature and a regression are told apart from a group that never went away.
CREATE TABLE platform_log_alert_groups (
  rule_id       uuid        NOT NULL REFERENCES platform_log_alert_rules (id) ON DELETE CASCADE,
  signature     text        NOT NULL,
  first_seen    timestamptz NOT NULL,
  last_seen     timestamptz NOT NULL,
  last_version  text,
  PRIMARY KEY (rule_id, signature)
);
