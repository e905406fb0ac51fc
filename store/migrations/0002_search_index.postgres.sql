CREATE TABLE search_docs (id BIGINT PRIMARY KEY, ticket_id BIGINT NOT NULL, tsv TSVECTOR NOT NULL);
CREATE INDEX ix_search_docs_tsv ON search_docs USING GIN (tsv);
CREATE INDEX ix_search_docs_ticket ON search_docs (ticket_id);
