package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Attribute types.
const (
	AttrText    = "text"
	AttrNumber  = "number"
	AttrBoolean = "boolean"
	AttrDate    = "date"
)

// Built-in attribute keys. Counters and the seen times are kept by Hanbox
// (read-only to agents and the API); the rest may be set like custom ones.
const (
	AttrFirstSeen      = "first_seen"
	AttrLastSeen       = "last_seen"
	AttrVisits         = "visits"
	AttrConversations  = "conversations"
	AttrMessages       = "messages"
	AttrLocale         = "locale"
	AttrTimeZone       = "time_zone"
	AttrEmailMarketing = "email_marketing"
	AttrProactiveChat  = "proactive_chat"
)

// AttributeDef defines one contact attribute. Custom ones are rows; the
// built-ins come from BuiltinAttributes.
type AttributeDef struct {
	Key       string `gorm:"primaryKey;size:64"`
	LabelKo   string `gorm:"size:200;not null;default:''"`
	LabelEn   string `gorm:"size:200;not null;default:''"`
	Type      string `gorm:"size:16;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
	// Builtin and ReadOnly are not stored: they mark the definitions of
	// BuiltinAttributes.
	Builtin  bool `gorm:"-"`
	ReadOnly bool `gorm:"-"`
}

// Label returns the definition's label in lang ("ko" or "en"), falling back
// to the other language and then to the key.
func (d AttributeDef) Label(lang string) string {
	first, second := d.LabelEn, d.LabelKo
	if lang == "ko" {
		first, second = d.LabelKo, d.LabelEn
	}
	switch {
	case first != "":
		return first
	case second != "":
		return second
	}
	return d.Key
}

// BuiltinAttributes returns the built-in attribute definitions, in display
// order.
func BuiltinAttributes() []AttributeDef {
	return []AttributeDef{
		{Key: AttrFirstSeen, LabelKo: "처음 방문", LabelEn: "First seen", Type: AttrDate, Builtin: true, ReadOnly: true},
		{Key: AttrLastSeen, LabelKo: "마지막 방문", LabelEn: "Last seen", Type: AttrDate, Builtin: true, ReadOnly: true},
		{Key: AttrVisits, LabelKo: "방문 수", LabelEn: "Visits", Type: AttrNumber, Builtin: true, ReadOnly: true},
		{Key: AttrPagesViewed, LabelKo: "본 페이지 수", LabelEn: "Pages viewed", Type: AttrNumber, Builtin: true, ReadOnly: true},
		{Key: AttrConversations, LabelKo: "대화 수", LabelEn: "Conversations", Type: AttrNumber, Builtin: true, ReadOnly: true},
		{Key: AttrMessages, LabelKo: "메시지 수", LabelEn: "Messages", Type: AttrNumber, Builtin: true, ReadOnly: true},
		{Key: AttrLocale, LabelKo: "언어", LabelEn: "Locale", Type: AttrText, Builtin: true},
		{Key: AttrTimeZone, LabelKo: "시간대", LabelEn: "Time zone", Type: AttrText, Builtin: true},
		{Key: AttrEmailMarketing, LabelKo: "마케팅 이메일 수신 동의", LabelEn: "Email marketing consent", Type: AttrBoolean, Builtin: true},
		{Key: AttrProactiveChat, LabelKo: "선제 채팅 메시지 동의", LabelEn: "Proactive chat consent", Type: AttrBoolean, Builtin: true},
	}
}

// BuiltinAttribute returns the built-in definition of key, if it is one.
func BuiltinAttribute(key string) (AttributeDef, bool) {
	for _, d := range BuiltinAttributes() {
		if d.Key == key {
			return d, true
		}
	}
	return AttributeDef{}, false
}

// ContactAttribute is one attribute value of a contact, kept in the column
// of its type so segment conditions compare indexed columns (key, value) in
// the same SQL on SQLite and PostgreSQL. A JSON column would need a
// different expression per dialect and an expression index per key. Dates
// are Unix seconds: integers compare alike on both stores, where SQLite
// would compare timestamps as text.
type ContactAttribute struct {
	ContactID int64    `gorm:"primaryKey;autoIncrement:false"`
	Key       string   `gorm:"primaryKey;size:64"`
	Type      string   `gorm:"size:16;not null"`
	Text      *string  `gorm:"column:text_value"`
	Num       *float64 `gorm:"column:num_value"`
	Bool      *bool    `gorm:"column:bool_value"`
	Time      *int64   `gorm:"column:time_value"`
	// Origin is the contact the value was set on when a contact merge moved
	// it here (nil: set on this contact); writing the value clears it.
	Origin *int64 `gorm:"column:origin_contact_id" json:"origin,omitempty"`
}

// Value returns the attribute's value as Go sees it: string, float64, bool
// or time.Time (UTC); nil when the typed column is empty.
func (a ContactAttribute) Value() any {
	switch {
	case a.Type == AttrText && a.Text != nil:
		return *a.Text
	case a.Type == AttrNumber && a.Num != nil:
		return *a.Num
	case a.Type == AttrBoolean && a.Bool != nil:
		return *a.Bool
	case a.Type == AttrDate && a.Time != nil:
		return time.Unix(*a.Time, 0).UTC()
	}
	return nil
}

// ContactEvent is something a customer did, reported by the site through
// the API (signed_up, cart_added, order_paid, ...).
type ContactEvent struct {
	ID         int64     `gorm:"primaryKey"`
	ContactID  int64     `gorm:"not null;index:ix_contact_event,priority:1"`
	Name       string    `gorm:"size:64;not null;index:ix_contact_event,priority:2;index:ix_contact_event_name,priority:1"`
	At         time.Time `gorm:"not null;index:ix_contact_event,priority:3;index:ix_contact_event_name,priority:2"`
	Properties JSONMap   `gorm:"type:text;not null;default:'{}'"`
	CreatedAt  time.Time
	// OriginContactID is the contact the event was recorded for when a
	// contact merge moved it here.
	OriginContactID *int64
}

// AttributeDefs returns the custom attribute definitions by key.
func (s *Store) AttributeDefs(ctx context.Context) ([]AttributeDef, error) {
	var out []AttributeDef
	if err := s.DB.WithContext(ctx).Order("key").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: attribute defs: %w", err)
	}
	return out, nil
}

// AttributeDefOf returns a custom definition; ErrNotFound when there is none.
func (s *Store) AttributeDefOf(ctx context.Context, key string) (*AttributeDef, error) {
	var d AttributeDef
	if err := s.DB.WithContext(ctx).Where("key = ?", key).Take(&d).Error; err != nil {
		return nil, fmt.Errorf("store: attribute def %q: %w", key, notFound(err))
	}
	return &d, nil
}

// CreateAttributeDef stores a new custom definition (a duplicate key is an
// IsDuplicate error).
func (s *Store) CreateAttributeDef(ctx context.Context, d *AttributeDef) error {
	if err := s.DB.WithContext(ctx).Create(d).Error; err != nil {
		return fmt.Errorf("store: create attribute def %q: %w", d.Key, err)
	}
	return nil
}

// UpdateAttributeLabels changes a custom definition's labels (its type is
// fixed: values are stored by it).
func (s *Store) UpdateAttributeLabels(ctx context.Context, key, ko, en string, at time.Time) error {
	res := s.DB.WithContext(ctx).Model(&AttributeDef{}).Where("key = ?", key).
		Updates(map[string]any{"label_ko": ko, "label_en": en, "updated_at": at})
	if res.Error != nil {
		return fmt.Errorf("store: update attribute def %q: %w", key, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update attribute def %q: %w", key, ErrNotFound)
	}
	return nil
}

// DeleteAttributeDef removes a custom definition and every value of it.
func (s *Store) DeleteAttributeDef(ctx context.Context, key string) error {
	return s.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("key = ?", key).Delete(&AttributeDef{})
		if res.Error != nil {
			return fmt.Errorf("store: delete attribute def %q: %w", key, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: delete attribute def %q: %w", key, ErrNotFound)
		}
		if err := tx.Where("key = ?", key).Delete(&ContactAttribute{}).Error; err != nil {
			return fmt.Errorf("store: delete values of %q: %w", key, err)
		}
		return nil
	})
}

// contactColumns are the built-in attributes kept on the contact row
// (Contact.Locale, Contact.TimeZone) rather than as attribute values, so the
// widget, surveys and quiet hours read the same value a profile shows.
var contactColumns = map[string]string{AttrLocale: "locale", AttrTimeZone: "time_zone"}

// ContactAttributes returns a contact's stored attribute values by key.
// The built-ins on the contact row (contactColumns) are not here.
func (s *Store) ContactAttributes(ctx context.Context, contactID int64) ([]ContactAttribute, error) {
	var out []ContactAttribute
	if err := s.DB.WithContext(ctx).Where("contact_id = ?", contactID).Order("key").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: attributes of contact %d: %w", contactID, err)
	}
	return out, nil
}

// PutContactAttributes writes values (replacing the stored ones of the same
// keys) and deletes the keys in unset, in one transaction. Values of the
// built-ins on the contact row (locale, time zone) go to that row.
func (s *Store) PutContactAttributes(ctx context.Context, contactID int64, set []ContactAttribute, unset []string) error {
	return s.Tx(ctx, func(tx *gorm.DB) error { return PutContactAttributesTx(tx, contactID, set, unset) })
}

// PutContactAttributesTx is PutContactAttributes inside tx.
func PutContactAttributesTx(tx *gorm.DB, contactID int64, set []ContactAttribute, unset []string) error {
	for _, a := range set {
		a.ContactID = contactID
		if col, ok := contactColumns[a.Key]; ok {
			v := ""
			if a.Text != nil {
				v = *a.Text
			}
			if err := tx.Model(&Contact{}).Where("id = ?", contactID).Update(col, v).Error; err != nil {
				return fmt.Errorf("store: set %s of contact %d: %w", col, contactID, err)
			}
			continue
		}
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "contact_id"}, {Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"type", "text_value", "num_value", "bool_value", "time_value", "origin_contact_id"}),
		}).Create(&a).Error
		if err != nil {
			return fmt.Errorf("store: set attribute %q of contact %d: %w", a.Key, contactID, err)
		}
	}
	for _, k := range unset {
		if col, ok := contactColumns[k]; ok {
			if err := tx.Model(&Contact{}).Where("id = ?", contactID).Update(col, "").Error; err != nil {
				return fmt.Errorf("store: unset %s of contact %d: %w", col, contactID, err)
			}
			continue
		}
		if err := tx.Where("contact_id = ? AND key = ?", contactID, k).Delete(&ContactAttribute{}).Error; err != nil {
			return fmt.Errorf("store: unset attribute %q of contact %d: %w", k, contactID, err)
		}
	}
	return nil
}

// TouchContactTx records activity of a contact at ts inside tx: last_seen
// moves forward, first_seen is set once, and each counter in incr (a
// built-in counter key) grows by one. It is one statement (TouchContactSQL).
func TouchContactTx(tx *gorm.DB, contactID int64, ts time.Time, incr ...string) error {
	q, args := TouchContactSQL(contactID, ts, incr...)
	if err := tx.Exec(q, args...).Error; err != nil {
		return fmt.Errorf("store: touch contact %d: %w", contactID, err)
	}
	return nil
}

// TouchContactSQL is TouchContactTx's statement, for callers that send it
// with others (on PostgreSQL as a data-modifying CTE): one upsert of
// first_seen (moved back only), last_seen (moved forward only) and the
// counters in incr (plus one). A date moved clears its origin_contact_id, as
// setting it does.
func TouchContactSQL(contactID int64, ts time.Time, incr ...string) (string, []any) {
	sec := ts.Unix()
	var b strings.Builder
	b.WriteString(`INSERT INTO contact_attributes (contact_id, key, type, time_value, num_value) VALUES (?, '` + AttrFirstSeen + `', 'date', ?, NULL), (?, '` + AttrLastSeen + `', 'date', ?, NULL)`)
	args := make([]any, 0, 4+2*len(incr))
	args = append(args, contactID, sec, contactID, sec)
	for _, k := range incr {
		b.WriteString(", (?, ?, 'number', NULL, 1)")
		args = append(args, contactID, k)
	}
	b.WriteString(touchConflict)
	return b.String(), args
}

// touchConflict is TouchContactSQL's upsert clause.
const touchConflict = ` ON CONFLICT (contact_id, key) DO UPDATE SET
		time_value = CASE WHEN ` + touchMoved + ` THEN excluded.time_value ELSE contact_attributes.time_value END,
		origin_contact_id = CASE WHEN ` + touchMoved + ` THEN NULL ELSE contact_attributes.origin_contact_id END,
		num_value = CASE WHEN excluded.type = 'number' THEN COALESCE(contact_attributes.num_value, 0) + 1 ELSE contact_attributes.num_value END`

const touchMoved = `(excluded.type = 'date' AND (contact_attributes.time_value IS NULL
			OR (excluded.key = '` + AttrFirstSeen + `' AND excluded.time_value < contact_attributes.time_value)
			OR (excluded.key = '` + AttrLastSeen + `' AND excluded.time_value > contact_attributes.time_value)))`

// PostgresTouchCTE is TouchContactSQL for a data-modifying CTE on
// PostgreSQL that writes only if the CTE named src returned a row (the
// message it counts was written).
func PostgresTouchCTE(src string, contactID int64, ts time.Time, incr ...string) (string, []any) {
	sec := ts.Unix()
	var b strings.Builder
	b.WriteString(`INSERT INTO contact_attributes (contact_id, key, type, time_value, num_value)
		SELECT v.c, v.k, v.t, v.tv, v.nv FROM (VALUES (?::bigint, ?::text, 'date'::text, ?::bigint, NULL::double precision), (?::bigint, ?::text, 'date'::text, ?::bigint, NULL::double precision)`)
	args := make([]any, 0, 6+2*len(incr))
	args = append(args, contactID, AttrFirstSeen, sec, contactID, AttrLastSeen, sec)
	for _, k := range incr {
		b.WriteString(", (?::bigint, ?::text, 'number'::text, NULL::bigint, 1::double precision)")
		args = append(args, contactID, k)
	}
	b.WriteString(`) AS v (c, k, t, tv, nv) WHERE EXISTS (SELECT 1 FROM ` + src + `)`)
	b.WriteString(touchConflict)
	return b.String(), args
}

// TouchContact is TouchContactTx in its own transaction.
func (s *Store) TouchContact(ctx context.Context, contactID int64, ts time.Time, incr ...string) error {
	return s.Tx(ctx, func(tx *gorm.DB) error { return TouchContactTx(tx, contactID, ts, incr...) })
}

// AddContactEvent stores an event.
func (s *Store) AddContactEvent(ctx context.Context, e *ContactEvent) error {
	if e.Properties == nil {
		e.Properties = JSONMap{}
	}
	if err := s.DB.WithContext(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("store: add event %q of contact %d: %w", e.Name, e.ContactID, err)
	}
	return nil
}

// ContactEvents returns a contact's latest events, newest first.
func (s *Store) ContactEvents(ctx context.Context, contactID int64, limit int) ([]ContactEvent, error) {
	var out []ContactEvent
	if err := s.DB.WithContext(ctx).Where("contact_id = ?", contactID).Order("at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: events of contact %d: %w", contactID, err)
	}
	return out, nil
}
