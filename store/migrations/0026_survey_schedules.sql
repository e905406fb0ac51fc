-- NPS schedules from another anchor than the first conversation
-- (store/nps.go): anchor '' or 'first_conversation' (as before),
-- 'attribute' (the contact's date attribute anchor_attribute, e.g.
-- signup_date) or 'date' (the calendar date anchor_date, YYYY-MM-DD, for
-- everyone in the audience, e.g. the VIP tag on 2027-01-15).
ALTER TABLE nps_surveys ADD COLUMN anchor VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE nps_surveys ADD COLUMN anchor_attribute VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE nps_surveys ADD COLUMN anchor_date VARCHAR(10) NOT NULL DEFAULT '';
-- The CSAT frequency cap per channel (store/surveys.go): no CSAT request to
-- a contact who was asked any survey about another conversation in the last
-- cap_days days (0: ask after every resolution). Existing channels keep
-- asking after every resolution; new settings default to 30 in code.
ALTER TABLE survey_settings ADD COLUMN cap_days BIGINT NOT NULL DEFAULT 0;
-- A survey shown in two places (an NPS request by email that the widget
-- also shows on the next visit): the widget's copy of the request message.
-- One survey row, so an answer in either place answers both.
ALTER TABLE surveys ADD COLUMN widget_message_id BIGINT;
