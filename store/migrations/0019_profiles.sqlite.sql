-- Customer profiles and segments (see store/profiles.go, store/segments.go).
-- attribute_defs holds the admin-defined custom attributes; the built-ins
-- (first_seen, last_seen, visits, conversations, messages, locale,
-- time_zone, email_marketing, proactive_chat) are defined in code.
CREATE TABLE attribute_defs (
  key TEXT PRIMARY KEY,
  label_ko TEXT NOT NULL DEFAULT '',
  label_en TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
-- One row per (contact, attribute), the value in the column of its type, so
-- a segment condition is a plain comparison on an indexed column on both
-- stores. Dates are Unix seconds (integers compare the same everywhere).
CREATE TABLE contact_attributes (
  contact_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  type TEXT NOT NULL,
  text_value TEXT,
  num_value REAL,
  bool_value BOOLEAN,
  time_value INTEGER,
  PRIMARY KEY (contact_id, key)
);
CREATE INDEX ix_attr_text ON contact_attributes (key, text_value);
CREATE INDEX ix_attr_num ON contact_attributes (key, num_value);
CREATE INDEX ix_attr_time ON contact_attributes (key, time_value);
CREATE INDEX ix_attr_bool ON contact_attributes (key, bool_value);
-- Things a customer did, reported by the site (signed_up, order_paid, ...).
CREATE TABLE contact_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  at DATETIME NOT NULL,
  properties TEXT NOT NULL DEFAULT '{}',
  created_at DATETIME NOT NULL
);
CREATE INDEX ix_contact_event ON contact_events (contact_id, name, at);
CREATE INDEX ix_contact_event_name ON contact_events (name, at);
-- Saved segments: a definition (JSON, see store.SegmentDef) and a name.
CREATE TABLE segments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  definition TEXT NOT NULL DEFAULT '{}',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
-- Built-ins derived from what is already stored.
INSERT INTO contact_attributes (contact_id, key, type, time_value)
  SELECT id, 'first_seen', 'date', CAST(strftime('%s', created_at) AS INTEGER) FROM contacts WHERE merged_into IS NULL;
INSERT INTO contact_attributes (contact_id, key, type, time_value)
  SELECT author_id, 'last_seen', 'date', CAST(strftime('%s', MAX(created_at)) AS INTEGER) FROM messages
  WHERE author_type = 'contact' AND author_id IN (SELECT id FROM contacts WHERE merged_into IS NULL) GROUP BY author_id;
INSERT INTO contact_attributes (contact_id, key, type, num_value)
  SELECT author_id, 'messages', 'number', COUNT(*) FROM messages
  WHERE author_type = 'contact' AND author_id IN (SELECT id FROM contacts WHERE merged_into IS NULL) GROUP BY author_id;
INSERT INTO contact_attributes (contact_id, key, type, num_value)
  SELECT contact_id, 'conversations', 'number', COUNT(*) FROM tickets
  WHERE contact_id IN (SELECT id FROM contacts WHERE merged_into IS NULL) GROUP BY contact_id;
