-- Secrets the servers share, made once by the first server that needs each: every process on
-- this database then seals stream positions and signs stream tickets alike, across restarts.
CREATE TABLE platform_log_server_secrets (
  name       text PRIMARY KEY,
  secret     bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
