-- Campaign email open tracking: see the PostgreSQL file.
ALTER TABLE campaigns ADD COLUMN track_opens BOOLEAN NOT NULL DEFAULT 1;
