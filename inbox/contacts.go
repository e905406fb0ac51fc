package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Who a sender is. The rule, in one place:
//
//   - An identity row is a handle a channel vouches for: a channel's own user
//     (widget visitor or site-verified user, Slack, Discord, api user) or a
//     proven email address (the From of a received email, or an address the
//     channel vouches for: a site-verified widget user, a Slack profile, an
//     api channel with trust_email). Email identities are always verified.
//   - An address nobody vouches for (typed into the widget's "leave your
//     email", passed without user_hash, pushed by an api channel without
//     trust_email, a Cc line) is a reply address only: it is kept on
//     contacts.email of the contact that gave it and nowhere else. So it is
//     never found by a lookup, never upgraded to verified, never attracts
//     anyone else's mail and is never a merge key; any number of contacts may
//     hold the same reply address.
//   - Proof takes the address: an unverified email identity (written by
//     releases before this rule) is never upgraded in place; the first
//     verified sender of that address moves it to their own contact, and the
//     old holder keeps the address as its reply address.
//   - A new channel identity with a proven address joins the address's
//     contact; two contacts are merged automatically only when a verified
//     channel identity and a proven address of one message point at
//     different contacts.
//
// planContact decides; applyContactPlan writes.

// sender is a ContactRef after normalization.
type sender struct {
	kind, value  string
	verified     bool
	name, locale string
	// email is the normalized address ("" when none); emailVerified says the
	// channel vouches for it on behalf of a verified sender.
	email         string
	emailVerified bool
}

// normSender validates and normalizes ref.
func normSender(ref ContactRef) (sender, error) {
	s := sender{kind: ref.Kind, value: strings.TrimSpace(ref.ID), verified: ref.Verified,
		name: plaintext.Clip(strings.TrimSpace(ref.Name), 255), locale: plaintext.Clip(strings.TrimSpace(ref.Locale), 35)}
	if s.kind == "" || s.value == "" {
		return sender{}, invalid("contact identity is required")
	}
	if s.kind != IdentityEmail {
		s.email = normEmail(ref.Email)
		s.emailVerified = s.email != "" && ref.EmailVerified && ref.Verified
		return s, nil
	}
	s.value = normEmail(s.value)
	if s.value == "" {
		return sender{}, invalid("contact email %q is not an address", ref.ID)
	}
	if !ref.Verified {
		return sender{}, invalid("an unverified address cannot identify a sender; pass it as the email of the channel's own identity")
	}
	s.email, s.emailVerified = s.value, true
	return s, nil
}

// lockKeys are the advisory lock keys of the identities s may touch.
func (s sender) lockKeys() []string {
	keys := []string{"id:" + s.kind + ":" + s.value}
	if s.email != "" && s.kind != IdentityEmail {
		keys = append(keys, "id:email:"+s.email)
	}
	return keys
}

// foundIdentity is an identity row with its contact's name and email.
type foundIdentity struct {
	ID, ContactID int64
	Verified      bool
	Name, Email   string // of the contact
}

// contactFacts is what the lookups for a sender found.
type contactFacts struct {
	own   *foundIdentity // (kind, value) of the sender
	email *foundIdentity // (email, address) when the sender is not an email identity and gave a proven address
}

// claim is an unverified email identity that a verified sender takes.
type claim struct {
	identityID int64
	holder     int64 // the contact losing it; it keeps the address as its reply address
	address    string
}

// contactPlan is what to write for a sender.
type contactPlan struct {
	// contactID is the contact the sender is; 0 means create one with name,
	// email and locale. For an existing contact name and email are what it
	// holds (as the lookup read them).
	contactID           int64
	name, email, locale string
	// fillName and fillEmail are written to an existing contact's empty fields.
	fillName, fillEmail string
	// mergeFrom is a contact merged into contactID.
	mergeFrom int64
	// addOwn creates the sender's identity (verified as the channel says);
	// addEmail creates a verified email identity for the sender's address.
	addOwn, addEmail bool
	// take moves claims to the contact as verified identities.
	take []claim
}

// planContact decides who a sender is from what the lookups found. It is
// pure: every case of the rule above is a branch of it or of its steps.
func planContact(s sender, f contactFacts) contactPlan {
	var p contactPlan
	cur := p.own(s, f.own)
	if s.kind != IdentityEmail && s.emailVerified {
		cur = p.provenEmail(s, f.email, cur)
	}
	p.settle(s, cur)
	return p
}

// own plans the sender's own identity and returns its contact, if known.
func (p *contactPlan) own(s sender, own *foundIdentity) *foundIdentity {
	switch {
	case own == nil:
		p.addOwn = true
		return nil
	case s.kind == IdentityEmail && !own.Verified:
		// A claim on the address the sender proves: it moves, it is not upgraded.
		p.take = append(p.take, claim{own.ID, own.ContactID, s.value})
		return nil
	}
	return own
}

