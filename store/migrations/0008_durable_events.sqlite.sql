-- Durable domain events, written in the transaction of the change they
-- record, and the progress of each named consumer. On SQLite one writer at a
-- time means ids commit in order, so xid stays 0 and consumers follow id.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  xid INTEGER NOT NULL DEFAULT 0,
  type TEXT NOT NULL,
  ticket_id INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE TABLE event_consumers (
  name TEXT PRIMARY KEY,
  cursor_xid INTEGER NOT NULL DEFAULT 0,
  cursor_id INTEGER NOT NULL DEFAULT 0,
  owner TEXT NOT NULL DEFAULT '',
  locked_until DATETIME,
  updated_at DATETIME NOT NULL
);
-- Events a consumer failed to handle: retried with backoff, then parked.
CREATE TABLE event_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  consumer TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at DATETIME NOT NULL,
  locked_until DATETIME,
  last_error TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_event_deliveries ON event_deliveries (consumer, event_id);
CREATE INDEX ix_event_deliveries_due ON event_deliveries (status, next_attempt_at);
-- Bodies of relayed events too large for a NOTIFY payload (PostgreSQL only;
-- the table exists on both stores so the schemas match).
CREATE TABLE relay_bodies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  body TEXT NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX ix_relay_bodies_created ON relay_bodies (created_at);
