-- Surveys (see store/surveys.go): one row per survey request sent to a
-- customer, with its answer. CSAT asks once per ticket per resolution round:
-- round is the id of the durable event that resolved the ticket, and
-- (ticket_id, kind, round) is unique, so a replayed event or a retried job
-- never asks twice. public_id names the survey in signed rating links; the
-- last answer before expires_at wins.
CREATE TABLE surveys (
  id BIGSERIAL PRIMARY KEY,
  public_id VARCHAR(32) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  ticket_id BIGINT NOT NULL,
  round BIGINT NOT NULL,
  contact_id BIGINT NOT NULL,
  channel_id BIGINT NOT NULL,
  message_id BIGINT,
  agent_id BIGINT,
  team_id BIGINT,
  locale VARCHAR(35) NOT NULL DEFAULT '',
  score BIGINT,
  comment TEXT NOT NULL DEFAULT '',
  answers BIGINT NOT NULL DEFAULT 0,
  requested_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  answered_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ux_survey_public_id ON surveys (public_id);
CREATE UNIQUE INDEX ux_survey_round ON surveys (ticket_id, kind, round);
CREATE INDEX ix_survey_contact ON surveys (contact_id);
CREATE INDEX ix_survey_answered ON surveys (kind, answered_at);
-- Survey settings per channel. A channel without a row asks nothing.
CREATE TABLE survey_settings (
  channel_id BIGINT NOT NULL,
  kind VARCHAR(16) NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT false,
  delay_seconds BIGINT NOT NULL DEFAULT 0,
  question_ko TEXT NOT NULL DEFAULT '',
  question_en TEXT NOT NULL DEFAULT '',
  thanks_ko TEXT NOT NULL DEFAULT '',
  thanks_en TEXT NOT NULL DEFAULT '',
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel_id, kind)
);
