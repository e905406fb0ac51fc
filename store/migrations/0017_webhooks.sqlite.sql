-- Event webhooks (see store/webhooks.go and package webhook): an admin's
-- subscription of one URL to chosen event types, and one delivery row per
-- (subscription, event, payload type), which is both the queue (status,
-- next_attempt_at; a jobs row drives each delivery) and the delivery log.
-- dedupe_key makes a replayed event a no-op; a redelivery gets its own key.
CREATE TABLE `webhook_subscriptions` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL DEFAULT '',`url` text NOT NULL,`secret` text NOT NULL,`events` text NOT NULL DEFAULT '',`enabled` numeric NOT NULL DEFAULT true,`created_by` integer,`failing_since` datetime,`last_success_at` datetime,`last_failure_at` datetime,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL);
CREATE TABLE `webhook_deliveries` (`id` integer PRIMARY KEY AUTOINCREMENT,`public_id` text NOT NULL,`subscription_id` integer NOT NULL,`event_id` integer NOT NULL DEFAULT 0,`event_type` text NOT NULL,`ticket_id` integer NOT NULL DEFAULT 0,`dedupe_key` text NOT NULL,`redelivery_of` integer,`payload` text NOT NULL,`status` text NOT NULL,`attempts` integer NOT NULL DEFAULT 0,`next_attempt_at` datetime NOT NULL,`status_code` integer NOT NULL DEFAULT 0,`response` text NOT NULL DEFAULT '',`error` text NOT NULL DEFAULT '',`duration_ms` integer NOT NULL DEFAULT 0,`created_at` datetime NOT NULL,`last_attempt_at` datetime,`delivered_at` datetime);
CREATE UNIQUE INDEX `ux_webhook_delivery_public_id` ON `webhook_deliveries`(`public_id`);
CREATE UNIQUE INDEX `ux_webhook_delivery_dedupe` ON `webhook_deliveries`(`subscription_id`,`dedupe_key`);
CREATE INDEX `ix_webhook_delivery_lane` ON `webhook_deliveries`(`subscription_id`,`ticket_id`,`status`,`id`);
