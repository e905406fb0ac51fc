package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// Profile limits.
const (
	MaxAttributeText  = 1000
	MaxEventProps     = 16 << 10 // bytes of an event's properties as JSON
	MaxAttributeLabel = 200
	MaxSegmentName    = 200
)

var (
	attrKeyRe   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	eventNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)
)

// AttributeDefs returns the built-in definitions, then the custom ones by key.
func (s *Service) AttributeDefs(ctx context.Context) ([]store.AttributeDef, error) {
	custom, err := s.st.AttributeDefs(ctx)
	if err != nil {
		return nil, err
	}
	return append(store.BuiltinAttributes(), custom...), nil
}

// attributeDef returns the definition of key (built-in or custom);
// ErrNotFound when there is none.
func (s *Service) attributeDef(ctx context.Context, key string) (store.AttributeDef, error) {
	if b, ok := store.BuiltinAttribute(key); ok {
		return b, nil
	}
	d, err := s.st.AttributeDefOf(ctx, key)
	if err != nil {
		return store.AttributeDef{}, err
	}
	return *d, nil
}

// CreateAttributeDef defines a custom attribute. The key is lowercase
// letters, digits and underscores, and not a built-in's.
func (s *Service) CreateAttributeDef(ctx context.Context, d store.AttributeDef) (*store.AttributeDef, error) {
	d.Key = strings.TrimSpace(d.Key)
	if !attrKeyRe.MatchString(d.Key) {
		return nil, invalid("attribute key must be 1–64 lowercase letters, digits or underscores, starting with a letter")
	}
	if _, ok := store.BuiltinAttribute(d.Key); ok {
		return nil, invalid("%q is a built-in attribute", d.Key)
	}
	if store.AttributeOps(d.Type) == nil {
		return nil, invalid("attribute type must be text, number, boolean or date")
	}
	if err := checkLabels(&d); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = now(), now()
	if err := s.st.CreateAttributeDef(ctx, &d); err != nil {
		if store.IsDuplicate(err) {
			return nil, invalid("attribute %q already exists", d.Key)
		}
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return &d, nil
}

func checkLabels(d *store.AttributeDef) error {
	d.LabelKo, d.LabelEn = strings.TrimSpace(d.LabelKo), strings.TrimSpace(d.LabelEn)
	if d.LabelKo == "" && d.LabelEn == "" {
		return invalid("an attribute needs a label")
	}
	if utf8.RuneCountInString(d.LabelKo) > MaxAttributeLabel || utf8.RuneCountInString(d.LabelEn) > MaxAttributeLabel {
		return invalid("labels are at most %d characters", MaxAttributeLabel)
	}
	return nil
}

// UpdateAttributeDef changes a custom attribute's labels; its type stays.
func (s *Service) UpdateAttributeDef(ctx context.Context, key, labelKo, labelEn string) (*store.AttributeDef, error) {
	if _, ok := store.BuiltinAttribute(key); ok {
		return nil, invalid("built-in attributes cannot be changed")
	}
	d := store.AttributeDef{Key: key, LabelKo: labelKo, LabelEn: labelEn}
	if err := checkLabels(&d); err != nil {
		return nil, err
	}
	if err := s.st.UpdateAttributeLabels(ctx, key, d.LabelKo, d.LabelEn, now()); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return s.st.AttributeDefOf(ctx, key)
}

// DeleteAttributeDef removes a custom attribute and its values. Segments
// that name it stop validating until edited.
func (s *Service) DeleteAttributeDef(ctx context.Context, key string) error {
	if _, ok := store.BuiltinAttribute(key); ok {
		return invalid("built-in attributes cannot be deleted")
	}
	if err := s.st.DeleteAttributeDef(ctx, key); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// AttributeSource says who sets attributes: the read-only built-ins
// (counters, seen times) are Hanbox's own and refused from everyone.
type AttributeSource string

// Attribute sources.
const (
	SourceAgent  AttributeSource = "agent"
	SourceAPI    AttributeSource = "api"
	SourceWidget AttributeSource = "widget" // identify with a verified user_hash
)

// SetContactAttributes sets a contact's attributes from JSON-shaped values
// (string, number, bool; dates as "YYYY-MM-DD" or RFC 3339 strings; nil
// unsets). Each value is checked against its definition's type; unknown
// keys and read-only built-ins are refused. All or nothing.
func (s *Service) SetContactAttributes(ctx context.Context, contactID int64, values map[string]any, src AttributeSource) error {
	if len(values) == 0 {
		return nil
	}
	if len(values) > 100 {
		return invalid("at most 100 attributes at once")
	}
	var set []store.ContactAttribute
	var unset, keys []string
	for key, v := range values {
		d, err := s.attributeDef(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return invalidAs("unknown_attribute", map[string]any{"key": key}, "unknown attribute %q (define it first)", key)
		} else if err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
		if d.ReadOnly {
			return invalid("attribute %q is kept by Hanbox and cannot be set", key)
		}
		keys = append(keys, key)
		if v == nil {
			unset = append(unset, key)
			continue
		}
		a, err := TypedAttribute(d, v)
		if err != nil {
			return err
		}
		set = append(set, a)
	}
	ev := Event{Type: EventContactUpdated, ContactID: contactID, Contact: &ContactChanges{Attributes: sortedKeys(keys)}}
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		if _, err := loadContact(tx, contactID); err != nil {
			return err
		}
		if err := store.PutContactAttributesTx(tx, contactID, set, unset); err != nil {
			return err
		}
		return s.recordEvents(tx, []Event{ev}) // events helper: durable record
	})
	if err != nil {
		return fmt.Errorf("inbox: set attributes of contact %d (%s): %w", contactID, src, err)
	}
	s.publish(ev)
	return nil
}

