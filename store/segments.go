package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Segment condition kinds.
const (
	CondAttribute = "attribute" // a contact attribute (custom or built-in)
	CondTag       = "tag"       // a tag of the contact (imported) or on any of its tickets
	CondEvent     = "event"     // did / did not do an event within N days
	CondPage      = "page"      // visited / did not visit a page within N days
)

// Attribute operators. Every operator but unset and false needs the
// attribute to be present.
const (
	OpEq         = "eq"          // text, number
	OpNe         = "ne"          // text, number
	OpContains   = "contains"    // text, case-insensitive
	OpGt         = "gt"          // number
	OpGte        = "gte"         // number
	OpLt         = "lt"          // number
	OpLte        = "lte"         // number
	OpTrue       = "true"        // boolean: present and true
	OpFalse      = "false"       // boolean: absent or false
	OpBefore     = "before"      // date: before Value (RFC 3339 or YYYY-MM-DD)
	OpAfter      = "after"       // date: at or after Value
	OpOlderThan  = "older_than"  // date: more than Days days before now
	OpWithinDays = "within_days" // date: within the last Days days
	OpSet        = "set"         // any type: present
	OpUnset      = "unset"       // any type: absent
	// Page condition operators (case-insensitive, on the stored URL).
	OpPattern = "pattern" // page: glob with *; from the scheme when it starts with http(s)://, else on the path and query
)

// SegmentCondition is one condition of a segment.
type SegmentCondition struct {
	Kind string `json:"kind"`
	// Key and Op select an attribute condition; Value is its operand as
	// text (a number, a date), Days the N of older_than/within_days.
	Key   string `json:"key,omitempty"`
	Op    string `json:"op,omitempty"`
	Value string `json:"value,omitempty"`
	Days  int    `json:"days,omitempty"`
	// Tag names the tag of a tag condition; Name the event of an event
	// condition (within the last Days days, or ever when Days is 0).
	Tag  string `json:"tag,omitempty"`
	Name string `json:"name,omitempty"`
	// A page condition matches a page view within the last Days days (ever
	// when 0) whose URL contains Value (Op contains) or matches the glob
	// Value (Op pattern).
	// Not inverts a tag, event or page condition: has no such tag, did not
	// do it, did not visit it.
	Not bool `json:"not,omitempty"`
}

// Segment matches.
const (
	MatchAll = "all"
	MatchAny = "any"
)

// SegmentDef is a segment's filter: conditions combined with all (AND) or
// any (OR). No conditions match every contact.
type SegmentDef struct {
	Match      string             `json:"match"`
	Conditions []SegmentCondition `json:"conditions"`
}

// Value implements driver.Valuer.
func (d SegmentDef) Value() (driver.Value, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("store: encode segment: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (d *SegmentDef) Scan(src any) error {
	b, err := jsonBytes(src, "segment")
	if err != nil {
		return err
	}
	*d = SegmentDef{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, d); err != nil {
			return fmt.Errorf("store: decode segment: %w", err)
		}
	}
	return nil
}

