-- Suggestion latency: see the PostgreSQL file. SQLite's kb_terms key
-- already serves the scoring; the article stats read an index here too.
CREATE INDEX ix_kb_articles_stats ON kb_articles (status, locale, body_terms);