func sortedKeys(keys []string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return out
}

// TypedAttribute checks a JSON-shaped value (or a form's text) against a
// definition and returns it typed.
func TypedAttribute(d store.AttributeDef, v any) (store.ContactAttribute, error) {
	a := store.ContactAttribute{Key: d.Key, Type: d.Type}
	bad := func(want string) error {
		return invalidAs("attribute_type", map[string]any{"key": d.Key, "type": d.Type}, "attribute %q needs %s", d.Key, want)
	}
	switch d.Type {
	case store.AttrText:
		s, ok := v.(string)
		if !ok {
			return a, bad("a string")
		}
		s = strings.TrimSpace(strings.ReplaceAll(s, "\x00", ""))
		if utf8.RuneCountInString(s) > MaxAttributeText {
			return a, invalid("attribute %q is longer than %d characters", d.Key, MaxAttributeText)
		}
		if d.Key == store.AttrTimeZone && s != "" {
			if _, err := time.LoadLocation(s); err != nil || s == "Local" {
				return a, invalid("time zone %q is not an IANA zone (Asia/Seoul)", s)
			}
		}
		a.Text = &s
	case store.AttrNumber:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case int:
			f = float64(x)
		case int64:
			f = float64(x)
		case json.Number:
			g, err := x.Float64()
			if err != nil {
				return a, bad("a number")
			}
			f = g
		case string:
			g, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return a, bad("a number")
			}
			f = g
		default:
			return a, bad("a number")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return a, bad("a finite number")
		}
		a.Num = &f
	case store.AttrBoolean:
		var b bool
		switch x := v.(type) {
		case bool:
			b = x
		case string:
			switch x {
			case "true", "on", "1":
				b = true
			case "false", "off", "0", "":
			default:
				return a, bad("true or false")
			}
		default:
			return a, bad("true or false")
		}
		a.Bool = &b
	case store.AttrDate:
		s, ok := v.(string)
		if !ok {
			return a, bad(`a date ("2026-12-03" or RFC 3339)`)
		}
		t, err := store.ParseDate(s)
		if err != nil {
			return a, bad(`a date ("2026-12-03" or RFC 3339)`)
		}
		u := t.Unix()
		a.Time = &u
	default:
		return a, bad("a known type")
	}
	return a, nil
}

// Profile is a contact's attributes (every definition, with the contact's
// value or nil) and latest events.
type Profile struct {
	Contact    *store.Contact
	Attributes []ProfileAttribute
	Events     []store.ContactEvent
}

// ProfileAttribute is one definition with the contact's value.
type ProfileAttribute struct {
	Def   store.AttributeDef
	Value any // string, float64, bool, time.Time; nil when not set
}

// ContactProfile returns a contact's profile with up to events latest events.
func (s *Service) ContactProfile(ctx context.Context, contactID int64, events int) (*Profile, error) {
	c, err := s.Contact(ctx, contactID)
	if err != nil {
		return nil, err
	}
	defs, err := s.AttributeDefs(ctx)
	if err != nil {
		return nil, err
	}
	vals, err := s.st.ContactAttributes(ctx, contactID)
	if err != nil {
		return nil, err
	}
	byKey := map[string]any{}
	for _, v := range vals {
		byKey[v.Key] = v.Value()
	}
	if c.Locale != "" {
		byKey[store.AttrLocale] = c.Locale
	}
	if c.TimeZone != "" {
		byKey[store.AttrTimeZone] = c.TimeZone
	}
	p := &Profile{Contact: c}
	for _, d := range defs {
		p.Attributes = append(p.Attributes, ProfileAttribute{Def: d, Value: byKey[d.Key]})
	}
	if p.Events, err = s.st.ContactEvents(ctx, contactID, events); err != nil {
		return nil, err
	}
	return p, nil
}

