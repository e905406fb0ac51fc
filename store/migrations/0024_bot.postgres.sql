-- The answer bot (see inbox/bot.go). bot_flows holds one admin-built flow
-- per widget channel: a greeting and an ordered list of steps (JSON: kind,
-- required, prompts, department options with their teams). bot_states is
-- the bot's progress in one ticket: the step it waits on, the answers
-- collected, and the last customer message it acted on, so a replayed
-- event or a reconnecting widget never makes it speak twice.
CREATE TABLE bot_flows (
  id BIGSERIAL PRIMARY KEY,
  channel_id BIGINT NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT false,
  greeting_ko TEXT NOT NULL DEFAULT '',
  greeting_en TEXT NOT NULL DEFAULT '',
  steps TEXT NOT NULL DEFAULT '[]',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ux_bot_flow_channel ON bot_flows (channel_id);
CREATE TABLE bot_states (
  ticket_id BIGINT PRIMARY KEY,
  flow_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  step BIGINT NOT NULL DEFAULT 0,
  last_message_id BIGINT NOT NULL DEFAULT 0,
  answers TEXT NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
-- Help-center visits a visitor marked as answered ("did this answer your
-- question?" → yes), one per (channel, visit key), for reports.
CREATE TABLE kb_self_served (
  id BIGSERIAL PRIMARY KEY,
  channel_id BIGINT NOT NULL,
  visit_key VARCHAR(64) NOT NULL,
  article_id BIGINT NOT NULL,
  locale VARCHAR(35) NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ux_kb_self_served_visit ON kb_self_served (channel_id, visit_key);
CREATE INDEX ix_kb_self_served_at ON kb_self_served (created_at);
