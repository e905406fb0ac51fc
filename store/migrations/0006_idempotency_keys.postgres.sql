-- Idempotency-Key of agent replies and notes: a retried request returns the
-- message the first one created. Rows older than the retention are deleted.
CREATE TABLE "idempotency_keys" ("agent_id" bigint NOT NULL,"key" varchar(255) NOT NULL,"request_hash" varchar(64) NOT NULL,"message_id" bigint NOT NULL,"created_at" timestamptz NOT NULL,PRIMARY KEY ("agent_id","key"));
CREATE INDEX "ix_idempotency_keys_created" ON "idempotency_keys"("created_at");