// AttributeValues returns a profile's set values by key, JSON-shaped:
// dates as RFC 3339 strings.
func (p *Profile) AttributeValues() map[string]any {
	out := map[string]any{}
	for _, a := range p.Attributes {
		switch v := a.Value.(type) {
		case nil:
		case time.Time:
			out[a.Def.Key] = v.Format(time.RFC3339)
		default:
			out[a.Def.Key] = v
		}
	}
	return out
}

// ContactEventInput is an event reported for a contact.
type ContactEventInput struct {
	Name       string
	At         time.Time // zero: now
	Properties map[string]any
}

// RecordContactEvent stores an event of a contact and records a durable
// contact.updated naming it, for consumers (segments, campaigns).
func (s *Service) RecordContactEvent(ctx context.Context, contactID int64, in ContactEventInput) (*store.ContactEvent, error) {
	if !eventNameRe.MatchString(in.Name) {
		return nil, invalid("event name must be 1–64 letters, digits, _ . : or -, starting with a letter or digit")
	}
	ts := now()
	at := in.At.UTC().Truncate(time.Microsecond)
	if in.At.IsZero() {
		at = ts
	}
	if at.After(ts.Add(24 * time.Hour)) {
		return nil, invalid("event time is in the future")
	}
	if b, err := json.Marshal(in.Properties); err != nil || len(b) > MaxEventProps {
		return nil, invalid("properties must be a JSON object of at most %d bytes", MaxEventProps)
	}
	e := &store.ContactEvent{ContactID: contactID, Name: in.Name, At: at, Properties: store.JSONMap(in.Properties), CreatedAt: ts}
	if e.Properties == nil {
		e.Properties = store.JSONMap{}
	}
	var ev Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		if _, err := loadContact(tx, contactID); err != nil {
			return err
		}
		if err := tx.Create(e).Error; err != nil {
			return fmt.Errorf("store event: %w", err)
		}
		ev = Event{Type: EventContactUpdated, ContactID: contactID, Contact: &ContactChanges{Event: e.Name, EventID: e.ID}}
		return s.recordEvents(tx, []Event{ev}) // events helper: durable record
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: record event of contact %d: %w", contactID, err)
	}
	s.publish(ev)
	return e, nil
}

// FindContact resolves a contact reference from the API: all digits is a
// contact id; an address with @ is an email (the contact's address, or a
// proven email identity); anything else, or a reference starting with
// "user:", is the external user id the site signs for the widget (a
// numeric external id is therefore written "user:42"). A merged contact
// resolves to the contact it was merged into.
func (s *Service) FindContact(ctx context.Context, ref string) (*store.Contact, error) {
	ref = strings.TrimSpace(ref)
	db := s.st.DB.WithContext(ctx)
	var id int64
	switch {
	case ref == "":
		return nil, invalid("contact reference is required")
	case strings.HasPrefix(ref, "user:") || (!isDigits(ref) && !strings.Contains(ref, "@")):
		uid := strings.TrimPrefix(ref, "user:")
		if uid == "" {
			return nil, invalid("user id is required")
		}
		var idents []store.Identity
		if err := db.Where("kind = ? AND value LIKE ? ESCAPE '\\'", IdentityWidget, "%/user:"+store.EscapeLike(uid)).Order("id").Limit(1).Find(&idents).Error; err != nil {
			return nil, fmt.Errorf("inbox: find contact: %w", err)
		}
		if len(idents) == 0 {
			return nil, fmt.Errorf("inbox: contact %q: %w", ref, ErrNotFound)
		}
		id = idents[0].ContactID
	case strings.Contains(ref, "@"):
		email := normEmail(ref)
		if c, err := s.ContactByIdentity(ctx, IdentityEmail, email); err == nil {
			id = c.ID
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		} else {
			var cs []store.Contact
			if err := db.Where("LOWER(email) = ? AND merged_into IS NULL", email).Order("id").Limit(1).Find(&cs).Error; err != nil {
				return nil, fmt.Errorf("inbox: find contact: %w", err)
			}
			if len(cs) == 0 {
				return nil, fmt.Errorf("inbox: contact %q: %w", ref, ErrNotFound)
			}
			id = cs[0].ID
		}
	default:
		n, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return nil, invalid("contact id is out of range")
		}
		id = n
	}
	id, err := mergedContact(db, id)
	if err != nil {
		return nil, err
	}
	return s.Contact(ctx, id)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Segments returns the saved segments.
