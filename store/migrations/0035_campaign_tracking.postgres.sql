-- Campaign email open tracking (inbox/campaign_tracking.go): track_opens
-- adds a signed 1x1 image to a campaign's emails; loading it counts the
-- send as seen. Click tracking (signed redirects) needs no column: it sets
-- campaign_sends.clicked_at. On by default, off per campaign.
ALTER TABLE campaigns ADD COLUMN track_opens BOOLEAN NOT NULL DEFAULT true;
