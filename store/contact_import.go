package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ContactTag is a tag of a contact itself (imported from a CSV's tags
// column), as opposed to the tags of its tickets. Segments' tag condition
// matches either.
type ContactTag struct {
	ContactID int64  `gorm:"primaryKey;autoIncrement:false"`
	Tag       string `gorm:"primaryKey;size:64"`
}

// ImportRow is one contact of an import batch: ContactID 0 creates a
// contact with Email; otherwise the contact is updated. Name "" keeps the
// stored name. Attrs replace the stored values of their keys (locale and
// time zone go to the contact row); Tags are added.
//
// ApplyImportTx sets the rest: Changed when the row created the contact or
// changed its name, an attribute or its tags, and ChangedAttrs the keys of
// the attributes whose values it changed. A row that matches what is
// stored writes nothing.
type ImportRow struct {
	ContactID int64
	Email     string
	Name      string
	Attrs     []ContactAttribute
	Tags      []string

	Changed      bool
	ChangedAttrs []string
}

// ContactIDsByEmail maps each of the (lower-case) addresses to the contact
// an import updates for it: the owner of the verified email identity, else
// the oldest contact (not merged away) whose reply address it is. Addresses
// with neither are absent.
func (s *Store) ContactIDsByEmail(ctx context.Context, emails []string) (map[string]int64, error) {
	out := make(map[string]int64, len(emails))
	if len(emails) == 0 {
		return out, nil
	}
	db := s.DB.WithContext(ctx)
	var ids []struct {
		ContactID int64
		Value     string
	}
	if err := db.Raw(`SELECT i.contact_id, i.value FROM identities i JOIN contacts c ON c.id = i.contact_id
		WHERE i.kind = 'email' AND i.verified AND c.merged_into IS NULL AND i.value IN ?`, emails).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("store: contacts by identity: %w", err)
	}
	for _, r := range ids {
		out[r.Value] = r.ContactID
	}
	type byEmail struct {
		ID         int64
		Email      string
		MergedInto *int64
	}
	var cs []byEmail
	if s.Dialect == Postgres {
		// One index probe per address: until statistics are gathered (an
		// import outruns them) PostgreSQL answers a list of hundreds of
		// addresses, in an IN or a join, by scanning the whole table;
		// OFFSET 0 keeps the lateral subquery a per-address lookup.
		sqlDB, err := s.DB.DB()
		if err != nil {
			return nil, fmt.Errorf("store: contacts by email: %w", err)
		}
		rows, err := sqlDB.QueryContext(ctx, `SELECT c.id, u.e, c.merged_into FROM unnest($1::text[]) AS u(e)
			CROSS JOIN LATERAL (SELECT id, merged_into FROM contacts WHERE LOWER(email) = u.e OFFSET 0) c ORDER BY c.id`, emails)
		if err != nil {
			return nil, fmt.Errorf("store: contacts by email: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c byEmail
			if err := rows.Scan(&c.ID, &c.Email, &c.MergedInto); err != nil {
				return nil, fmt.Errorf("store: contacts by email: %w", err)
			}
			cs = append(cs, c)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: contacts by email: %w", err)
		}
	} else if err := db.Raw(`SELECT id, LOWER(email) AS email, merged_into FROM contacts WHERE LOWER(email) IN ? ORDER BY id`, emails).
		Scan(&cs).Error; err != nil {
		// Merged contacts are dropped below, not in SQL: with merged_into
		// in the WHERE clause SQLite picks that column's index and scans
		// every unmerged contact instead of the LOWER(email) index.
		return nil, fmt.Errorf("store: contacts by email: %w", err)
	}
	for _, c := range cs {
		if _, ok := out[c.Email]; !ok && c.MergedInto == nil {
			out[c.Email] = c.ID
		}
	}
	return out, nil
}

// ApplyImport writes one batch of imported contacts in one transaction and
// sets the ContactID of the rows it created.
func (s *Store) ApplyImport(ctx context.Context, rows []ImportRow) error {
	return s.Tx(ctx, func(tx *gorm.DB) error { return ApplyImportTx(tx, rows) })
}

// ApplyImportTx is ApplyImport inside tx (the inbox records the batch's
// contact.updated events in the same transaction). It reads what the
// updated contacts hold first and writes only what differs; on PostgreSQL
// each table's rows go in one statement (arrays unnested), which saves the
// round trips and statement planning of many small inserts.
func ApplyImportTx(tx *gorm.DB, rows []ImportRow) error {
	pg := tx.Dialector.Name() == Postgres
	var creates []Contact
	var createdAt []int
	var updIDs []int64
	for i := range rows {
		r := &rows[i]
		r.Changed, r.ChangedAttrs = false, nil
		if r.ContactID != 0 {
			updIDs = append(updIDs, r.ContactID)
			continue
		}
		c := Contact{Name: r.Name, Email: r.Email}
		for _, a := range r.Attrs {
			if a.Text != nil && a.Key == AttrLocale {
				c.Locale = *a.Text
			} else if a.Text != nil && a.Key == AttrTimeZone {
				c.TimeZone = *a.Text
			}
		}
		creates = append(creates, c)
		createdAt = append(createdAt, i)
	}
	if len(creates) > 0 {
		if err := createContacts(tx, pg, creates); err != nil {
			return fmt.Errorf("store: import: create contacts: %w", err)
		}
		for j, i := range createdAt {
			rows[i].ContactID = creates[j].ID
			rows[i].Changed = true
		}
	}
	cur, err := importState(tx, updIDs)
	if err != nil {
		return err
	}
	var attrs []ContactAttribute
	var tags []ContactTag
	for i := range rows {
		r := &rows[i]
		old, updating := cur.contacts[r.ContactID]
		if updating {
			upd := map[string]any{}
			if r.Name != "" && r.Name != old.Name {
				upd["name"] = r.Name
			}
			for _, a := range r.Attrs {
				col, ok := contactColumns[a.Key]
				if !ok || a.Text == nil {
					continue
				}
				if stored := map[string]string{"locale": old.Locale, "time_zone": old.TimeZone}[col]; stored != *a.Text {
					upd[col] = *a.Text
					r.ChangedAttrs = append(r.ChangedAttrs, a.Key)
				}
			}
			if len(upd) > 0 {
				r.Changed = true
				if err := tx.Model(&Contact{}).Where("id = ?", r.ContactID).Updates(upd).Error; err != nil {
					return fmt.Errorf("store: import: update contact %d: %w", r.ContactID, err)
				}
			}
		}
		for _, a := range r.Attrs {
			if _, ok := contactColumns[a.Key]; ok {
				if !updating {
					r.ChangedAttrs = append(r.ChangedAttrs, a.Key)
				}
				continue
			}
			a.ContactID = r.ContactID
			if stored, ok := cur.attrs[attrKey{r.ContactID, a.Key}]; updating && ok && sameAttrValue(stored, a) {
				continue
			}
			attrs = append(attrs, a)
			r.Changed = true
			r.ChangedAttrs = append(r.ChangedAttrs, a.Key)
		}
		for _, t := range r.Tags {
			if updating && cur.tags[ContactTag{ContactID: r.ContactID, Tag: t}] {
				continue
			}
			tags = append(tags, ContactTag{ContactID: r.ContactID, Tag: t})
			r.Changed = true
		}
	}
	if len(attrs) > 0 {
		if err := upsertAttrs(tx, pg, attrs); err != nil {
			return fmt.Errorf("store: import: attributes: %w", err)
		}
	}
	if len(tags) > 0 {
		if err := insertTags(tx, pg, tags); err != nil {
			return fmt.Errorf("store: import: tags: %w", err)
		}
	}
	return nil
}

type attrKey struct {
	contactID int64
	key       string
}

// importedState is what the contacts an import batch updates hold now.
type importedState struct {
	contacts map[int64]Contact
	attrs    map[attrKey]ContactAttribute
	tags     map[ContactTag]bool
}

func importState(tx *gorm.DB, ids []int64) (*importedState, error) {
	st := &importedState{contacts: map[int64]Contact{}, attrs: map[attrKey]ContactAttribute{}, tags: map[ContactTag]bool{}}
	if len(ids) == 0 {
		return st, nil
	}
	var cs []Contact
	if err := tx.Select("id", "name", "locale", "time_zone").Where("id IN ?", ids).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: import: contacts: %w", err)
	}
	for _, c := range cs {
		st.contacts[c.ID] = c
	}
	var as []ContactAttribute
	if err := tx.Where("contact_id IN ?", ids).Find(&as).Error; err != nil {
		return nil, fmt.Errorf("store: import: stored attributes: %w", err)
	}
	for _, a := range as {
		st.attrs[attrKey{a.ContactID, a.Key}] = a
	}
	var ts []ContactTag
	if err := tx.Where("contact_id IN ?", ids).Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("store: import: stored tags: %w", err)
	}
	for _, t := range ts {
		st.tags[t] = true
	}
	return st, nil
}

