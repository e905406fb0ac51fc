package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// resolveContact finds or creates the contact behind ref. It returns the ids
// of contacts merged into the result (only ever when both identities are
// verified).
func (s *Service) resolveContact(tx *gorm.DB, ref ContactRef) (*store.Contact, []int64, error) {
	kind, value := ref.Kind, strings.TrimSpace(ref.ID)
	if kind == IdentityEmail {
		value = normEmail(value)
		if value == "" {
			return nil, nil, invalid("contact email %q is not an address", ref.ID)
		}
		if ref.Email == "" {
			ref.Email = value
		}
		ref.EmailVerified = ref.EmailVerified || ref.Verified
	}
	email := normEmail(ref.Email)

	var contact *store.Contact
	var merged []int64
	ident, c, err := findIdentityContact(tx, kind, value)
	if err != nil {
		return nil, nil, err
	}
	if ident != nil {
		contact = c
		if ref.Verified && !ident.Verified {
			if err := tx.Model(ident).Update("verified", true).Error; err != nil {
				return nil, nil, fmt.Errorf("verify identity: %w", err)
			}
			ident.Verified = true
		}
	}
	var emailIdent *store.Identity
	if email != "" && kind != IdentityEmail {
		emailIdent, err = findIdentity(tx, IdentityEmail, email)
		if err != nil {
			return nil, nil, err
		}
	}
	switch {
	case contact == nil && emailIdent != nil && ref.EmailVerified && emailIdent.Verified:
		// A verified email links a new channel identity to a known contact.
		c, err := loadContact(tx, emailIdent.ContactID)
		if err != nil {
			return nil, nil, err
		}
		contact = c
	case contact != nil && emailIdent != nil && emailIdent.ContactID != contact.ID &&
		ref.EmailVerified && emailIdent.Verified && ident != nil && ident.Verified:
		// Both sides verified and pointing at different contacts: the same
		// person reached us twice. Merge the newer contact into the older.
		into, from := contact.ID, emailIdent.ContactID
		if from < into {
			into, from = from, into
		}
		if err := s.mergeContactsTx(tx, into, from); err != nil {
			return nil, nil, err
		}
		merged = append(merged, from)
		c, err := loadContact(tx, into)
		if err != nil {
			return nil, nil, err
		}
		contact = c
	}
	if contact == nil {
		contact = &store.Contact{Name: truncateUTF8(strings.TrimSpace(ref.Name), 255), Email: email, Locale: ref.Locale}
		if contact.Name == "" && email != "" {
			contact.Name, _, _ = strings.Cut(email, "@")
		}
		if err := tx.Create(contact).Error; err != nil {
			return nil, nil, fmt.Errorf("create contact: %w", err)
		}
	} else {
		up := map[string]any{}
		if contact.Name == "" && strings.TrimSpace(ref.Name) != "" {
			up["name"] = truncateUTF8(strings.TrimSpace(ref.Name), 255)
		}
		if contact.Email == "" && email != "" {
			up["email"] = email
		}
		if len(up) > 0 {
			if err := tx.Model(contact).Updates(up).Error; err != nil {
				return nil, nil, fmt.Errorf("update contact: %w", err)
			}
		}
	}
	if ident == nil {
		if err := tx.Create(&store.Identity{ContactID: contact.ID, Kind: kind, Value: value, Verified: ref.Verified}).Error; err != nil {
			return nil, nil, fmt.Errorf("create identity: %w", err)
		}
	}
	if email != "" && kind != IdentityEmail && emailIdent == nil {
		// Record the address; unverified unless the channel vouched for it.
		// An address another contact owns is never attached (see above).
		if err := tx.Create(&store.Identity{ContactID: contact.ID, Kind: IdentityEmail, Value: email, Verified: ref.EmailVerified}).Error; err != nil {
			return nil, nil, fmt.Errorf("create email identity: %w", err)
		}
	}
	return contact, merged, nil
}

func findIdentity(tx *gorm.DB, kind, value string) (*store.Identity, error) {
	var id store.Identity
	err := tx.Where("kind = ? AND value = ?", kind, value).Take(&id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("identity lookup: %w", err)
	}
	return &id, nil
}

