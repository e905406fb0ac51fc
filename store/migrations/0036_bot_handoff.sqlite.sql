-- The answer bot's per-channel handoff and hold settings: see the PostgreSQL file.
CREATE TABLE assist_channels (
  channel_id INTEGER PRIMARY KEY,
  handoff_team_id INTEGER,
  updated_at DATETIME NOT NULL
);
ALTER TABLE bot_flows ADD COLUMN hold_minutes INTEGER NOT NULL DEFAULT 10;
