-- Event webhooks (see store/webhooks.go and package webhook): an admin's
-- subscription of one URL to chosen event types, and one delivery row per
-- (subscription, event, payload type), which is both the queue (status,
-- next_attempt_at; a jobs row drives each delivery) and the delivery log.
-- dedupe_key makes a replayed event a no-op; a redelivery gets its own key.
CREATE TABLE webhook_subscriptions (
  id BIGSERIAL PRIMARY KEY,
  name VARCHAR(200) NOT NULL DEFAULT '',
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '',
  enabled BOOLEAN NOT NULL DEFAULT true,
  created_by BIGINT,
  failing_since TIMESTAMPTZ,
  last_success_at TIMESTAMPTZ,
  last_failure_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE webhook_deliveries (
  id BIGSERIAL PRIMARY KEY,
  public_id VARCHAR(40) NOT NULL,
  subscription_id BIGINT NOT NULL,
  event_id BIGINT NOT NULL DEFAULT 0,
  event_type VARCHAR(64) NOT NULL,
  ticket_id BIGINT NOT NULL DEFAULT 0,
  dedupe_key VARCHAR(128) NOT NULL,
  redelivery_of BIGINT,
  payload TEXT NOT NULL,
  status VARCHAR(16) NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  status_code BIGINT NOT NULL DEFAULT 0,
  response TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  duration_ms BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL,
  last_attempt_at TIMESTAMPTZ,
  delivered_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX ux_webhook_delivery_public_id ON webhook_deliveries (public_id);
CREATE UNIQUE INDEX ux_webhook_delivery_dedupe ON webhook_deliveries (subscription_id, dedupe_key);
CREATE INDEX ix_webhook_delivery_lane ON webhook_deliveries (subscription_id, ticket_id, status, id);