// sameAttrValue reports whether writing b over a changes nothing.
func sameAttrValue(a, b ContactAttribute) bool {
	return a.Type == b.Type && a.Origin == nil && eqPtr(a.Text, b.Text) && eqPtr(a.Num, b.Num) && eqPtr(a.Bool, b.Bool) && eqPtr(a.Time, b.Time)
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// pgExec runs a statement as written, without gorm's expansion of slice
// arguments (PostgreSQL reads them as arrays).
func pgExec(tx *gorm.DB, sql string, args ...any) error {
	_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, sql, args...)
	return err
}

func createContacts(tx *gorm.DB, pg bool, cs []Contact) error {
	if !pg {
		return tx.Omit("Identities").CreateInBatches(&cs, 200).Error
	}
	now := time.Now()
	names, emails, locales, zones := make([]string, len(cs)), make([]string, len(cs)), make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		names[i], emails[i], locales[i], zones[i] = c.Name, c.Email, c.Locale, c.TimeZone
	}
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, `INSERT INTO contacts (name, email, locale, time_zone, created_at, updated_at)
		SELECT n, e, l, z, $5, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(n, e, l, z) RETURNING id, email`,
		names, emails, locales, zones, now)
	if err != nil {
		return err
	}
	defer rows.Close()
	// The batch's addresses are distinct (repeats fold into one row).
	ids := make(map[string]int64, len(cs))
	for rows.Next() {
		var id int64
		var email string
		if err := rows.Scan(&id, &email); err != nil {
			return err
		}
		ids[email] = id
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range cs {
		if cs[i].ID = ids[cs[i].Email]; cs[i].ID == 0 {
			return fmt.Errorf("no id returned for %q", cs[i].Email)
		}
		cs[i].CreatedAt, cs[i].UpdatedAt = now, now
	}
	return nil
}

