-- One row per webhook delivery attempt (store/webhooks.go): its number,
-- time, response code, duration and error, for the delivery log. The
-- delivery row keeps the last attempt's figures as before.
CREATE TABLE webhook_attempts (
  delivery_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  at DATETIME NOT NULL,
  status_code INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_id, attempt)
);