// Segment is a saved filter over contacts.
type Segment struct {
	ID         int64      `gorm:"primaryKey"`
	Name       string     `gorm:"size:200;not null"`
	Definition SegmentDef `gorm:"type:text;not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ParseDate reads a date operand or value: RFC 3339, or YYYY-MM-DD (UTC
// midnight).
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not a date (want YYYY-MM-DD or RFC 3339): %q", s)
	}
	return t, nil
}

// Validate checks a definition against the attribute types in types (key →
// type; the built-ins are added here).
func (d SegmentDef) Validate(types map[string]string) error {
	if d.Match != MatchAll && d.Match != MatchAny {
		return fmt.Errorf("match must be %q or %q", MatchAll, MatchAny)
	}
	if len(d.Conditions) > 50 {
		return fmt.Errorf("at most 50 conditions")
	}
	for i, c := range d.Conditions {
		if err := c.validate(types); err != nil {
			return fmt.Errorf("condition %d: %w", i+1, err)
		}
	}
	return nil
}

var opsByType = map[string][]string{
	AttrText:    {OpEq, OpNe, OpContains, OpSet, OpUnset},
	AttrNumber:  {OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpSet, OpUnset},
	AttrBoolean: {OpTrue, OpFalse},
	AttrDate:    {OpBefore, OpAfter, OpOlderThan, OpWithinDays, OpSet, OpUnset},
}

// AttributeOps returns the operators of an attribute type.
func AttributeOps(typ string) []string { return opsByType[typ] }

func (c SegmentCondition) validate(types map[string]string) error {
	switch c.Kind {
	case CondTag:
		if strings.TrimSpace(c.Tag) == "" {
			return fmt.Errorf("tag is required")
		}
	case CondEvent:
		if strings.TrimSpace(c.Name) == "" {
			return fmt.Errorf("event name is required")
		}
		if c.Days < 0 || c.Days > 36500 {
			return fmt.Errorf("days must be between 0 and 36500")
		}
	case CondPage:
		if c.Op != OpContains && c.Op != OpPattern {
			return fmt.Errorf("a page condition's operator is %q or %q", OpContains, OpPattern)
		}
		if strings.TrimSpace(c.Value) == "" || len(c.Value) > 2000 {
			return fmt.Errorf("a page condition needs a URL text of at most 2000 bytes")
		}
		if c.Days < 0 || c.Days > 36500 {
			return fmt.Errorf("days must be between 0 and 36500")
		}
	case CondAttribute:
		typ := attrType(c.Key, types)
		if typ == "" {
			return fmt.Errorf("unknown attribute %q", c.Key)
		}
		ok := false
		for _, op := range opsByType[typ] {
			ok = ok || op == c.Op
		}
		if !ok {
			return fmt.Errorf("operator %q does not apply to %s attribute %q", c.Op, typ, c.Key)
		}
		switch c.Op {
		case OpEq, OpNe, OpGt, OpGte, OpLt, OpLte:
			if typ == AttrNumber {
				if _, err := parseNumber(c.Value); err != nil {
					return err
				}
			}
		case OpContains:
			if c.Value == "" {
				return fmt.Errorf("contains needs a value")
			}
		case OpBefore, OpAfter:
			if _, err := ParseDate(c.Value); err != nil {
				return err
			}
		case OpOlderThan, OpWithinDays:
			if c.Days < 0 || c.Days > 36500 {
				return fmt.Errorf("days must be between 0 and 36500")
			}
		}
	default:
		return fmt.Errorf("unknown condition kind %q", c.Kind)
	}
	return nil
}

func parseNumber(s string) (float64, error) {
	var f float64
	if _, err := fmt.Sscan(strings.TrimSpace(s), &f); err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return f, nil
}

// attrType is the type of an attribute key: a built-in's, else from types.
func attrType(key string, types map[string]string) string {
	if b, ok := BuiltinAttribute(key); ok {
		return b.Type
	}
	return types[key]
}

// segmentWhere compiles a validated definition to one SQL condition over
// contacts aliased c, with its arguments; types gives the custom
// attributes' types and now anchors "within N days". bulk picks the shape
// of the conditions on other tables (see member): for counting and listing
// many contacts, or for checking a few (a campaign's send to one contact,
// its planner's pages).
func segmentWhere(d SegmentDef, types map[string]string, now time.Time, bulk bool) (string, []any) {
	if len(d.Conditions) == 0 {
		return "c.merged_into IS NULL", nil
	}
	var parts []string
	var args []any
	for _, c := range d.Conditions {
		sql, a := c.compile(attrType(c.Key, types), now, bulk)
		parts = append(parts, "("+sql+")")
		args = append(args, a...)
	}
	join := " AND "
	if d.Match == MatchAny {
		join = " OR "
	}
	return "c.merged_into IS NULL AND (" + strings.Join(parts, join) + ")", args
}

// source is a table whose rows name contacts (alias.contact_id) that meet
// a condition.
type source struct {
	from, alias, where string
	args               []any
}

// member is the condition that contact c is (or with not, is not) named by
// one of srcs. In bulk it is "c.id [NOT] IN (SELECT contact_id FROM …)": the
// subquery does not depend on the row, so both stores run it once over the
// matching rows only (PostgreSQL: a semi/anti join or hashed subplan;
// SQLite: a materialized ephemeral index), on the (key, value) attribute,
// (name, at) event and tag indexes, then probe it per contact. Otherwise it
// is a correlated EXISTS: one or two index probes per contact, the cheaper
// shape when the query names a contact or a page of them (a correlated
// EXISTS under OR stays a per-row subplan on PostgreSQL, so counting with
// it cost a probe of every condition for every contact). contact_id is
// never NULL in the subqueries, so NOT IN is the plain negation.
func member(srcs []source, not, bulk bool) (string, []any) {
	var args []any
	if bulk {
		sel := make([]string, len(srcs))
		for i, s := range srcs {
			sel[i] = "SELECT " + s.alias + ".contact_id FROM " + s.from + " WHERE " + s.where
			args = append(args, s.args...)
		}
		in := "c.id IN ("
		if not {
			in = "c.id NOT IN ("
		}
		return in + strings.Join(sel, " UNION ") + ")", args
	}
	ex := make([]string, len(srcs))
	for i, s := range srcs {
		ex[i] = "EXISTS (SELECT 1 FROM " + s.from + " WHERE " + s.alias + ".contact_id = c.id AND " + s.where + ")"
		args = append(args, s.args...)
	}
	q := strings.Join(ex, " OR ")
	if len(srcs) > 1 {
		q = "(" + q + ")"
	}
	if not {
		q = "NOT " + q
	}
	return q, args
}

func (c SegmentCondition) compile(typ string, now time.Time, bulk bool) (string, []any) {
	switch c.Kind {
	case CondTag:
		return member([]source{{"tickets t JOIN ticket_tags g ON g.ticket_id = t.id", "t", "g.tag = ?", []any{c.Tag}},
			{"contact_tags ct", "ct", "ct.tag = ?", []any{c.Tag}}}, c.Not, bulk)
	case CondEvent:
		if c.Days == 0 {
			return member([]source{{"contact_events e", "e", "e.name = ?", []any{c.Name}}}, c.Not, bulk)
		}
		return member([]source{{"contact_events e", "e", "e.name = ? AND e.at >= ?",
			[]any{c.Name, now.Add(-time.Duration(c.Days) * 24 * time.Hour).UTC()}}}, c.Not, bulk)
	case CondPage:
		sql, args := PageMatchSQL("v", c.Op, c.Value)
		if c.Days > 0 {
			sql += " AND v.at >= ?"
			args = append(args, now.Add(-time.Duration(c.Days)*24*time.Hour).UTC())
		}
		// Views before the visitor had a contact have none.
		return member([]source{{"page_views v", "v", "v.contact_id IS NOT NULL AND " + sql, args}}, c.Not, bulk)
	}
	if col, ok := contactColumns[c.Key]; ok {
		return c.compileColumn(col)
	}
	attr := func(not bool, expr string, v ...any) (string, []any) {
		w := "a.key = ?"
		if expr != "" {
			w += " AND " + expr
		}
		return member([]source{{"contact_attributes a", "a", w, append([]any{c.Key}, v...)}}, not, bulk)
	}
	switch c.Op {
	case OpSet:
		return attr(false, "")
	case OpUnset:
		return attr(true, "")
	case OpTrue:
		return attr(false, "a.bool_value = ?", true)
	case OpFalse:
		return attr(true, "a.bool_value = ?", true)
	case OpContains:
		return attr(false, `LOWER(a.text_value) LIKE ? ESCAPE '\'`, "%"+EscapeLike(strings.ToLower(c.Value))+"%")
	case OpBefore, OpAfter:
		t, _ := ParseDate(c.Value)
		op := "<"
		if c.Op == OpAfter {
			op = ">="
		}
		return attr(false, "a.time_value "+op+" ?", t.Unix())
	case OpOlderThan:
		return attr(false, "a.time_value < ?", now.Unix()-int64(c.Days)*86400)
	case OpWithinDays:
		return attr(false, "a.time_value >= ?", now.Unix()-int64(c.Days)*86400)
	}
	op := map[string]string{OpEq: "=", OpNe: "<>", OpGt: ">", OpGte: ">=", OpLt: "<", OpLte: "<="}[c.Op]
	if typ == AttrNumber {
		f, _ := parseNumber(c.Value)
		return attr(false, "a.num_value "+op+" ?", f)
	}
	return attr(false, "a.text_value "+op+" ?", c.Value)
}

