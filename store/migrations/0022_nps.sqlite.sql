-- NPS surveys (store/nps.go): periodic survey definitions. Each request is
-- a surveys row of kind 'nps' naming its definition and round; one contact
-- gets one request per definition and round (ux_survey_nps), whatever the
-- scheduler does. Contacts get a time zone for quiet hours ('' = the
-- survey's default).
CREATE TABLE `nps_surveys` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`enabled` numeric NOT NULL DEFAULT false,`question_ko` text NOT NULL DEFAULT '',`question_en` text NOT NULL DEFAULT '',`why_ko` text NOT NULL DEFAULT '',`why_en` text NOT NULL DEFAULT '',`thanks_ko` text NOT NULL DEFAULT '',`thanks_en` text NOT NULL DEFAULT '',`audience_tag` text NOT NULL DEFAULT '',`first_days` integer NOT NULL DEFAULT 0,`repeat_days` text NOT NULL DEFAULT '',`by_email` numeric NOT NULL DEFAULT true,`by_widget` numeric NOT NULL DEFAULT true,`cap_any_days` integer NOT NULL DEFAULT 30,`cap_nps_days` integer NOT NULL DEFAULT 90,`quiet_start` text NOT NULL DEFAULT '21:00',`quiet_end` text NOT NULL DEFAULT '09:00',`time_zone` text NOT NULL DEFAULT 'Asia/Seoul',`created_at` datetime,`updated_at` datetime,`deleted_at` datetime);
CREATE INDEX `idx_nps_surveys_deleted_at` ON `nps_surveys`(`deleted_at`);
ALTER TABLE `surveys` ADD COLUMN `nps_survey_id` integer;
ALTER TABLE `surveys` ADD COLUMN `nps_round` integer;
CREATE UNIQUE INDEX `ux_survey_nps` ON `surveys`(`nps_survey_id`,`contact_id`,`nps_round`);
CREATE INDEX `ix_survey_requested` ON `surveys`(`contact_id`,`requested_at`);
ALTER TABLE `contacts` ADD COLUMN `time_zone` text NOT NULL DEFAULT '';
CREATE INDEX `ix_ticket_contact_created` ON `tickets`(`contact_id`,`created_at`);