func upsertAttrs(tx *gorm.DB, pg bool, attrs []ContactAttribute) error {
	if !pg {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "contact_id"}, {Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"type", "text_value", "num_value", "bool_value", "time_value", "origin_contact_id"}),
		}).CreateInBatches(&attrs, 200).Error
	}
	// One statement may not update a row twice: two rows of a batch can
	// name the same contact (one by identity, one by address); the later
	// value wins, as it would row by row.
	last := make(map[attrKey]int, len(attrs))
	for i, a := range attrs {
		last[attrKey{a.ContactID, a.Key}] = i
	}
	if len(last) < len(attrs) {
		kept := attrs[:0:0]
		for i, a := range attrs {
			if last[attrKey{a.ContactID, a.Key}] == i {
				kept = append(kept, a)
			}
		}
		attrs = kept
	}
	n := len(attrs)
	ids, keys, types := make([]int64, n), make([]string, n), make([]string, n)
	texts, nums, bools, times := make([]*string, n), make([]*float64, n), make([]*bool, n), make([]*int64, n)
	for i, a := range attrs {
		ids[i], keys[i], types[i], texts[i], nums[i], bools[i], times[i] = a.ContactID, a.Key, a.Type, a.Text, a.Num, a.Bool, a.Time
	}
	return pgExec(tx, `INSERT INTO contact_attributes (contact_id, key, type, text_value, num_value, bool_value, time_value)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::boolean[], $7::bigint[])
		ON CONFLICT (contact_id, key) DO UPDATE SET type = EXCLUDED.type, text_value = EXCLUDED.text_value, num_value = EXCLUDED.num_value,
		bool_value = EXCLUDED.bool_value, time_value = EXCLUDED.time_value, origin_contact_id = NULL`, ids, keys, types, texts, nums, bools, times)
}

