-- Per-ticket report facts (see report/facts.go): one narrow row per ticket
-- with what the ticket reports group and measure (creation, first response
-- and its delay, channel, team, assignee, priority, status), and one row
-- per resolution or reopening (ticket_status_changes id) with the delay
-- since creation and the same breakdown values. The *_q columns are the
-- times' quarter hours since the epoch (every bucket edge of a report is on
-- one), so a report filters and groups integers, and the covering indexes
-- on them let it read a time range without touching the wide tickets rows. Kept by
-- the durable consumer report.status, which recomputes a ticket's rows from
-- tickets and ticket_status_changes; report_state records that the first
-- full build (of the tickets written before this migration) is done.
CREATE TABLE `report_tickets` (`ticket_id` integer PRIMARY KEY,`created_at` datetime NOT NULL,`created_q` integer NOT NULL,`first_response_at` datetime,`first_response_q` integer,`first_response_s` real,`channel_id` integer NOT NULL,`team_id` integer,`assignee_id` integer,`priority` text NOT NULL,`status` text NOT NULL);
CREATE INDEX `ix_report_tickets_created` ON `report_tickets`(`created_q`,`channel_id`,`team_id`,`assignee_id`,`priority`);
CREATE INDEX `ix_report_tickets_first_response` ON `report_tickets`(`first_response_q`,`first_response_s`,`channel_id`,`team_id`,`assignee_id`,`priority`);
CREATE INDEX `ix_report_tickets_status` ON `report_tickets`(`status`,`channel_id`,`team_id`,`assignee_id`,`priority`);
CREATE TABLE `report_status_facts` (`change_id` integer PRIMARY KEY,`ticket_id` integer NOT NULL,`changed_at` datetime NOT NULL,`changed_q` integer NOT NULL,`kind` text NOT NULL,`open_s` real NOT NULL,`channel_id` integer NOT NULL,`team_id` integer,`assignee_id` integer,`priority` text NOT NULL);
CREATE INDEX `ix_report_status_facts_at` ON `report_status_facts`(`changed_q`,`kind`,`open_s`,`channel_id`,`team_id`,`assignee_id`,`priority`);
CREATE INDEX `ix_report_status_facts_ticket` ON `report_status_facts`(`ticket_id`);
CREATE TABLE `report_state` (`name` text PRIMARY KEY,`done_at` datetime NOT NULL);
-- Messages in and out per ticket and UTC hour, for the messages report
-- broken down by ticket (team, agent, priority, tag): joined to the facts
-- instead of every message to its ticket. The consumer report.status counts
-- a ticket's hour again after each new message, and all of a ticket's
-- hours after a merge or unmerge moved messages.
CREATE TABLE `report_ticket_message_hours` (`ticket_id` integer NOT NULL,`hour` integer NOT NULL,`inbound` integer NOT NULL,`outbound` integer NOT NULL,PRIMARY KEY (`ticket_id`,`hour`));
CREATE INDEX `ix_report_ticket_message_hours_hour` ON `report_ticket_message_hours`(`hour`,`ticket_id`,`inbound`,`outbound`);
