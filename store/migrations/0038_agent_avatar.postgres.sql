-- An agent's avatar: the SHA-256 of its re-encoded PNG in the blob store ('' = none, initials).
ALTER TABLE agents ADD COLUMN avatar_sum VARCHAR(64) NOT NULL DEFAULT '';
