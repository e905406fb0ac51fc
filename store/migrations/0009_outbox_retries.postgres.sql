-- Notification rows that say the same as a newer one (a card update for the
-- same ticket and channel) share a collapse key, so a backlog sends only
-- the newest. retry_since starts a row's retry window again when an admin
-- retries it (NULL: since created_at).
ALTER TABLE outboxes ADD COLUMN collapse_key VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE outboxes ADD COLUMN retry_since TIMESTAMPTZ;
CREATE INDEX ix_outbox_status_updated ON outboxes (status, updated_at);
