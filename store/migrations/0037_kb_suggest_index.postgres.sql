-- Suggestion latency (docs/BENCHMARKS.md): the scoring read tf and doc_len
-- from the heap, one page per posting (a term's rows are scattered over
-- the table, as articles are indexed one at a time), thousands of pages per
-- common bigram. With both in the primary key's index (INCLUDE) every
-- token's range is an index-only scan. The article stats (count and average
-- body length of published articles of a locale) read an index too.
ALTER TABLE kb_terms DROP CONSTRAINT kb_terms_pkey;
ALTER TABLE kb_terms ADD CONSTRAINT kb_terms_pkey PRIMARY KEY (term, published, locale, article_id, field) INCLUDE (tf, doc_len);
CREATE INDEX ix_kb_articles_stats ON kb_articles (status, locale, body_terms);