func insertTags(tx *gorm.DB, pg bool, tags []ContactTag) error {
	if !pg {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&tags, 300).Error
	}
	ids, names := make([]int64, len(tags)), make([]string, len(tags))
	for i, t := range tags {
		ids[i], names[i] = t.ContactID, t.Tag
	}
	return pgExec(tx, `INSERT INTO contact_tags (contact_id, tag) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING`, ids, names)
}

// ContactTagsOf returns the contacts' own tags by contact id, sorted.
func (s *Store) ContactTagsOf(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []ContactTag
	if err := s.DB.WithContext(ctx).Where("contact_id IN ?", ids).Order("contact_id, tag").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: contact tags: %w", err)
	}
	for _, r := range rows {
		out[r.ContactID] = append(out[r.ContactID], r.Tag)
	}
	return out, nil
}

// ContactExportFilter selects the contacts of an export: Query as for
// SearchContacts, Tag a tag of the contact (its own or one of its tickets').
type ContactExportFilter struct {
	Query string
	Tag   string
}

// ContactsPage returns up to limit contacts (not merged away) with an id
// below before (0: from the newest), newest first, with their identities:
// the export reads every contact this way in bounded pages.
func (s *Store) ContactsPage(ctx context.Context, f ContactExportFilter, before int64, limit int) ([]Contact, error) {
	db := s.DB.WithContext(ctx).Model(&Contact{}).Where("merged_into IS NULL")
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + EscapeLike(strings.ToLower(q)) + "%"
		db = db.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\' OR id IN (SELECT contact_id FROM identities WHERE LOWER(value) LIKE ? ESCAPE '\'))`,
			like, like, like)
	}
	if t := strings.TrimSpace(f.Tag); t != "" {
		db = db.Where(`(EXISTS (SELECT 1 FROM contact_tags g WHERE g.contact_id = contacts.id AND g.tag = ?)
			OR EXISTS (SELECT 1 FROM tickets t JOIN ticket_tags g ON g.ticket_id = t.id WHERE t.contact_id = contacts.id AND g.tag = ?))`, t, t)
	}
	if before > 0 {
		db = db.Where("id < ?", before)
	}
	var out []Contact
	if err := db.Preload("Identities").Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: contacts page: %w", err)
	}
	return out, nil
}

// AttributesOf returns the stored attribute values of the contacts by
// contact id (the contact-row built-ins are not here).
func (s *Store) AttributesOf(ctx context.Context, ids []int64) (map[int64][]ContactAttribute, error) {
	out := map[int64][]ContactAttribute{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []ContactAttribute
	if err := s.DB.WithContext(ctx).Where("contact_id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: attributes of contacts: %w", err)
	}
	for _, r := range rows {
		out[r.ContactID] = append(out[r.ContactID], r)
	}
	return out, nil
}
