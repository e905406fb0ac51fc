-- Durable jobs: work due at a time (SLA timers, survey rounds, campaign
-- sends, snooze wake-ups). (kind, job_key) is unique, so scheduling the same
-- job twice is a no-op and a done job is never run again. A claim sets a
-- lease token; completion is fenced by it.
CREATE TABLE jobs (
  id BIGSERIAL PRIMARY KEY,
  kind VARCHAR(64) NOT NULL,
  job_key VARCHAR(255) NOT NULL,
  payload TEXT NOT NULL DEFAULT '',
  status VARCHAR(16) NOT NULL,
  due_at TIMESTAMPTZ NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  lease_token VARCHAR(32) NOT NULL DEFAULT '',
  locked_until TIMESTAMPTZ,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX ux_jobs_key ON jobs (kind, job_key);
CREATE INDEX ix_jobs_due ON jobs (status, due_at);
