package api

import (
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// Life-cycle messages (campaigns, issue 15): definitions, statistics and a
// preview of the content for a contact.

// CampaignBody is the body of POST /campaigns and PUT /campaigns/{id}.
type CampaignBody struct {
	Name           string              `json:"name"`
	Enabled        bool                `json:"enabled"`
	Channel        string              `json:"channel"`
	ChannelID      int64               `json:"channel_id"`
	SegmentID      *int64              `json:"segment_id"`
	Trigger        string              `json:"trigger"`
	TriggerConfig  store.TriggerConfig `json:"trigger_config"`
	GoalEvent      string              `json:"goal_event"`
	SubjectKo      string              `json:"subject_ko"`
	SubjectEn      string              `json:"subject_en"`
	BodyKo         string              `json:"body_ko"`
	BodyEn         string              `json:"body_en"`
	RequireConsent bool                `json:"require_consent"`
	// TrackOpens is optional: absent takes true (email only).
	TrackOpens *bool `json:"track_opens"`
	// CapDays is optional: absent takes 7 days, 0 is no cap.
	CapDays    *int   `json:"cap_days"`
	QuietStart string `json:"quiet_start"`
	QuietEnd   string `json:"quiet_end"`
	TimeZone   string `json:"time_zone"`
}

// CampaignJSON is a campaign with its statistics.
type CampaignJSON struct {
	ID int64 `json:"id"`
	CampaignBody
	Stats     store.CampaignStats `json:"stats"`
	CreatedAt time.Time           `json:"created_at"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// DefaultCampaignCapDays is the frequency cap of a campaign that names none.
const DefaultCampaignCapDays = 7

func campaignJSON(c *store.Campaign, st store.CampaignStats) CampaignJSON {
	capDays, opens := c.CapDays, c.TrackOpens
	return CampaignJSON{ID: c.ID, Stats: st, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, CampaignBody: CampaignBody{
		Name: c.Name, Enabled: c.Enabled, Channel: c.Channel, ChannelID: c.ChannelID, SegmentID: c.SegmentID,
		Trigger: c.TriggerKind, TriggerConfig: c.TriggerConfig, GoalEvent: c.GoalEvent, SubjectKo: c.SubjectKo, SubjectEn: c.SubjectEn,
		BodyKo: c.BodyKo, BodyEn: c.BodyEn, RequireConsent: c.RequireConsent, TrackOpens: &opens, CapDays: &capDays,
		QuietStart: c.QuietStart, QuietEnd: c.QuietEnd, TimeZone: c.TimeZone}}
}

// Input is the body as the inbox takes it.
func (b *CampaignBody) Input() inbox.CampaignInput {
	capDays := DefaultCampaignCapDays
	if b.CapDays != nil {
		capDays = *b.CapDays
	}
	opens := b.TrackOpens == nil || *b.TrackOpens
	return inbox.CampaignInput{Name: b.Name, Enabled: b.Enabled, Channel: b.Channel, ChannelID: b.ChannelID, SegmentID: b.SegmentID,
		TriggerKind: b.Trigger, Trigger: b.TriggerConfig, GoalEvent: b.GoalEvent, SubjectKo: b.SubjectKo, SubjectEn: b.SubjectEn,
		BodyKo: b.BodyKo, BodyEn: b.BodyEn, RequireConsent: b.RequireConsent, TrackOpens: opens, CapDays: capDays,
		QuietStart: b.QuietStart, QuietEnd: b.QuietEnd, TimeZone: b.TimeZone}
}

func (a *API) campaigns() (*inbox.Campaigns, error) {
	if a.Campaigns == nil {
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "campaigns are not enabled on this server")
	}
	return a.Campaigns, nil
}

func (a *API) campaignOut(r *http.Request, m *inbox.Campaigns, c *store.Campaign) (CampaignJSON, error) {
	st, err := m.Stats(r.Context(), c.ID)
	if err != nil {
		return CampaignJSON{}, err
	}
	return campaignJSON(c, st), nil
}

func (a *API) listCampaigns(w http.ResponseWriter, r *http.Request) (int, any, error) {
	m, err := a.campaigns()
	if err != nil {
		return 0, nil, err
	}
	rows, err := m.List(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := make([]CampaignJSON, 0, len(rows))
	for i := range rows {
		j, err := a.campaignOut(r, m, &rows[i])
		if err != nil {
			return 0, nil, err
		}
		items = append(items, j)
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) getCampaign(w http.ResponseWriter, r *http.Request) (int, any, error) {
	m, err := a.campaigns()
	if err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	row, err := m.Get(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	j, err := a.campaignOut(r, m, row)
	return http.StatusOK, j, err
}

func (a *API) createCampaign(w http.ResponseWriter, r *http.Request) (int, any, error) {
	m, err := a.campaigns()
	if err != nil {
		return 0, nil, err
	}
	var b CampaignBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	row, err := m.Create(r.Context(), b.Input())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, campaignJSON(row, store.CampaignStats{}), nil
}

func (a *API) putCampaign(w http.ResponseWriter, r *http.Request) (int, any, error) {
	m, err := a.campaigns()
	if err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b CampaignBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	row, err := m.Update(r.Context(), id, b.Input())
	if err != nil {
		return 0, nil, err
	}
	j, err := a.campaignOut(r, m, row)
	return http.StatusOK, j, err
}

func (a *API) deleteCampaign(w http.ResponseWriter, r *http.Request) (int, any, error) {
	m, err := a.campaigns()
	if err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := m.Delete(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"ok": true}, nil
}

// CampaignPreviewBody asks for a campaign's content as a contact would get
// it (contact_id 0: a contact without a name) in a locale.
type CampaignPreviewBody struct {
	CampaignBody
	ContactID int64  `json:"contact_id"`
	Locale    string `json:"locale"`
}

func (a *API) previewCampaign(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b CampaignPreviewBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	var c *store.Contact
	if b.ContactID != 0 {
		ct, err := a.Inbox.Contact(r.Context(), b.ContactID)
		if err != nil {
			return 0, nil, err
		}
		c = &store.Contact{ID: ct.ID, Name: ct.Name, Email: ct.Email}
	}
	subject, body := a.Inbox.CampaignPreview(r.Context(), b.Input(), c, b.Locale)
	return http.StatusOK, map[string]any{"subject": subject, "body": body}, nil
}

// campaignSchemas document the campaign endpoints.
func campaignSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	b := map[string]any{"type": "boolean"}
	trig := map[string]any{"type": "object", "description": "the trigger's settings; the fields of its kind count", "properties": map[string]any{
		"event":             map[string]any{"type": "string", "description": "event: the event's name (cart_added)"},
		"delay_minutes":     map[string]any{"type": "integer", "description": "event: send this long after it"},
		"stop_event":        map[string]any{"type": "string", "description": "event: not sent when this event happens in between (order_paid)"},
		"repeat":            map[string]any{"type": "boolean", "description": "event: once per event instead of once per contact"},
		"attribute":         map[string]any{"type": "string", "description": "milestone: a number attribute or counter (messages)"},
		"value":             map[string]any{"type": "number", "description": "milestone: the value it reaches"},
		"date_attribute":    map[string]any{"type": "string", "description": "schedule: a date attribute"},
		"days":              map[string]any{"type": "array", "items": i, "description": "schedule: days after the date (30, 60, 90, 180)"},
		"at":                map[string]any{"type": "string", "description": "schedule: a fixed date (YYYY-MM-DD, 10:00 in the time zone, or RFC 3339)"},
		"inactive_days":     map[string]any{"type": "integer", "description": "inactivity: last seen more than this many days ago"},
		"url_pattern":       map[string]any{"type": "string", "description": "widget: only on pages matching (* is anything); page: required"},
		"office_hours_only": b,
		"min_seconds":       map[string]any{"type": "integer", "description": "page: seconds on the page before the message shows (0 to 3600), timed by the widget from the page's load"}}}
	body := map[string]any{"name": str, "enabled": b,
		"channel":        map[string]any{"type": "string", "enum": []string{store.CampaignEmail, store.CampaignWidget}},
		"channel_id":     map[string]any{"type": "integer", "description": "email: the channel to send on (0: the first enabled email channel)"},
		"segment_id":     map[string]any{"type": []string{"integer", "null"}, "description": "the audience; null: every contact"},
		"trigger":        map[string]any{"type": "string", "enum": store.TriggerKinds()},
		"trigger_config": trig,
		"goal_event":     map[string]any{"type": "string", "description": "the event that counts as the goal; a send still waiting is dropped when it happens"},
		"subject_ko":     str, "subject_en": str,
		"body_ko":         map[string]any{"type": "string", "description": "placeholders {{contact.name}}, {{contact.name|fallback}}, {{contact.<attribute>}}"},
		"body_en":         str,
		"require_consent": map[string]any{"type": "boolean", "description": "only contacts whose email_marketing (email) or proactive_chat (widget) is true"},
		"track_opens":     map[string]any{"type": "boolean", "description": "email: add a tracking image whose loading counts the message seen (approximate: mail apps block or prefetch images; default true). Links are always tracked: each goes through GET /r/{token}, which counts the first click and redirects to that link only"},
		"cap_days":        map[string]any{"type": "integer", "description": "no campaign message or survey to a contact more often (default 7; 0 none)"},
		"quiet_start":     map[string]any{"type": "string", "description": "HH:MM in the contact's time zone (default 21:00); email waits"},
		"quiet_end":       map[string]any{"type": "string", "description": "HH:MM (default 09:00)"},
		"time_zone":       map[string]any{"type": "string", "description": "IANA zone for contacts without one (default Asia/Seoul)"}}
	stats := map[string]any{"type": "object", "properties": map[string]any{"sent": i, "delivered": i, "failed": i,
		"seen":      map[string]any{"type": "integer", "description": "widget: shown; email: the open image loaded or a link followed (approximate: mail apps block or prefetch images)"},
		"clicked":   map[string]any{"type": "integer", "description": "widget: the bubble clicked; email: a tracked link (GET /r/{token}) followed, once per message"},
		"dismissed": i, "replied": i, "unsubscribed": i, "goal_reached": i}}
	full := map[string]any{"id": i, "stats": stats, "created_at": map[string]any{"type": "string", "format": "date-time"},
		"updated_at": map[string]any{"type": "string", "format": "date-time"}}
	for k, v := range body {
		full[k] = v
	}
	preview := map[string]any{"contact_id": i, "locale": map[string]any{"type": "string", "enum": []string{"ko", "en"}}}
	for k, v := range body {
		preview[k] = v
	}
	return map[string]any{
		"CampaignBody":        map[string]any{"type": "object", "properties": body, "description": "A life-cycle message: audience, channel, trigger, ko/en content, limits."},
		"Campaign":            map[string]any{"type": "object", "properties": full},
		"CampaignList":        map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Campaign"}}}},
		"CampaignPreviewBody": map[string]any{"type": "object", "properties": preview},
		"CampaignPreview":     map[string]any{"type": "object", "properties": map[string]any{"subject": str, "body": str}},
	}
}
