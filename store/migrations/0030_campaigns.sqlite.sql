-- Life-cycle messages (campaigns; store/campaigns.go). A campaign names its
-- audience (a segment, or every contact), its channel (email or widget),
-- its trigger (kind + JSON settings), ko/en content and the limits every
-- send honours (consent, frequency cap, quiet hours). campaign_sends holds
-- one row per contact, campaign and round: the unique key makes a second
-- send of the same round impossible whatever the scheduler does, and the
-- row's times are the campaign's statistics (sent, delivered, seen,
-- clicked, replied, unsubscribed, goal reached).
CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT false,
  channel TEXT NOT NULL,
  channel_id INTEGER NOT NULL DEFAULT 0,
  segment_id INTEGER,
  trigger_kind TEXT NOT NULL,
  trigger_config TEXT NOT NULL DEFAULT '{}',
  goal_event TEXT NOT NULL DEFAULT '',
  subject_ko TEXT NOT NULL DEFAULT '',
  subject_en TEXT NOT NULL DEFAULT '',
  body_ko TEXT NOT NULL DEFAULT '',
  body_en TEXT NOT NULL DEFAULT '',
  require_consent BOOLEAN NOT NULL DEFAULT true,
  cap_days INTEGER NOT NULL DEFAULT 7,
  quiet_start TEXT NOT NULL DEFAULT '21:00',
  quiet_end TEXT NOT NULL DEFAULT '09:00',
  time_zone TEXT NOT NULL DEFAULT 'Asia/Seoul',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  deleted_at DATETIME
);
CREATE TABLE campaign_sends (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id TEXT NOT NULL,
  campaign_id INTEGER NOT NULL,
  contact_id INTEGER NOT NULL,
  round_key TEXT NOT NULL,
  channel TEXT NOT NULL,
  channel_id INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  locale TEXT NOT NULL DEFAULT '',
  trigger_at DATETIME,
  email_message_id TEXT NOT NULL DEFAULT '',
  delivered_at DATETIME,
  seen_at DATETIME,
  clicked_at DATETIME,
  dismissed_at DATETIME,
  replied_at DATETIME,
  reply_ticket_id INTEGER,
  unsubscribed_at DATETIME,
  goal_at DATETIME,
  last_error TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_campaign_send ON campaign_sends (campaign_id, contact_id, round_key);
CREATE UNIQUE INDEX ux_campaign_send_public ON campaign_sends (public_id);
CREATE INDEX ix_campaign_send_contact ON campaign_sends (contact_id, created_at);
CREATE INDEX ix_campaign_send_email ON campaign_sends (email_message_id);
