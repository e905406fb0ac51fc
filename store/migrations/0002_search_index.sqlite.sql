-- FTS4 is compiled into the bundled SQLite; FTS5 would need a build tag.
CREATE VIRTUAL TABLE search_docs USING fts4(ticket_id, body, notindexed=ticket_id, tokenize=simple);
