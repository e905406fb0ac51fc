-- SLA pause (see inbox/sla.go): while a ticket is pending or snoozed its SLA
-- clocks stop. sla_paused_at is when the current pause began (NULL while the
-- clocks run); sla_pauses lists the finished pauses that still count, as a
-- JSON array of {"from","to"}, so due times can be computed again when a
-- policy or the team's business hours change.
ALTER TABLE "tickets" ADD COLUMN "sla_paused_at" timestamptz;
ALTER TABLE "tickets" ADD COLUMN "sla_pauses" text NOT NULL DEFAULT '[]';
