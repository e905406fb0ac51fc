-- Automation rules (see inbox/rules.go): evaluated in position order on
-- the durable event path. conditions and actions are JSON arrays:
-- conditions [{"field": "text", "op": "contains", "value": "환불"}],
-- actions [{"type": "add_tag", "value": "vip"}]. match_mode is "all" or "any";
-- trigger_hours is N of the "no customer reply for N hours" trigger.
CREATE TABLE `rules` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`position` integer NOT NULL DEFAULT 0,`enabled` numeric NOT NULL DEFAULT true,`stop_after` numeric NOT NULL DEFAULT false,`trigger_kind` text NOT NULL,`trigger_hours` integer NOT NULL DEFAULT 0,`match_mode` text NOT NULL DEFAULT 'all',`conditions` text NOT NULL DEFAULT '[]',`actions` text NOT NULL DEFAULT '[]',`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL);
CREATE INDEX `ix_rule_position` ON `rules`(`position`,`id`);
-- One row per rule that acted on an event, written in the transaction of
-- the rule's actions: a redelivered event finds it and acts no more.
CREATE TABLE `rule_runs` (`rule_id` integer NOT NULL,`event_id` integer NOT NULL,`ticket_id` integer NOT NULL,`created_at` datetime NOT NULL,PRIMARY KEY (`rule_id`,`event_id`));
CREATE INDEX `ix_rule_run_ticket` ON `rule_runs`(`ticket_id`);
