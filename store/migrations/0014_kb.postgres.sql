-- Knowledge base articles (Markdown bodies, one row per locale variant) and
-- their search index. kb_terms is an inverted index of the same tokens as
-- ticket search (store.Tokenize: CJK bigrams, whole lower-cased words), one
-- row per (term, article, field) with the term's count, so both stores rank
-- alike (title above body, BM25 weights). The article's published flag,
-- locale and body length are copied into each row (an article is re-indexed
-- on every change), so a suggestion reads one key range per query token
-- and never joins the articles while scoring.
-- COLLATE "C" keeps word-prefix ranges (term >= 'refund' AND term < ...)
-- byte-ordered whatever the database's collation.
CREATE TABLE kb_articles (
  id BIGSERIAL PRIMARY KEY,
  title TEXT NOT NULL,
  slug TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '',
  body_terms INTEGER NOT NULL DEFAULT 0,
  locale VARCHAR(35) NOT NULL,
  status VARCHAR(16) NOT NULL,
  author_id BIGINT REFERENCES agents (id) ON DELETE SET NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  published_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX ux_kb_articles_slug ON kb_articles (locale, slug);
CREATE INDEX ix_kb_articles_list ON kb_articles (locale, status, updated_at);
CREATE TABLE kb_terms (
  term TEXT COLLATE "C" NOT NULL,
  published SMALLINT NOT NULL,
  locale VARCHAR(35) NOT NULL,
  article_id BIGINT NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
  field SMALLINT NOT NULL,
  tf INTEGER NOT NULL,
  doc_len INTEGER NOT NULL,
  PRIMARY KEY (term, published, locale, article_id, field)
);
CREATE INDEX ix_kb_terms_article ON kb_terms (article_id);
