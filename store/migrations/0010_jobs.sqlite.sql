-- Durable jobs: see the PostgreSQL file.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  job_key TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  due_at DATETIME NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT NOT NULL DEFAULT '',
  locked_until DATETIME,
  last_error TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  finished_at DATETIME
);
CREATE UNIQUE INDEX ux_jobs_key ON jobs (kind, job_key);
CREATE INDEX ix_jobs_due ON jobs (status, due_at);
