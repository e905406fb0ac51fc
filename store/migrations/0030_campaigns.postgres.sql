-- Life-cycle messages (campaigns; store/campaigns.go). A campaign names its
-- audience (a segment, or every contact), its channel (email or widget),
-- its trigger (kind + JSON settings), ko/en content and the limits every
-- send honours (consent, frequency cap, quiet hours). campaign_sends holds
-- one row per contact, campaign and round: the unique key makes a second
-- send of the same round impossible whatever the scheduler does, and the
-- row's times are the campaign's statistics (sent, delivered, seen,
-- clicked, replied, unsubscribed, goal reached).
CREATE TABLE campaigns (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT false,
  channel TEXT NOT NULL,
  channel_id BIGINT NOT NULL DEFAULT 0,
  segment_id BIGINT,
  trigger_kind TEXT NOT NULL,
  trigger_config TEXT NOT NULL DEFAULT '{}',
  goal_event TEXT NOT NULL DEFAULT '',
  subject_ko TEXT NOT NULL DEFAULT '',
  subject_en TEXT NOT NULL DEFAULT '',
  body_ko TEXT NOT NULL DEFAULT '',
  body_en TEXT NOT NULL DEFAULT '',
  require_consent BOOLEAN NOT NULL DEFAULT true,
  cap_days BIGINT NOT NULL DEFAULT 7,
  quiet_start TEXT NOT NULL DEFAULT '21:00',
  quiet_end TEXT NOT NULL DEFAULT '09:00',
  time_zone TEXT NOT NULL DEFAULT 'Asia/Seoul',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
CREATE TABLE campaign_sends (
  id BIGSERIAL PRIMARY KEY,
  public_id TEXT NOT NULL,
  campaign_id BIGINT NOT NULL,
  contact_id BIGINT NOT NULL,
  round_key TEXT NOT NULL,
  channel TEXT NOT NULL,
  channel_id BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  locale TEXT NOT NULL DEFAULT '',
  trigger_at TIMESTAMPTZ,
  email_message_id TEXT NOT NULL DEFAULT '',
  delivered_at TIMESTAMPTZ,
  seen_at TIMESTAMPTZ,
  clicked_at TIMESTAMPTZ,
  dismissed_at TIMESTAMPTZ,
  replied_at TIMESTAMPTZ,
  reply_ticket_id BIGINT,
  unsubscribed_at TIMESTAMPTZ,
  goal_at TIMESTAMPTZ,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ux_campaign_send ON campaign_sends (campaign_id, contact_id, round_key);
CREATE UNIQUE INDEX ux_campaign_send_public ON campaign_sends (public_id);
CREATE INDEX ix_campaign_send_contact ON campaign_sends (contact_id, created_at);
CREATE INDEX ix_campaign_send_email ON campaign_sends (email_message_id);
