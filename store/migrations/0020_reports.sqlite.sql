-- Reports (see report/): ticket status changes kept for good (the events
-- table is pruned after a week), written by the durable consumer
-- report.status from ticket.updated events; event_id makes a replayed event
-- a no-op. Tickets already resolved or closed before this migration get one
-- row at their last update, so backlog and resolution counts start out
-- right (their earlier history is not known).
CREATE TABLE `ticket_status_changes` (`id` integer PRIMARY KEY AUTOINCREMENT,`event_id` integer,`ticket_id` integer NOT NULL,`old_status` text NOT NULL,`new_status` text NOT NULL,`changed_at` datetime NOT NULL);
CREATE UNIQUE INDEX `ux_status_change_event` ON `ticket_status_changes`(`event_id`);
CREATE INDEX `ix_status_change_at` ON `ticket_status_changes`(`changed_at`,`ticket_id`);
INSERT INTO `ticket_status_changes` (`ticket_id`,`old_status`,`new_status`,`changed_at`)
  SELECT `id`, 'open', `status`, COALESCE(`updated_at`, `created_at`) FROM `tickets` WHERE `status` IN ('resolved','closed') ORDER BY `id`;
-- Report queries read by time range: arrivals, first responses and messages.
CREATE INDEX `ix_ticket_created` ON `tickets`(`created_at`);
CREATE INDEX `ix_ticket_first_response` ON `tickets`(`first_response_at`);
CREATE INDEX `ix_message_created` ON `messages`(`created_at`,`channel_id`,`direction`);
-- Messages in and out per channel and UTC hour (hours since the epoch),
-- for the messages report: one row per hour instead of every message. The
-- durable consumer report.messages marks the hour of each new message
-- dirty; a report counts dirty hours again from messages before it reads,
-- so the figures are exact, and marking twice is harmless.
CREATE TABLE `report_message_hours` (`hour` integer NOT NULL,`channel_id` integer NOT NULL,`direction` text NOT NULL,`n` integer NOT NULL,PRIMARY KEY (`hour`,`channel_id`,`direction`));
CREATE TABLE `report_dirty_hours` (`hour` integer NOT NULL,`channel_id` integer NOT NULL,`event_id` integer NOT NULL,PRIMARY KEY (`hour`,`channel_id`));
INSERT INTO `report_message_hours` (`hour`,`channel_id`,`direction`,`n`)
  SELECT CAST(strftime('%s', substr(`created_at`, 1, 19)) AS INTEGER) / 3600, `channel_id`, `direction`, COUNT(*) FROM `messages`
  WHERE `direction` IN ('inbound','outbound') GROUP BY 1, 2, 3;