func (s *Service) Segments(ctx context.Context) ([]store.Segment, error) { return s.st.Segments(ctx) }

// Segment returns a saved segment.
func (s *Service) Segment(ctx context.Context, id int64) (*store.Segment, error) {
	return s.st.SegmentOf(ctx, id)
}

// SaveSegment validates and saves a segment (ID 0 creates one).
func (s *Service) SaveSegment(ctx context.Context, sg *store.Segment) error {
	sg.Name = strings.TrimSpace(sg.Name)
	if sg.Name == "" || utf8.RuneCountInString(sg.Name) > MaxSegmentName {
		return invalid("a segment needs a name of at most %d characters", MaxSegmentName)
	}
	if err := s.checkSegment(ctx, sg.Definition); err != nil {
		return err
	}
	sg.UpdatedAt = now()
	if sg.ID == 0 {
		sg.CreatedAt = sg.UpdatedAt
	}
	if err := s.st.SaveSegment(ctx, sg); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

func (s *Service) checkSegment(ctx context.Context, d store.SegmentDef) error {
	if err := s.st.ValidateSegment(ctx, d); err != nil {
		if errors.Is(err, store.ErrInvalidSegment) {
			return invalid("%s", err.Error())
		}
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// DeleteSegment removes a segment.
func (s *Service) DeleteSegment(ctx context.Context, id int64) error {
	if err := s.st.DeleteSegment(ctx, id); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// SegmentPreview is a definition's count and first contacts.
type SegmentPreview struct {
	Count    int64
	Contacts []store.Contact
}

// PreviewSegment counts a (possibly unsaved) definition's contacts at now
// and lists up to limit of them, newest first, after beforeID (0: from the
// newest).
func (s *Service) PreviewSegment(ctx context.Context, d store.SegmentDef, at time.Time, beforeID int64, limit int) (*SegmentPreview, error) {
	if err := s.checkSegment(ctx, d); err != nil {
		return nil, err
	}
	n, err := s.st.SegmentCount(ctx, d, at)
	if err != nil {
		return nil, err
	}
	var cs []store.Contact
	if limit > 0 {
		if cs, err = s.st.SegmentContacts(ctx, d, at, beforeID, limit); err != nil {
			return nil, err
		}
	}
	return &SegmentPreview{Count: n, Contacts: cs}, nil
}

// IdentifyContact is a site's verified identify (the widget's user_hash):
// it finds or creates the contact of ref the way a first message would,
// without one, and sets attrs on it (SourceWidget rules: typed, no
// read-only built-ins). An unverified ref is refused: an identity that is
// only claimed may not write a profile.
func (s *Service) IdentifyContact(ctx context.Context, ref ContactRef, attrs map[string]any) (int64, error) {
	if !ref.Verified {
		return 0, invalid("only a verified identity may set attributes")
	}
	id, err := s.contactWithoutMessage(ctx, ref)
	if err != nil {
		return 0, fmt.Errorf("inbox: identify: %w", err)
	}
	if err := s.SetContactAttributes(ctx, id, attrs, SourceWidget); err != nil {
		return id, err
	}
	return id, nil
}

// ImportContacts writes one batch of a contact import (store.ApplyImportTx)
// and records a contact.updated event per row that changed something —
// naming the attributes whose values it changed — in the same transaction,
// so rules, webhooks, segments and campaigns hear imported contacts from
// the durable event path. Re-importing an unchanged row writes nothing and
// records no event.
func (s *Service) ImportContacts(ctx context.Context, rows []store.ImportRow) error {
	var evs []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := store.ApplyImportTx(tx, rows); err != nil {
			return err
		}
		evs = make([]Event, 0, len(rows))
		for _, r := range rows {
			if !r.Changed {
				continue
			}
			ev := Event{Type: EventContactUpdated, ContactID: r.ContactID}
			if len(r.ChangedAttrs) > 0 {
				ev.Contact = &ContactChanges{Attributes: sortedKeys(r.ChangedAttrs)}
			}
			evs = append(evs, ev)
		}
		if len(evs) == 0 {
			return nil
		}
		return s.recordEvents(tx, evs)
	})
	if err != nil {
		return fmt.Errorf("inbox: import contacts: %w", err)
	}
	for _, ev := range evs {
		s.publish(ev)
	}
	return nil
}
