-- Optional generative answers (package assist). assist_settings is one row
-- (id 1): the OpenAI-compatible provider (base URL, model, API key, request
-- timeout), off by default. The API key is a secret: the API never returns
-- it. assist_answers is one row per customer message the bot answered with
-- the provider's help (or tried to): its outcome (answered, unknown,
-- fallback, handoff), why, the bot message posted and the articles cited.
-- Its key makes a replayed event or a retried consumer answer once.
CREATE TABLE assist_settings (
  id BIGINT PRIMARY KEY,
  enabled BOOLEAN NOT NULL DEFAULT false,
  base_url TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  api_key TEXT NOT NULL DEFAULT '',
  timeout_ms INTEGER NOT NULL DEFAULT 15000,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE assist_answers (
  message_id BIGINT PRIMARY KEY,
  ticket_id BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  reply_id BIGINT,
  articles TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_assist_answers_ticket ON assist_answers (ticket_id);