// provenEmail plans the address a channel vouches for on behalf of a verified
// sender whose contact so far is cur, and returns the contact then decided.
func (p *contactPlan) provenEmail(s sender, e, cur *foundIdentity) *foundIdentity {
	switch {
	case e == nil:
		p.addEmail = true
	case !e.Verified:
		p.take = append(p.take, claim{e.ID, e.ContactID, s.email})
	case cur == nil:
		// A new channel identity with a proven address joins its owner.
		return e
	case e.ContactID != cur.ContactID && cur.Verified:
		// Both sides verified and pointing at different contacts: the same
		// person reached us twice. Merge the newer contact into the older.
		into, from := cur, e
		if from.ContactID < into.ContactID {
			into, from = from, into
		}
		p.mergeFrom = from.ContactID
		return into
	}
	return cur
}

// settle fixes the contact: cur, or a new one named after the sender.
func (p *contactPlan) settle(s sender, cur *foundIdentity) {
	if cur == nil {
		p.name, p.email, p.locale = s.name, s.email, s.locale
		if p.name == "" && s.email != "" {
			p.name, _, _ = strings.Cut(s.email, "@")
		}
		return
	}
	p.contactID, p.name, p.email = cur.ContactID, cur.Name, cur.Email
	if cur.Name == "" {
		p.fillName = s.name
	}
	if cur.Email == "" {
		p.fillEmail = s.email
	}
}

// resolveContact finds or creates the contact of a sender. It returns the ids
// of contacts merged into the result.
func (s *Service) resolveContact(tx *gorm.DB, snd sender) (*store.Contact, []int64, error) {
	if snd.kind == IdentityLink {
		c, err := linkSender(tx, snd.value)
		return c, nil, err
	}
	var f contactFacts
	var err error
	if f.own, err = findIdentityContact(tx, snd.kind, snd.value); err != nil {
		return nil, nil, err
	}
	if snd.kind != IdentityEmail && snd.emailVerified {
		if f.email, err = findIdentityContact(tx, IdentityEmail, snd.email); err != nil {
			return nil, nil, err
		}
	}
	return s.applyContactPlan(tx, snd, planContact(snd, f))
}

