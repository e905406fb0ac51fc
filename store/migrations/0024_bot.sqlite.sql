-- The answer bot: see the PostgreSQL file.
CREATE TABLE bot_flows (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel_id INTEGER NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 0,
  greeting_ko TEXT NOT NULL DEFAULT '',
  greeting_en TEXT NOT NULL DEFAULT '',
  steps TEXT NOT NULL DEFAULT '[]',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_bot_flow_channel ON bot_flows (channel_id);
CREATE TABLE bot_states (
  ticket_id INTEGER PRIMARY KEY,
  flow_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  step INTEGER NOT NULL DEFAULT 0,
  last_message_id INTEGER NOT NULL DEFAULT 0,
  answers TEXT NOT NULL DEFAULT '{}',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE TABLE kb_self_served (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel_id INTEGER NOT NULL,
  visit_key TEXT NOT NULL,
  article_id INTEGER NOT NULL,
  locale TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_kb_self_served_visit ON kb_self_served (channel_id, visit_key);
CREATE INDEX ix_kb_self_served_at ON kb_self_served (created_at);