// PageMatchSQL is the condition on page views aliased alias for a page
// operator (OpContains or OpPattern) and its value, with its arguments:
// contains is a case-insensitive substring of the URL; a pattern is a
// case-insensitive glob (* is any text) on the whole URL when it starts
// with http:// or https://, else on the path and query ("/pricing*").
func PageMatchSQL(alias, op, value string) (string, []any) {
	v := strings.ToLower(strings.TrimSpace(value))
	if op == OpContains {
		return "LOWER(" + alias + `.url) LIKE ? ESCAPE '\'`, []any{"%" + EscapeLike(v) + "%"}
	}
	col := alias + ".path"
	if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		col = alias + ".url"
	}
	return "LOWER(" + col + `) LIKE ? ESCAPE '\'`, []any{strings.ReplaceAll(EscapeLike(v), "*", "%")}
}

// compileColumn compiles a condition on a built-in kept on the contact row.
func (c SegmentCondition) compileColumn(col string) (string, []any) {
	col = "c." + col
	switch c.Op {
	case OpSet:
		return col + " <> ''", nil
	case OpUnset:
		return col + " = ''", nil
	case OpContains:
		return "LOWER(" + col + `) LIKE ? ESCAPE '\'`, []any{"%" + EscapeLike(strings.ToLower(c.Value)) + "%"}
	case OpNe:
		return col + " <> '' AND " + col + " <> ?", []any{c.Value}
	}
	return col + " = ?", []any{c.Value}
}

