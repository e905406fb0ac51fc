-- Durable domain events, written in the transaction of the change they
-- record, and the progress of each named consumer. Ids come from a sequence
-- and can commit out of order, so each row also keeps the id of the
-- transaction that wrote it: consumers read in (xid, id) order and only
-- rows whose transaction is older than every running one (the snapshot's
-- xmin), so a late commit can never land behind a consumer's cursor.
CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  xid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
  type VARCHAR(64) NOT NULL,
  ticket_id BIGINT NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_events_position ON events (xid, id);
CREATE TABLE event_consumers (
  name VARCHAR(128) PRIMARY KEY,
  cursor_xid BIGINT NOT NULL DEFAULT 0,
  cursor_id BIGINT NOT NULL DEFAULT 0,
  owner VARCHAR(64) NOT NULL DEFAULT '',
  locked_until TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL
);
-- Events a consumer failed to handle: retried with backoff, then parked.
CREATE TABLE event_deliveries (
  id BIGSERIAL PRIMARY KEY,
  consumer VARCHAR(128) NOT NULL,
  event_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  locked_until TIMESTAMPTZ,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ux_event_deliveries ON event_deliveries (consumer, event_id);
CREATE INDEX ix_event_deliveries_due ON event_deliveries (status, next_attempt_at);
-- Bodies of relayed events too large for a NOTIFY payload.
CREATE TABLE relay_bodies (
  id BIGSERIAL PRIMARY KEY,
  body TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_relay_bodies_created ON relay_bodies (created_at);