// findIdentityContact loads an identity and its contact in one query.
func findIdentityContact(tx *gorm.DB, kind, value string) (*store.Identity, *store.Contact, error) {
	var id store.Identity
	var c store.Contact
	err := tx.Raw(`SELECT i.id, i.contact_id, i.verified, c.name, c.email FROM identities i JOIN contacts c ON c.id = i.contact_id
		WHERE i.kind = ? AND i.value = ?`, kind, value).Row().Scan(&id.ID, &id.ContactID, &id.Verified, &c.Name, &c.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("identity lookup: %w", err)
	}
	id.Kind, id.Value, c.ID = kind, value, id.ContactID
	return &id, &c, nil
}

func loadContact(tx *gorm.DB, id int64) (*store.Contact, error) {
	var c store.Contact
	if err := tx.Take(&c, id).Error; err != nil {
		return nil, fmt.Errorf("load contact %d: %w", id, notFound(err))
	}
	return &c, nil
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return store.ErrNotFound
	}
	return err
}

// MergeContacts moves every identity and ticket of contact from into contact
// into, and marks from as merged. Agents use it for duplicates the automatic
// rules could not prove.
func (s *Service) MergeContacts(ctx context.Context, into, from int64) error {
	if into == from {
		return invalid("cannot merge a contact into itself")
	}
	evs := []Event{{Type: EventContactUpdated, ContactID: into, Contact: &ContactChanges{MergedFrom: from}}}
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		if _, err := loadContact(tx, into); err != nil {
			return err
		}
		if _, err := loadContact(tx, from); err != nil {
			return err
		}
		if err := s.mergeContactsTx(tx, into, from); err != nil {
			return err
		}
		return s.recordEvents(tx, evs) // events helper: durable record
	})
	if err != nil {
		return fmt.Errorf("inbox: merge contacts %d into %d: %w", from, into, err)
	}
	s.publish(evs...)
	return nil
}

func (s *Service) mergeContactsTx(tx *gorm.DB, into, from int64) error {
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"UPDATE identities SET contact_id = ? WHERE contact_id = ?", []any{into, from}},
		{"UPDATE tickets SET contact_id = ? WHERE contact_id = ?", []any{into, from}},
		{"UPDATE messages SET author_id = ? WHERE author_type = ? AND author_id = ?", []any{into, store.AuthorContact, from}},
		{"UPDATE contacts SET merged_into = ? WHERE id = ? OR merged_into = ?", []any{into, from, from}},
	} {
		if err := tx.Exec(q.sql, q.args...).Error; err != nil {
			return fmt.Errorf("merge contacts: %w", err)
		}
	}
	var src store.Contact
	if err := tx.Take(&src, from).Error; err != nil {
		return notFound(err)
	}
	return tx.Exec("UPDATE contacts SET email = ? WHERE id = ? AND email = ''", src.Email, into).Error
}

// Contact returns a contact with its identities.
func (s *Service) Contact(ctx context.Context, id int64) (*store.Contact, error) {
	var c store.Contact
	err := s.st.DB.WithContext(ctx).Preload("Identities").Take(&c, id).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: contact %d: %w", id, notFound(err))
	}
	return &c, nil
}

// ContactByIdentity returns the contact owning an identity.
func (s *Service) ContactByIdentity(ctx context.Context, kind, value string) (*store.Contact, error) {
	if kind == IdentityEmail {
		value = normEmail(value)
	}
	id, err := findIdentity(s.st.DB.WithContext(ctx), kind, value)
	if err != nil {
		return nil, err
	}
	if id == nil {
		return nil, store.ErrNotFound
	}
	return s.Contact(ctx, id.ContactID)
}

// SetContactEmail records an address a customer gave (a widget visitor
// leaving their email), so replies can continue by email. The address is
// unverified; if another contact already owns it, it is kept on this contact
// as a reply address only and links nothing.
func (s *Service) SetContactEmail(ctx context.Context, contactID int64, email string) error {
	email = normEmail(email)
	if email == "" {
		return invalid("not an email address")
	}
	evs := []Event{{Type: EventContactUpdated, ContactID: contactID}}
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&store.Contact{}).Where("id = ?", contactID).Update("email", email).Error; err != nil {
			return err
		}
		if err := s.recordEvents(tx, evs); err != nil { // events helper: durable record
			return err
		}
		existing, err := findIdentity(tx, IdentityEmail, email)
		if err != nil || existing != nil {
			return err
		}
		return tx.Create(&store.Identity{ContactID: contactID, Kind: IdentityEmail, Value: email}).Error
	})
	if err != nil {
		return fmt.Errorf("inbox: set contact email: %w", err)
	}
	s.publish(evs...)
	return nil
}
