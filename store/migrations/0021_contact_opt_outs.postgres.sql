-- Contact opt-outs by topic (store/optouts.go): a row means the contact
-- asked not to receive the topic ("surveys", "marketing"). The unsubscribe
-- page and RFC 8058 one-click POSTs write it; survey and engagement senders
-- read it before every send.
CREATE TABLE contact_opt_outs (
  contact_id BIGINT NOT NULL,
  topic VARCHAR(32) NOT NULL,
  source VARCHAR(32) NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (contact_id, topic)
);
