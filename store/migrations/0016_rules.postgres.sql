-- Automation rules (see inbox/rules.go): evaluated in position order on
-- the durable event path. conditions and actions are JSON arrays:
-- conditions [{"field": "text", "op": "contains", "value": "환불"}],
-- actions [{"type": "add_tag", "value": "vip"}]. match_mode is "all" or "any";
-- trigger_hours is N of the "no customer reply for N hours" trigger.
CREATE TABLE rules (
  id BIGSERIAL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  position BIGINT NOT NULL DEFAULT 0,
  enabled BOOLEAN NOT NULL DEFAULT true,
  stop_after BOOLEAN NOT NULL DEFAULT false,
  trigger_kind VARCHAR(32) NOT NULL,
  trigger_hours BIGINT NOT NULL DEFAULT 0,
  match_mode VARCHAR(8) NOT NULL DEFAULT 'all',
  conditions TEXT NOT NULL DEFAULT '[]',
  actions TEXT NOT NULL DEFAULT '[]',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_rule_position ON rules (position, id);
-- One row per rule that acted on an event, written in the transaction of
-- the rule's actions: a redelivered event finds it and acts no more.
CREATE TABLE rule_runs (
  rule_id BIGINT NOT NULL,
  event_id BIGINT NOT NULL,
  ticket_id BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (rule_id, event_id)
);
CREATE INDEX ix_rule_run_ticket ON rule_runs (ticket_id);
