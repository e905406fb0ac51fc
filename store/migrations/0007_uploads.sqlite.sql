-- Files a widget visitor uploaded but that may not be on a message yet.
-- A row reserves quota until its file is attached (the row is then deleted)
-- or collected after the channel's grace period.
CREATE TABLE `uploads` (`id` integer PRIMARY KEY AUTOINCREMENT,`channel_id` integer NOT NULL,`owner` text NOT NULL,`sha256` text NOT NULL,`size` integer NOT NULL,`created_at` datetime NOT NULL);
CREATE INDEX `ix_upload_owner` ON `uploads`(`channel_id`,`owner`);
CREATE INDEX `ix_upload_sha256` ON `uploads`(`sha256`);
CREATE INDEX `ix_upload_created` ON `uploads`(`created_at`);
