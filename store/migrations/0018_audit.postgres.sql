-- Audit log (see store/audit.go and package audit): one row per admin
-- action, sign-in, failed sign-in and password change or reset: who
-- (actor_id; actor_email as typed for a failed sign-in), what (action,
-- target), when, from where (remote_ip, user_agent) and what changed
-- (changes: JSON, secrets redacted before it is written).
CREATE TABLE audit_entries (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  actor_id BIGINT,
  actor_email VARCHAR(320) NOT NULL DEFAULT '',
  action VARCHAR(96) NOT NULL,
  target_type VARCHAR(64) NOT NULL DEFAULT '',
  target_id VARCHAR(64) NOT NULL DEFAULT '',
  remote_ip VARCHAR(64) NOT NULL DEFAULT '',
  user_agent VARCHAR(512) NOT NULL DEFAULT '',
  changes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_audit_at ON audit_entries (at);
CREATE INDEX ix_audit_actor ON audit_entries (actor_id, at);
CREATE INDEX ix_audit_action ON audit_entries (action, at);
