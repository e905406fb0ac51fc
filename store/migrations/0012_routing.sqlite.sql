-- Routing: teams (departments) with members and the channels they are the
-- default team of, agent availability and chat caps, and tickets filed to a
-- team by id. The free-text tickets.team of earlier versions becomes a team
-- row per distinct name (both names set to it), so no ticket loses its team.
-- teams.business_hours is JSON: {"time_zone": "Asia/Seoul", "weekly":
-- {"mon": [["09:00","18:00"]]}, "holidays": ["2026-12-25"]}; NULL: always open.
-- teams.restricted: the team's tickets are seen only by its members and
-- admins.
CREATE TABLE `teams` (`id` integer PRIMARY KEY AUTOINCREMENT,`name_ko` text NOT NULL,`name_en` text NOT NULL,`auto_assign` numeric NOT NULL DEFAULT false,`chat_cap` integer,`count_email` numeric NOT NULL DEFAULT false,`business_hours` text,`restricted` numeric NOT NULL DEFAULT false,`created_at` datetime,`updated_at` datetime);
CREATE TABLE `team_members` (`team_id` integer NOT NULL,`agent_id` integer NOT NULL,`created_at` datetime,PRIMARY KEY (`team_id`,`agent_id`));
CREATE INDEX `ix_team_member_agent` ON `team_members`(`agent_id`);
-- A channel has at most one default team: new tickets on it are filed there.
CREATE TABLE `channel_teams` (`channel_id` integer NOT NULL,`team_id` integer NOT NULL,PRIMARY KEY (`channel_id`));
CREATE INDEX `ix_channel_team_team` ON `channel_teams`(`team_id`);
ALTER TABLE `tickets` ADD COLUMN `team_id` integer;
-- Team views, and the team queue: open unassigned tickets of a team,
-- oldest first (partial, so the queue head is found without walking the
-- team's assigned tickets).
CREATE INDEX `ix_ticket_team` ON `tickets` (`team_id`,`status`);
CREATE INDEX `ix_ticket_team_queue` ON `tickets` (`team_id`,`created_at`,`id`) WHERE assignee_id IS NULL AND status = 'open' AND merged_into IS NULL;
-- An agent's load: their open tickets per channel, read from the index alone.
CREATE INDEX `ix_ticket_assignee_open` ON `tickets` (`assignee_id`,`last_channel_id`) WHERE status IN ('open', 'pending') AND merged_into IS NULL;
INSERT INTO `teams` (`name_ko`,`name_en`,`auto_assign`,`count_email`,`created_at`,`updated_at`)
  SELECT trim(team), trim(team), false, false, MIN(created_at), MIN(created_at) FROM tickets
  WHERE trim(COALESCE(team, '')) <> '' GROUP BY trim(team) ORDER BY MIN(id);
UPDATE `tickets` SET `team_id` = (SELECT id FROM teams WHERE teams.name_en = trim(tickets.team))
  WHERE trim(COALESCE(team, '')) <> '';
ALTER TABLE `tickets` DROP COLUMN `team`;
-- Availability (online, away, offline) as the agent set it, the concurrent
-- chat cap, and when the agent was last given a ticket automatically (ties
-- in fair assignment go to the one waiting longest).
ALTER TABLE `agents` ADD COLUMN `availability` text NOT NULL DEFAULT 'offline';
ALTER TABLE `agents` ADD COLUMN `availability_at` datetime;
ALTER TABLE `agents` ADD COLUMN `chat_cap` integer NOT NULL DEFAULT 3;
ALTER TABLE `agents` ADD COLUMN `last_assigned_at` datetime;