// attributeTypes returns the custom attributes' types by key.
func (s *Store) attributeTypes(ctx context.Context) (map[string]string, error) {
	defs, err := s.AttributeDefs(ctx)
	if err != nil {
		return nil, err
	}
	types := make(map[string]string, len(defs))
	for _, d := range defs {
		types[d.Key] = d.Type
	}
	return types, nil
}

// ValidateSegment checks a definition against the current attributes.
func (s *Store) ValidateSegment(ctx context.Context, d SegmentDef) error {
	types, err := s.attributeTypes(ctx)
	if err != nil {
		return err
	}
	if err := d.Validate(types); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSegment, err)
	}
	return nil
}

// compileSegment validates d and compiles it (bulk: see member).
func (s *Store) compileSegment(ctx context.Context, d SegmentDef, now time.Time, bulk bool) (string, []any, error) {
	types, err := s.attributeTypes(ctx)
	if err != nil {
		return "", nil, err
	}
	if err := d.Validate(types); err != nil {
		return "", nil, fmt.Errorf("store: segment: %w: %w", ErrInvalidSegment, err)
	}
	where, args := segmentWhere(d, types, now, bulk)
	return where, args, nil
}

// bulkSegment picks the SQL shape (see member) that counts and lists d
// fastest, as measured over 100,000 contacts (docs/BENCHMARKS.md, the
// interleaved BenchmarkSegmentCountShapes): on PostgreSQL an any-of
// segment runs its conditions as uncorrelated subqueries (4–5 times faster:
// an OR of correlated EXISTS stays a per-row subplan there); an all-of one
// and everything on SQLite keep the correlated probes, which stop at the
// first condition a contact fails (the subqueries were as fast or up to 4
// times slower there).
func (s *Store) bulkSegment(d SegmentDef) bool {
	return s.Dialect == Postgres && d.Match == MatchAny && len(d.Conditions) > 1
}

// ErrInvalidSegment marks a definition that does not validate.
var ErrInvalidSegment = errors.New("invalid segment")

// SegmentCount counts the contacts a definition matches at now, in one
// query.
func (s *Store) SegmentCount(ctx context.Context, d SegmentDef, now time.Time) (int64, error) {
	where, args, err := s.compileSegment(ctx, d, now, s.bulkSegment(d))
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.DB.WithContext(ctx).Raw("SELECT COUNT(*) FROM contacts c WHERE "+where, args...).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: segment count: %w", err)
	}
	return n, nil
}

// SegmentContacts returns up to limit matching contacts with ids below
// beforeID (0: from the newest), newest first, in one query.
func (s *Store) SegmentContacts(ctx context.Context, d SegmentDef, now time.Time, beforeID int64, limit int) ([]Contact, error) {
	where, args, err := s.compileSegment(ctx, d, now, s.bulkSegment(d))
	if err != nil {
		return nil, err
	}
	if beforeID > 0 {
		where += " AND c.id < ?"
		args = append(args, beforeID)
	}
	var out []Contact
	if err := s.DB.WithContext(ctx).Raw("SELECT c.* FROM contacts c WHERE "+where+" ORDER BY c.id DESC LIMIT ?", append(args, limit)...).
		Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: segment contacts: %w", err)
	}
	return out, nil
}

// Segments returns the saved segments by name.
func (s *Store) Segments(ctx context.Context) ([]Segment, error) {
	var out []Segment
	if err := s.DB.WithContext(ctx).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: segments: %w", err)
	}
	return out, nil
}

// SegmentOf returns a saved segment; ErrNotFound when there is none.
func (s *Store) SegmentOf(ctx context.Context, id int64) (*Segment, error) {
	var sg Segment
	if err := s.DB.WithContext(ctx).Take(&sg, id).Error; err != nil {
		return nil, fmt.Errorf("store: segment %d: %w", id, notFound(err))
	}
	return &sg, nil
}

// SaveSegment creates (ID 0) or replaces a segment.
func (s *Store) SaveSegment(ctx context.Context, sg *Segment) error {
	db := s.DB.WithContext(ctx)
	if sg.ID == 0 {
		if err := db.Create(sg).Error; err != nil {
			return fmt.Errorf("store: create segment: %w", err)
		}
		return nil
	}
	res := db.Model(&Segment{}).Where("id = ?", sg.ID).Updates(map[string]any{"name": sg.Name, "definition": sg.Definition, "updated_at": sg.UpdatedAt})
	if res.Error != nil {
		return fmt.Errorf("store: update segment %d: %w", sg.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update segment %d: %w", sg.ID, ErrNotFound)
	}
	return nil
}

// DeleteSegment removes a segment.
func (s *Store) DeleteSegment(ctx context.Context, id int64) error {
	res := s.DB.WithContext(ctx).Delete(&Segment{}, id)
	if res.Error != nil {
		return fmt.Errorf("store: delete segment %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: delete segment %d: %w", id, ErrNotFound)
	}
	return nil
}
