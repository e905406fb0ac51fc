-- Visits and page views from the widget (see store/pageviews.go); same as the SQLite file.
-- One row per page view: the widget identity that saw it (visitor, the
-- identity value "channel key/visitor id" or ".../user:id") and its contact
-- once the visitor has one (NULL before: claimed when the identity is
-- created). visit_start marks the first view of a visit (no view of the
-- same visitor in the 30 minutes before). Rows are bounded per visitor and
-- by age (PrunePageViews); the counters live in contact_attributes
-- (visits, pages_viewed), so they outlive the pruned rows.
CREATE TABLE page_views (
  id BIGSERIAL PRIMARY KEY,
  contact_id BIGINT,
  origin_contact_id BIGINT,
  visitor TEXT NOT NULL,
  channel_id BIGINT NOT NULL,
  url TEXT NOT NULL,
  path TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  visit_start BOOLEAN NOT NULL DEFAULT FALSE,
  at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_page_views_contact ON page_views (contact_id, at);
CREATE INDEX ix_page_views_visitor ON page_views (visitor, id);
CREATE INDEX ix_page_views_at ON page_views (at);
-- Where a merged contact's profile rows came from, so undoing the merge
-- gives them back (origin_contact_id: the contact a row belonged to before
-- its first merge; NULL when it is where it started).
ALTER TABLE contact_events ADD COLUMN origin_contact_id BIGINT;
ALTER TABLE contact_attributes ADD COLUMN origin_contact_id BIGINT;
-- One row per contact merge: what the merged contact had (JSON: its
-- attribute rows, identity and ticket ids), so an unmerge gives it back and
-- subtracts its counters from the contact it was merged into.
CREATE TABLE contact_merges (
  id BIGSERIAL PRIMARY KEY,
  from_id BIGINT NOT NULL,
  into_id BIGINT NOT NULL,
  snapshot TEXT NOT NULL DEFAULT '{}',
  merged_at TIMESTAMPTZ NOT NULL,
  unmerged_at TIMESTAMPTZ
);
CREATE INDEX ix_contact_merges_from ON contact_merges (from_id, id);
