-- Files a widget visitor uploaded but that may not be on a message yet.
-- A row reserves quota until its file is attached (the row is then deleted)
-- or collected after the channel's grace period.
CREATE TABLE "uploads" ("id" bigserial,"channel_id" bigint NOT NULL,"owner" varchar(320) NOT NULL,"sha256" varchar(64) NOT NULL,"size" bigint NOT NULL,"created_at" timestamptz NOT NULL,PRIMARY KEY ("id"));
CREATE INDEX "ix_upload_owner" ON "uploads" ("channel_id","owner");
CREATE INDEX "ix_upload_sha256" ON "uploads" ("sha256");
CREATE INDEX "ix_upload_created" ON "uploads" ("created_at");
