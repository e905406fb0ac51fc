-- NPS surveys (store/nps.go): periodic survey definitions. Each request is
-- a surveys row of kind 'nps' naming its definition and round; one contact
-- gets one request per definition and round (ux_survey_nps), whatever the
-- scheduler does. Contacts get a time zone for quiet hours ('' = the
-- survey's default).
CREATE TABLE nps_surveys (
  id BIGSERIAL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT false,
  question_ko TEXT NOT NULL DEFAULT '',
  question_en TEXT NOT NULL DEFAULT '',
  why_ko TEXT NOT NULL DEFAULT '',
  why_en TEXT NOT NULL DEFAULT '',
  thanks_ko TEXT NOT NULL DEFAULT '',
  thanks_en TEXT NOT NULL DEFAULT '',
  audience_tag VARCHAR(100) NOT NULL DEFAULT '',
  first_days BIGINT NOT NULL DEFAULT 0,
  repeat_days VARCHAR(500) NOT NULL DEFAULT '',
  by_email BOOLEAN NOT NULL DEFAULT true,
  by_widget BOOLEAN NOT NULL DEFAULT true,
  cap_any_days BIGINT NOT NULL DEFAULT 30,
  cap_nps_days BIGINT NOT NULL DEFAULT 90,
  quiet_start VARCHAR(5) NOT NULL DEFAULT '21:00',
  quiet_end VARCHAR(5) NOT NULL DEFAULT '09:00',
  time_zone VARCHAR(64) NOT NULL DEFAULT 'Asia/Seoul',
  created_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ,
  deleted_at TIMESTAMPTZ
);
CREATE INDEX idx_nps_surveys_deleted_at ON nps_surveys (deleted_at);
ALTER TABLE surveys ADD COLUMN nps_survey_id BIGINT;
ALTER TABLE surveys ADD COLUMN nps_round BIGINT;
CREATE UNIQUE INDEX ux_survey_nps ON surveys (nps_survey_id, contact_id, nps_round);
CREATE INDEX ix_survey_requested ON surveys (contact_id, requested_at);
ALTER TABLE contacts ADD COLUMN time_zone VARCHAR(64) NOT NULL DEFAULT '';
CREATE INDEX ix_ticket_contact_created ON tickets (contact_id, created_at);
