-- Audit log (see store/audit.go and package audit): one row per admin
-- action, sign-in, failed sign-in and password change or reset: who
-- (actor_id; actor_email as typed for a failed sign-in), what (action,
-- target), when, from where (remote_ip, user_agent) and what changed
-- (changes: JSON, secrets redacted before it is written).
CREATE TABLE `audit_entries` (`id` integer PRIMARY KEY AUTOINCREMENT,`at` datetime NOT NULL,`actor_id` integer,`actor_email` text NOT NULL DEFAULT '',`action` text NOT NULL,`target_type` text NOT NULL DEFAULT '',`target_id` text NOT NULL DEFAULT '',`remote_ip` text NOT NULL DEFAULT '',`user_agent` text NOT NULL DEFAULT '',`changes` text NOT NULL DEFAULT '{}');
CREATE INDEX `ix_audit_at` ON `audit_entries`(`at`);
CREATE INDEX `ix_audit_actor` ON `audit_entries`(`actor_id`,`at`);
CREATE INDEX `ix_audit_action` ON `audit_entries`(`action`,`at`);
