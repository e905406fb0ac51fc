package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// ContactPatch is the body of PATCH /contacts/{id}: attribute values by key
// (string, number, boolean, date as "YYYY-MM-DD" or RFC 3339; null unsets).
type ContactPatch struct {
	Attributes map[string]any `json:"attributes"`
}

// ContactEventBody is the body of POST /contacts/{id}/events.
type ContactEventBody struct {
	Name       string         `json:"name"`
	At         *time.Time     `json:"at"`
	Properties map[string]any `json:"properties"`
}

// AttributeDefBody creates (POST /attributes) or relabels (PATCH) an
// attribute definition.
type AttributeDefBody struct {
	Key     string `json:"key"`
	LabelKo string `json:"label_ko"`
	LabelEn string `json:"label_en"`
	Type    string `json:"type"`
}

// SegmentBody saves a segment.
type SegmentBody struct {
	Name       string           `json:"name"`
	Definition store.SegmentDef `json:"definition"`
}

// refContact resolves the {id} of a contact route: a contact id, an email
// address or an external user id (see inbox.Service.FindContact).
func (a *API) refContact(r *http.Request) (*store.Contact, error) {
	c, err := a.Inbox.FindContact(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if err := a.checkContactVisible(r, c.ID); err != nil {
		return nil, err
	}
	return c, nil
}

func attributeDefJSON(d store.AttributeDef) map[string]any {
	return map[string]any{"key": d.Key, "label_ko": d.LabelKo, "label_en": d.LabelEn, "type": d.Type,
		"builtin": d.Builtin, "read_only": d.ReadOnly, "operators": store.AttributeOps(d.Type)}
}

func eventJSON(e store.ContactEvent) map[string]any {
	return map[string]any{"id": e.ID, "contact_id": e.ContactID, "name": e.Name, "at": e.At, "properties": e.Properties}
}

func (a *API) profileJSON(p *inbox.Profile) map[string]any {
	evs := []map[string]any{}
	for _, e := range p.Events {
		evs = append(evs, eventJSON(e))
	}
	return map[string]any{"contact": contactJSON(p.Contact), "attributes": p.AttributeValues(), "events": evs}
}

func (a *API) getProfile(w http.ResponseWriter, r *http.Request) (int, any, error) {
	c, err := a.refContact(r)
	if err != nil {
		return 0, nil, err
	}
	p, err := a.Inbox.ContactProfile(r.Context(), c.ID, 100)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.profileJSON(p), nil
}

func (a *API) patchContact(w http.ResponseWriter, r *http.Request) (int, any, error) {
	c, err := a.refContact(r)
	if err != nil {
		return 0, nil, err
	}
	var b ContactPatch
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.SetContactAttributes(r.Context(), c.ID, b.Attributes, inbox.SourceAPI); err != nil {
		return 0, nil, err
	}
	p, err := a.Inbox.ContactProfile(r.Context(), c.ID, 100)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.profileJSON(p), nil
}

func (a *API) addContactEvent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	c, err := a.refContact(r)
	if err != nil {
		return 0, nil, err
	}
	var b ContactEventBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	in := inbox.ContactEventInput{Name: b.Name, Properties: b.Properties}
	if b.At != nil {
		in.At = *b.At
	}
	e, err := a.Inbox.RecordContactEvent(r.Context(), c.ID, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, eventJSON(*e), nil
}

func (a *API) listAttributeDefs(w http.ResponseWriter, r *http.Request) (int, any, error) {
	defs, err := a.Inbox.AttributeDefs(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for _, d := range defs {
		items = append(items, attributeDefJSON(d))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) createAttributeDef(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b AttributeDefBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	d, err := a.Inbox.CreateAttributeDef(r.Context(), store.AttributeDef{Key: b.Key, LabelKo: b.LabelKo, LabelEn: b.LabelEn, Type: b.Type})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, attributeDefJSON(*d), nil
}

func (a *API) patchAttributeDef(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b AttributeDefBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	key := r.PathValue("key")
	if (b.Key != "" && b.Key != key) || b.Type != "" {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "only the labels of an attribute can change")
	}
	d, err := a.Inbox.UpdateAttributeDef(r.Context(), key, b.LabelKo, b.LabelEn)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, attributeDefJSON(*d), nil
}

func (a *API) deleteAttributeDef(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if err := a.Inbox.DeleteAttributeDef(r.Context(), r.PathValue("key")); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func segmentJSON(sg *store.Segment) map[string]any {
	return map[string]any{"id": sg.ID, "name": sg.Name, "definition": sg.Definition, "created_at": sg.CreatedAt, "updated_at": sg.UpdatedAt}
}

func (a *API) listSegments(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sgs, err := a.Inbox.Segments(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for i := range sgs {
		items = append(items, segmentJSON(&sgs[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) getSegment(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	sg, err := a.Inbox.Segment(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, segmentJSON(sg), nil
}

func (a *API) createSegment(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b SegmentBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	sg := &store.Segment{Name: b.Name, Definition: b.Definition}
	if err := a.Inbox.SaveSegment(r.Context(), sg); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, segmentJSON(sg), nil
}

func (a *API) putSegment(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b SegmentBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	sg := &store.Segment{ID: id, Name: b.Name, Definition: b.Definition}
	if err := a.Inbox.SaveSegment(r.Context(), sg); err != nil {
		return 0, nil, err
	}
	if sg, err = a.Inbox.Segment(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, segmentJSON(sg), nil
}

func (a *API) deleteSegment(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.DeleteSegment(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func previewJSON(p *inbox.SegmentPreview) map[string]any {
	items := make([]*ContactJSON, 0, len(p.Contacts))
	for i := range p.Contacts {
		items = append(items, contactJSON(&p.Contacts[i]))
	}
	out := map[string]any{"count": p.Count, "items": items}
	if n := len(p.Contacts); n > 0 {
		out["next_before"] = p.Contacts[n-1].ID
	}
	return out
}

// pageArgs reads limit (default 50, at most 500) and before (a contact id).
func pageArgs(r *http.Request) (limit int, before int64) {
	limit, _ = strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	before, _ = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	return limit, max(before, 0)
}

func (a *API) segmentContacts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	sg, err := a.Inbox.Segment(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	limit, before := pageArgs(r)
	p, err := a.Inbox.PreviewSegment(r.Context(), sg.Definition, time.Now(), before, limit)
	if err != nil {
		return 0, nil, err
	}
	if err := a.visibleContacts(r, p); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, previewJSON(p), nil
}

func (a *API) previewSegment(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var d store.SegmentDef
	if err := decode(w, r, &d); err != nil {
		return 0, nil, err
	}
	limit, before := pageArgs(r)
	if r.URL.Query().Get("limit") == "" {
		limit = 10
	}
	p, err := a.Inbox.PreviewSegment(r.Context(), d, time.Now(), before, limit)
	if err != nil {
		return 0, nil, err
	}
	if err := a.visibleContacts(r, p); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, previewJSON(p), nil
}

// profileSchemas document the profile and segment endpoints.
func profileSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	obj := map[string]any{"type": "object"}
	when := map[string]any{"type": "string", "format": "date-time"}
	cond := map[string]any{"type": "object", "properties": map[string]any{
		"kind":  map[string]any{"type": "string", "enum": []any{store.CondAttribute, store.CondTag, store.CondEvent}},
		"key":   map[string]any{"type": "string", "description": "attribute key (custom or built-in: first_seen, last_seen, visits, conversations, messages, locale, time_zone, email_marketing, proactive_chat)"},
		"op":    map[string]any{"type": "string", "enum": []any{"eq", "ne", "contains", "gt", "gte", "lt", "lte", "true", "false", "before", "after", "older_than", "within_days", "set", "unset"}, "description": "text: eq ne contains set unset; number: eq ne gt gte lt lte set unset; boolean: true false (false includes unset); date: before after (value YYYY-MM-DD or RFC 3339) older_than within_days (days) set unset"},
		"value": str, "days": map[string]any{"type": "integer", "description": "older_than/within_days; for events, within the last N days (0: ever)"},
		"tag":  map[string]any{"type": "string", "description": "a tag of the contact (its own, as imported, or on any of its tickets)"},
		"name": map[string]any{"type": "string", "description": "event name"},
		"not":  map[string]any{"type": "boolean", "description": "has no such tag / did not do the event"},
	}}
	def := map[string]any{"type": "object", "properties": map[string]any{"match": map[string]any{"type": "string", "enum": []any{"all", "any"}},
		"conditions": map[string]any{"type": "array", "items": cond}}, "description": "Conditions combined with all (AND) or any (OR); none matches every contact."}
	contacts := map[string]any{"type": "object", "properties": map[string]any{"count": i, "items": map[string]any{"type": "array", "items": obj},
		"next_before": map[string]any{"type": "integer", "description": "pass as before= for the next page"}}}
	attr := map[string]any{"type": "object", "properties": map[string]any{"key": str, "label_ko": str, "label_en": str,
		"type": map[string]any{"type": "string", "enum": []any{"text", "number", "boolean", "date"}}, "builtin": map[string]any{"type": "boolean"}, "read_only": map[string]any{"type": "boolean"}}}
	return map[string]any{
		"ContactPatch": map[string]any{"type": "object", "properties": map[string]any{"attributes": map[string]any{"type": "object",
			"description": "values by attribute key, checked against the attribute's type; null unsets; counters and seen times are read-only"}},
			"description": "{id} is a contact id (digits), an email address (contains @) or the site's external user id (anything else; prefix user: for a numeric one, user:42)."},
		"ContactEventBody": map[string]any{"type": "object", "properties": map[string]any{"name": str, "at": when, "properties": obj},
			"description": "An event the customer did (signed_up, cart_added, order_paid); at defaults to now; properties at most 16 KiB of JSON."},
		"ContactEvent":     map[string]any{"type": "object", "properties": map[string]any{"id": i, "contact_id": i, "name": str, "at": when, "properties": obj}},
		"Profile":          map[string]any{"type": "object", "properties": map[string]any{"contact": obj, "attributes": obj, "events": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/ContactEvent"}}}},
		"AttributeDefBody": attr,
		"AttributeDef":     attr,
		"AttributeDefList": map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": attr}}},
		"SegmentDef":       def,
		"SegmentBody":      map[string]any{"type": "object", "properties": map[string]any{"name": str, "definition": def}},
		"Segment":          map[string]any{"type": "object", "properties": map[string]any{"id": i, "name": str, "definition": def, "created_at": when, "updated_at": when}},
		"SegmentList":      map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Segment"}}}},
		"SegmentContacts":  contacts,
	}
}

// visibleContacts drops from a segment's list the contacts the requesting
// agent may not see (store.ContactVisibleTo). The count stays the
// segment's: a number names nobody.
func (a *API) visibleContacts(r *http.Request, p *inbox.SegmentPreview) error {
	v := viewer(r)
	if v == 0 || len(p.Contacts) == 0 {
		return nil
	}
	if restricted, err := a.Store.AnyRestricted(r.Context()); err != nil || !restricted {
		return err
	}
	kept := p.Contacts[:0]
	for _, c := range p.Contacts {
		ok, err := a.Store.CanSeeContact(r.Context(), v, c.ID)
		if err != nil {
			return err
		}
		if ok {
			kept = append(kept, c)
		}
	}
	p.Contacts = kept
	return nil
}
