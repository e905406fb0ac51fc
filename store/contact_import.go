package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
type ImportRow struct {
	ContactID int64
	Email     string
	Name      string
	Attrs     []ContactAttribute
	Tags      []string
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
	var cs []struct {
		ID         int64
		Email      string
		MergedInto *int64
	}
	// Merged contacts are dropped here, not in SQL: with merged_into in the
	// WHERE clause SQLite picks that column's index and scans every
	// unmerged contact instead of the LOWER(email) index.
	if err := db.Raw(`SELECT id, LOWER(email) AS email, merged_into FROM contacts WHERE LOWER(email) IN ? ORDER BY id`, emails).
		Scan(&cs).Error; err != nil {
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
// contact.updated events in the same transaction).
func ApplyImportTx(tx *gorm.DB, rows []ImportRow) error {
	var creates []Contact
	var createdAt []int
	for i, r := range rows {
		if r.ContactID != 0 {
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
		if err := tx.CreateInBatches(&creates, 200).Error; err != nil {
			return fmt.Errorf("store: import: create contacts: %w", err)
		}
		for j, i := range createdAt {
			rows[i].ContactID = creates[j].ID
		}
	}
	var attrs []ContactAttribute
	var tags []ContactTag
	for i, r := range rows {
		created := slices.Contains(createdAt, i)
		if !created {
			upd := map[string]any{}
			if r.Name != "" {
				upd["name"] = r.Name
			}
			for _, a := range r.Attrs {
				if col, ok := contactColumns[a.Key]; ok && a.Text != nil {
					upd[col] = *a.Text
				}
			}
			if len(upd) > 0 {
				if err := tx.Model(&Contact{}).Where("id = ?", r.ContactID).Updates(upd).Error; err != nil {
					return fmt.Errorf("store: import: update contact %d: %w", r.ContactID, err)
				}
			}
		}
		for _, a := range r.Attrs {
			if _, ok := contactColumns[a.Key]; ok {
				continue
			}
			a.ContactID = r.ContactID
			attrs = append(attrs, a)
		}
		for _, t := range r.Tags {
			tags = append(tags, ContactTag{ContactID: r.ContactID, Tag: t})
		}
	}
	if len(attrs) > 0 {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "contact_id"}, {Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"type", "text_value", "num_value", "bool_value", "time_value"}),
		}).CreateInBatches(&attrs, 200).Error
		if err != nil {
			return fmt.Errorf("store: import: attributes: %w", err)
		}
	}
	if len(tags) > 0 {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&tags, 300).Error; err != nil {
			return fmt.Errorf("store: import: tags: %w", err)
		}
	}
	return nil
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
