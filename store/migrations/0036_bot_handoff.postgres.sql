-- The answer bot's per-channel settings: the team a generative-answers
-- handoff files a ticket to when it has none (NULL: leave it as it is).
-- A deleted team or channel leaves a row that is ignored.
CREATE TABLE assist_channels (
  channel_id BIGINT PRIMARY KEY,
  handoff_team_id BIGINT,
  updated_at TIMESTAMPTZ NOT NULL
);
-- How long a flow holds a ticket from auto-assignment without a customer
-- message before it hands off by itself (minutes; 10 was the constant).
ALTER TABLE bot_flows ADD COLUMN hold_minutes INTEGER NOT NULL DEFAULT 10;
