-- A merged ticket remembers its target, so a message that still names it (a
-- thread key, a ticket number, or one racing the merge) is filed there.
ALTER TABLE tickets ADD COLUMN merged_into bigint;
-- Tickets merged before this column existed: the target's "merged #N" system
-- message names them.
UPDATE tickets SET merged_into = (
  SELECT m.ticket_id FROM messages m
  WHERE m.direction = 'system' AND m.meta LIKE '%"merged_ticket"%'
    AND substring(m.meta from '"merged_ticket":\s*(\d+)')::bigint = tickets.id
  ORDER BY m.id DESC LIMIT 1)
WHERE status = 'closed';
