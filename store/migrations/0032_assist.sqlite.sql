-- Optional generative answers: see the PostgreSQL file.
CREATE TABLE assist_settings (
  id INTEGER PRIMARY KEY,
  enabled INTEGER NOT NULL DEFAULT 0,
  base_url TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  api_key TEXT NOT NULL DEFAULT '',
  timeout_ms INTEGER NOT NULL DEFAULT 15000,
  updated_at DATETIME NOT NULL
);
CREATE TABLE assist_answers (
  message_id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  reply_id INTEGER,
  articles TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL
);
CREATE INDEX ix_assist_answers_ticket ON assist_answers (ticket_id);