// applyContactPlan writes a plan and returns the sender's contact.
func (s *Service) applyContactPlan(tx *gorm.DB, snd sender, p contactPlan) (*store.Contact, []int64, error) {
	var (
		contact *store.Contact
		merged  []int64
		err     error
		ownDone bool
	)
	if p.contactID == 0 && p.addOwn && s.st.Dialect == store.Postgres {
		// A new sender: contact and identity in one round trip.
		contact, err = createContactWithIdentity(tx, p, snd)
		ownDone = true
	} else {
		contact, merged, err = s.planTarget(tx, p)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := fillContact(tx, contact, p); err != nil {
		return nil, nil, err
	}
	if p.addOwn {
		if !ownDone {
			if err := tx.Create(&store.Identity{ContactID: contact.ID, Kind: snd.kind, Value: snd.value, Verified: snd.verified}).Error; err != nil {
				return nil, nil, fmt.Errorf("create identity: %w", err)
			}
		}
		// A widget visitor's pages seen before they had a contact are theirs.
		if snd.kind == IdentityWidget {
			if err := store.ClaimPageViewsTx(tx, snd.value, contact.ID); err != nil {
				return nil, nil, err
			}
		}
	}
	if p.addEmail {
		if err := tx.Create(&store.Identity{ContactID: contact.ID, Kind: IdentityEmail, Value: snd.email, Verified: true}).Error; err != nil {
			return nil, nil, fmt.Errorf("create email identity: %w", err)
		}
	}
	for _, c := range p.take {
		if err := takeClaim(tx, c, contact.ID); err != nil {
			return nil, nil, err
		}
	}
	return contact, merged, nil
}

// planTarget creates or merges the plan's contact and returns it with the
// ids of contacts merged into it.
func (s *Service) planTarget(tx *gorm.DB, p contactPlan) (*store.Contact, []int64, error) {
	switch {
	case p.contactID == 0:
		c := &store.Contact{Name: p.name, Email: p.email, Locale: p.locale}
		if err := tx.Create(c).Error; err != nil {
			return nil, nil, fmt.Errorf("create contact: %w", err)
		}
		return c, nil, nil
	case p.mergeFrom != 0:
		if err := s.mergeContactsTx(tx, p.contactID, p.mergeFrom); err != nil {
			return nil, nil, err
		}
		c, err := loadContact(tx, p.contactID)
		if err != nil {
			return nil, nil, err
		}
		return c, []int64{p.mergeFrom}, nil
	}
	// The lookup read the contact's name and email; no query needed.
	return &store.Contact{ID: p.contactID, Name: p.name, Email: p.email}, nil, nil
}

// createContactWithIdentity creates the plan's new contact and the sender's
// own identity in one statement (PostgreSQL: a data-modifying CTE).
func createContactWithIdentity(tx *gorm.DB, p contactPlan, snd sender) (*store.Contact, error) {
	ts := now()
	c := &store.Contact{Name: p.name, Email: p.email, Locale: p.locale, CreatedAt: ts, UpdatedAt: ts}
	err := tx.Raw(`WITH c AS (INSERT INTO contacts (name, email, locale, time_zone, created_at, updated_at) VALUES (?, ?, ?, '', ?, ?) RETURNING id)
		INSERT INTO identities (contact_id, kind, value, verified, created_at) SELECT id, ?, ?, ?, ? FROM c RETURNING contact_id`,
		p.name, p.email, p.locale, ts, ts, snd.kind, snd.value, snd.verified, ts).Row().Scan(&c.ID)
	if err != nil {
		return nil, fmt.Errorf("create contact and identity: %w", err)
	}
	return c, nil
}

// fillContact writes the plan's fills of empty fields on an existing contact.
func fillContact(tx *gorm.DB, contact *store.Contact, p contactPlan) error {
	up := map[string]any{}
	if p.fillName != "" && contact.Name == "" {
		up["name"], contact.Name = p.fillName, p.fillName
	}
	if p.fillEmail != "" && contact.Email == "" {
		up["email"], contact.Email = p.fillEmail, p.fillEmail
	}
	if len(up) == 0 {
		return nil
	}
	if err := tx.Model(&store.Contact{}).Where("id = ?", contact.ID).Updates(up).Error; err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	return nil
}

// takeClaim moves an unverified email identity to contactID as a verified
// one; the contact that held it keeps the address as its reply address.
func takeClaim(tx *gorm.DB, c claim, contactID int64) error {
	if err := tx.Exec("UPDATE identities SET contact_id = ?, verified = ? WHERE id = ?", contactID, true, c.identityID).Error; err != nil {
		return fmt.Errorf("take address: %w", err)
	}
	if err := tx.Exec("UPDATE contacts SET email = ? WHERE id = ? AND (email IS NULL OR email = '')", c.address, c.holder).Error; err != nil {
		return fmt.Errorf("take address: %w", err)
	}
	return nil
}

// findIdentityContact loads an identity and its contact's name and email in
// one query; nil when there is none.
func findIdentityContact(tx *gorm.DB, kind, value string) (*foundIdentity, error) {
	var f foundIdentity
	var name, email sql.NullString
	err := tx.Raw(`SELECT i.id, i.contact_id, i.verified, c.name, c.email FROM identities i JOIN contacts c ON c.id = i.contact_id
		WHERE i.kind = ? AND i.value = ?`, kind, value).Row().Scan(&f.ID, &f.ContactID, &f.Verified, &name, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("identity lookup: %w", err)
	}
	f.Name, f.Email = name.String, email.String
	return &f, nil
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
	if _, err := store.RecordMergeTx(tx, from, into, now()); err != nil {
		return err
	}
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
	if err := store.MoveProfileTx(tx, from, into); err != nil {
		return err
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

// ContactByIdentity returns the contact owning an identity. For an email
// address that is the contact who proved it; an address someone only typed
// is nobody's identity.
func (s *Service) ContactByIdentity(ctx context.Context, kind, value string) (*store.Contact, error) {
	if kind == IdentityEmail {
		value = normEmail(value)
	}
	f, err := findIdentityContact(s.st.DB.WithContext(ctx), kind, value)
	if err != nil {
		return nil, fmt.Errorf("inbox: contact by identity: %w", err)
	}
	if f == nil || (kind == IdentityEmail && !f.Verified) {
		return nil, store.ErrNotFound
	}
	return s.Contact(ctx, f.ContactID)
}

// SetContactEmail records an address a customer gave (a widget visitor
// leaving their email), so replies can continue by email. The address is
// unverified: it becomes the contact's reply address and nothing else (no
// identity), so it links to, merges with and shows nothing of any contact who
// owns that address, and any number of contacts may give the same one.
func (s *Service) SetContactEmail(ctx context.Context, contactID int64, email string) error {
	email = normEmail(email)
	if email == "" {
		return invalid("not an email address")
	}
	evs := []Event{{Type: EventContactUpdated, ContactID: contactID}}
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&store.Contact{}).Where("id = ?", contactID).Update("email", email)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("contact %d: %w", contactID, store.ErrNotFound)
		}
		return s.recordEvents(tx, evs) // events helper: durable record
	})
	if err != nil {
		return fmt.Errorf("inbox: set contact email: %w", err)
	}
	s.publish(evs...)
	return nil
}
