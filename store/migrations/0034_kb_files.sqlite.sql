-- Images and attachments of knowledge-base articles: see the PostgreSQL file.
CREATE TABLE kb_files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  article_id INTEGER NOT NULL,
  sha256 VARCHAR(64) NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX ix_kb_files_article ON kb_files (article_id);
