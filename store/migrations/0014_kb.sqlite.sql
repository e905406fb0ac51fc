-- Knowledge base: see the PostgreSQL file.
CREATE TABLE kb_articles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  slug TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '',
  body_terms INTEGER NOT NULL DEFAULT 0,
  locale TEXT NOT NULL,
  status TEXT NOT NULL,
  author_id INTEGER REFERENCES agents (id) ON DELETE SET NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  published_at DATETIME
);
CREATE UNIQUE INDEX ux_kb_articles_slug ON kb_articles (locale, slug);
CREATE INDEX ix_kb_articles_list ON kb_articles (locale, status, updated_at);
CREATE TABLE kb_terms (
  term TEXT NOT NULL,
  published INTEGER NOT NULL,
  locale TEXT NOT NULL,
  article_id INTEGER NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
  field INTEGER NOT NULL,
  tf INTEGER NOT NULL,
  doc_len INTEGER NOT NULL,
  PRIMARY KEY (term, published, locale, article_id, field)
) WITHOUT ROWID;
