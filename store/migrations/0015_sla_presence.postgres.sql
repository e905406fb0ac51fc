-- SLA policies (see store/sla.go): first-response and resolution targets in
-- business minutes of the ticket's team, matched by priority and/or team
-- (empty priority / NULL team: any). The warning comes warn_minutes before
-- the due time when set, else at warn_percent of the target.
CREATE TABLE "sla_policies" ("id" bigserial,"name" varchar(255) NOT NULL,"priority" varchar(16) NOT NULL DEFAULT '',"team_id" bigint,"first_response_minutes" bigint NOT NULL DEFAULT 0,"resolution_minutes" bigint NOT NULL DEFAULT 0,"warn_percent" bigint NOT NULL DEFAULT 80,"warn_minutes" bigint NOT NULL DEFAULT 0,"enabled" boolean NOT NULL DEFAULT true,"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
-- A ticket's SLA: the policy applied, the cycle (id of the durable event
-- that started it: the ticket's creation or its latest reopening), when the
-- cycle started, due and warning times of both targets, breach flags, and
-- sla_due_at, the soonest due time still running (the "due soonest" sort).
ALTER TABLE "tickets" ADD COLUMN "sla_policy_id" bigint;
ALTER TABLE "tickets" ADD COLUMN "sla_cycle" bigint NOT NULL DEFAULT 0;
ALTER TABLE "tickets" ADD COLUMN "sla_started_at" timestamptz;
ALTER TABLE "tickets" ADD COLUMN "first_response_due_at" timestamptz;
ALTER TABLE "tickets" ADD COLUMN "first_response_warn_at" timestamptz;
ALTER TABLE "tickets" ADD COLUMN "resolution_due_at" timestamptz;
ALTER TABLE "tickets" ADD COLUMN "resolution_warn_at" timestamptz;
ALTER TABLE "tickets" ADD COLUMN "first_response_breached" boolean NOT NULL DEFAULT false;
ALTER TABLE "tickets" ADD COLUMN "resolution_breached" boolean NOT NULL DEFAULT false;
ALTER TABLE "tickets" ADD COLUMN "sla_due_at" timestamptz;
CREATE INDEX "ix_ticket_sla_due" ON "tickets" ("status","sla_due_at","id");
-- When an agent last had the web inbox open (an event stream), for
-- presence-derived availability: online agents with no open screen for a
-- while become away.
ALTER TABLE "agents" ADD COLUMN "seen_at" timestamptz;
