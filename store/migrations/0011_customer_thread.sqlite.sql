-- What a customer sees of a thread. A merge moves messages and thread keys
-- into another ticket; origin_ticket_id remembers the ticket each was first
-- written in, so the customer of a merged ticket never sees another
-- contact's part from before the merge, and an unmerge can move it back.
-- NULL means the row is still in the ticket it was written in.
ALTER TABLE `messages` ADD COLUMN `origin_ticket_id` integer;
CREATE INDEX `ix_message_origin` ON `messages`(`origin_ticket_id`);
ALTER TABLE `thread_keys` ADD COLUMN `origin_ticket_id` integer;
-- Merges made before this column existed left no record of where each
-- message came from. A customer message by another contact than its
-- ticket's came from a merged ticket of that contact; when that ticket
-- cannot be found, 0 names no ticket, so no customer sees the message.
UPDATE `messages` SET `origin_ticket_id` = COALESCE((
  SELECT t2.id FROM tickets t2 WHERE t2.merged_into = messages.ticket_id AND t2.contact_id = messages.author_id
  ORDER BY t2.id LIMIT 1), 0)
WHERE direction = 'inbound' AND author_type = 'contact'
  AND author_id <> (SELECT t.contact_id FROM tickets t WHERE t.id = messages.ticket_id);
-- Conversation links: the signed link in every agent email that opens the
-- thread in a browser. The token carries public_id and ticket_id under the
-- server's HMAC key; the row holds the recipient, the expiry (moved on by
-- every email that carries the link) and the revocation.
CREATE TABLE `conversation_links` (`id` integer PRIMARY KEY AUTOINCREMENT,`public_id` text NOT NULL,`ticket_id` integer NOT NULL,`contact_id` integer NOT NULL,`recipient` text NOT NULL,`created_at` datetime NOT NULL,`expires_at` datetime NOT NULL,`revoked_at` datetime,`revoked_by` integer,`first_opened_at` datetime,`last_opened_at` datetime,`device_hash` text,`other_device_at` datetime);
CREATE UNIQUE INDEX `ux_link_public_id` ON `conversation_links`(`public_id`);
CREATE INDEX `ix_link_ticket` ON `conversation_links`(`ticket_id`);
-- One live link per ticket and recipient: concurrent sends share it.
CREATE UNIQUE INDEX `ux_link_live` ON `conversation_links`(`ticket_id`,`recipient`) WHERE revoked_at IS NULL;
-- Server-wide secrets (the conversation-link key), created once by whichever
-- instance needs one first and shared by all.
CREATE TABLE `server_secrets` (`name` text NOT NULL,`value` text NOT NULL,`created_at` datetime NOT NULL,PRIMARY KEY (`name`));
