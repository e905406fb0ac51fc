-- Agents notice what matters (store/notify.go). mentions: an agent named
-- in a note (@name), one row per (note, agent), for the "mentions" view.
-- ticket_reads: when an agent last opened a ticket; a ticket whose latest
-- customer message is newer is unread for that agent (bold in the list).
-- The agent columns are the agent's own profile: a signature added to
-- replies (signature_mode: '' off, 'all', 'email'), and opt-in desktop
-- notifications and sound (notify_on: comma-separated kinds).
CREATE TABLE mentions (
  message_id INTEGER NOT NULL,
  agent_id INTEGER NOT NULL,
  ticket_id INTEGER NOT NULL,
  author_id INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (message_id, agent_id)
);
CREATE INDEX ix_mention_agent ON mentions (agent_id, ticket_id);
CREATE TABLE ticket_reads (
  agent_id INTEGER NOT NULL,
  ticket_id INTEGER NOT NULL,
  read_at DATETIME NOT NULL,
  PRIMARY KEY (agent_id, ticket_id)
);
ALTER TABLE agents ADD COLUMN signature TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN signature_mode VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN notify_desktop BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN notify_sound BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN notify_on VARCHAR(128) NOT NULL DEFAULT 'new_ticket,assigned,replied,mention';
