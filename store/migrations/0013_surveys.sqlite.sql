-- Surveys (see store/surveys.go): one row per survey request sent to a
-- customer, with its answer. CSAT asks once per ticket per resolution round:
-- round is the id of the durable event that resolved the ticket, and
-- (ticket_id, kind, round) is unique, so a replayed event or a retried job
-- never asks twice. public_id names the survey in signed rating links; the
-- last answer before expires_at wins.
CREATE TABLE `surveys` (`id` integer PRIMARY KEY AUTOINCREMENT,`public_id` text NOT NULL,`kind` text NOT NULL,`ticket_id` integer NOT NULL,`round` integer NOT NULL,`contact_id` integer NOT NULL,`channel_id` integer NOT NULL,`message_id` integer,`agent_id` integer,`team_id` integer,`locale` text NOT NULL DEFAULT '',`score` integer,`comment` text NOT NULL DEFAULT '',`answers` integer NOT NULL DEFAULT 0,`requested_at` datetime NOT NULL,`expires_at` datetime NOT NULL,`answered_at` datetime,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL);
CREATE UNIQUE INDEX `ux_survey_public_id` ON `surveys`(`public_id`);
CREATE UNIQUE INDEX `ux_survey_round` ON `surveys`(`ticket_id`,`kind`,`round`);
CREATE INDEX `ix_survey_contact` ON `surveys`(`contact_id`);
CREATE INDEX `ix_survey_answered` ON `surveys`(`kind`,`answered_at`);
-- Survey settings per channel. A channel without a row asks nothing.
CREATE TABLE `survey_settings` (`channel_id` integer NOT NULL,`kind` text NOT NULL,`enabled` numeric NOT NULL DEFAULT false,`delay_seconds` integer NOT NULL DEFAULT 0,`question_ko` text NOT NULL DEFAULT '',`question_en` text NOT NULL DEFAULT '',`thanks_ko` text NOT NULL DEFAULT '',`thanks_en` text NOT NULL DEFAULT '',`updated_at` datetime NOT NULL,PRIMARY KEY (`channel_id`,`kind`));
