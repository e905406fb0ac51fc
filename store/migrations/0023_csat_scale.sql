-- The rating scale of a channel's CSAT survey (store/surveys.go): '' or
-- 'faces' (five faces, 1–5), 'numbers' (1–5), 'thumbs' (two choices, stored
-- as 1 and 5 so scores and reports stay on the 1–5 scale).
ALTER TABLE survey_settings ADD COLUMN scale VARCHAR(16) NOT NULL DEFAULT '';
