-- Images and attachments of knowledge-base articles: the file is a blob
-- (store/blobs.go) named by its SHA-256; a row ties it to its article. The
-- help center serves it only while the article is public.
CREATE TABLE kb_files (
  id BIGSERIAL PRIMARY KEY,
  article_id BIGINT NOT NULL,
  sha256 VARCHAR(64) NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_kb_files_article ON kb_files (article_id);
