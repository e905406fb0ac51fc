CREATE INDEX ix_ticket_assignee_last ON tickets (assignee_id, status, last_message_at);
CREATE INDEX ix_ticket_channel_last ON tickets (channel_id, last_message_at);
CREATE INDEX ix_ticket_last ON tickets (last_message_at, id);
CREATE INDEX ix_outbox_message ON outboxes (message_id, status);
