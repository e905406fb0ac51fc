-- Contact CSV import (contactcsv/, store/contact_import.go).
-- contact_tags: tags of a contact itself (the CSV's tags column), beside the
-- tags of its tickets; segments' tag condition matches either.
CREATE TABLE contact_tags (
  contact_id BIGINT NOT NULL,
  tag VARCHAR(64) NOT NULL,
  PRIMARY KEY (contact_id, tag)
);
CREATE INDEX ix_contact_tags_tag ON contact_tags (tag, contact_id);
-- Dedupe by email looks contacts up by their lower-cased address.
CREATE INDEX ix_contacts_lower_email ON contacts (LOWER(email));
