-- An email address nobody vouched for (typed into the widget, passed without
-- user_hash, pushed by an api channel without trust_email, a Cc line) was an
-- unverified email identity; a verified sender of that address was then filed
-- under whoever had typed it. Such an address is now only the contact's reply
-- address (contacts.email), never an identity.
UPDATE contacts SET email = (
  SELECT MIN(i.value) FROM identities i WHERE i.contact_id = contacts.id AND i.kind = 'email' AND i.verified = FALSE)
WHERE (email IS NULL OR email = '')
  AND EXISTS (SELECT 1 FROM identities i WHERE i.contact_id = contacts.id AND i.kind = 'email' AND i.verified = FALSE);
-- Senders an api channel named only by an unverified address keep their
-- contact under the channel's own identity for that address.
INSERT INTO identities (contact_id, kind, value, verified, created_at)
SELECT DISTINCT i.contact_id, 'api', CAST(m.channel_id AS TEXT) || ':email:' || i.value, TRUE, i.created_at
FROM identities i
JOIN messages m ON m.author_id = i.contact_id AND m.author_type = 'contact' AND m.direction = 'inbound'
JOIN channels c ON c.id = m.channel_id AND c.kind = 'api'
WHERE i.kind = 'email' AND i.verified = FALSE
ON CONFLICT (kind, value) DO NOTHING;
DELETE FROM identities WHERE kind = 'email' AND verified = FALSE;
