-- Idempotency-Key of agent replies and notes: a retried request returns the
-- message the first one created. Rows older than the retention are deleted.
CREATE TABLE `idempotency_keys` (`agent_id` integer NOT NULL,`key` text NOT NULL,`request_hash` text NOT NULL,`message_id` integer NOT NULL,`created_at` datetime NOT NULL,PRIMARY KEY (`agent_id`,`key`));
CREATE INDEX `ix_idempotency_keys_created` ON `idempotency_keys`(`created_at`);
