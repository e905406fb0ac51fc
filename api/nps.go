package api

import (
	"math"
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// NPS survey definitions and the NPS score (issue 14). Responses are the
// survey list and CSV export with kind=nps (and nps_survey, min_score,
// max_score).

// NPSSurveyBody is the body of POST /nps-surveys and PUT /nps-surveys/{id}.
type NPSSurveyBody struct {
	Name        string `json:"name"`
	Enabled     bool   `json:"enabled"`
	QuestionKo  string `json:"question_ko"`
	QuestionEn  string `json:"question_en"`
	WhyKo       string `json:"why_ko"`
	WhyEn       string `json:"why_en"`
	ThanksKo    string `json:"thanks_ko"`
	ThanksEn    string `json:"thanks_en"`
	AudienceTag string `json:"audience_tag"`
	// Anchor is what the rounds count from: first_conversation (default),
	// attribute (the date attribute AnchorAttribute) or date (AnchorDate).
	Anchor          string `json:"anchor"`
	AnchorAttribute string `json:"anchor_attribute"`
	AnchorDate      string `json:"anchor_date"`
	FirstDays       int    `json:"first_days"`
	RepeatDays      []int  `json:"repeat_days"`
	ByEmail         bool   `json:"by_email"`
	ByWidget        bool   `json:"by_widget"`
	CapAnyDays      int    `json:"cap_any_days"`
	CapNPSDays      int    `json:"cap_nps_days"`
	QuietStart      string `json:"quiet_start"`
	QuietEnd        string `json:"quiet_end"`
	TimeZone        string `json:"time_zone"`
}

// NPSSurveyJSON is a definition.
type NPSSurveyJSON struct {
	ID int64 `json:"id"`
	NPSSurveyBody
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func npsSurveyJSON(n *store.NPSSurvey) NPSSurveyJSON {
	rep := n.Repeats()
	if rep == nil {
		rep = []int{}
	}
	return NPSSurveyJSON{ID: n.ID, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt, NPSSurveyBody: NPSSurveyBody{Name: n.Name, Enabled: n.Enabled,
		QuestionKo: n.QuestionKo, QuestionEn: n.QuestionEn, WhyKo: n.WhyKo, WhyEn: n.WhyEn, ThanksKo: n.ThanksKo, ThanksEn: n.ThanksEn,
		AudienceTag: n.AudienceTag, Anchor: anchorOr(n.Anchor), AnchorAttribute: n.AnchorAttribute, AnchorDate: n.AnchorDate,
		FirstDays: n.FirstDays, RepeatDays: rep, ByEmail: n.ByEmail, ByWidget: n.ByWidget,
		CapAnyDays: n.CapAnyDays, CapNPSDays: n.CapNPSDays, QuietStart: n.QuietStart, QuietEnd: n.QuietEnd, TimeZone: n.TimeZone}}
}

func anchorOr(a string) string {
	if a == "" {
		return inbox.AnchorFirstConversation
	}
	return a
}

func (b *NPSSurveyBody) input() inbox.NPSSurveyInput {
	return inbox.NPSSurveyInput{Name: b.Name, Enabled: b.Enabled, QuestionKo: b.QuestionKo, QuestionEn: b.QuestionEn, WhyKo: b.WhyKo,
		WhyEn: b.WhyEn, ThanksKo: b.ThanksKo, ThanksEn: b.ThanksEn, AudienceTag: b.AudienceTag, FirstDays: b.FirstDays,
		Anchor: b.Anchor, AnchorAttribute: b.AnchorAttribute, AnchorDate: b.AnchorDate,
		RepeatDays: b.RepeatDays, ByEmail: b.ByEmail, ByWidget: b.ByWidget, CapAnyDays: b.CapAnyDays, CapNPSDays: b.CapNPSDays,
		QuietStart: b.QuietStart, QuietEnd: b.QuietEnd, TimeZone: b.TimeZone}
}

func (a *API) nps() (*inbox.NPS, error) {
	if a.NPS == nil {
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "NPS surveys are not enabled on this server")
	}
	return a.NPS, nil
}

func (a *API) listNPSSurveys(w http.ResponseWriter, r *http.Request) (int, any, error) {
	n, err := a.nps()
	if err != nil {
		return 0, nil, err
	}
	rows, err := n.List(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := make([]NPSSurveyJSON, 0, len(rows))
	for i := range rows {
		items = append(items, npsSurveyJSON(&rows[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) getNPSSurvey(w http.ResponseWriter, r *http.Request) (int, any, error) {
	n, err := a.nps()
	if err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	row, err := n.Get(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, npsSurveyJSON(row), nil
}

func (a *API) createNPSSurvey(w http.ResponseWriter, r *http.Request) (int, any, error) {
	n, err := a.nps()
	if err != nil {
		return 0, nil, err
	}
	var b NPSSurveyBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	row, err := n.Create(r.Context(), b.input())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, npsSurveyJSON(row), nil
}

func (a *API) putNPSSurvey(w http.ResponseWriter, r *http.Request) (int, any, error) {
	n, err := a.nps()
	if err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b NPSSurveyBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	row, err := n.Update(r.Context(), id, b.input())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, npsSurveyJSON(row), nil
}

func (a *API) deleteNPSSurvey(w http.ResponseWriter, r *http.Request) (int, any, error) {
	n, err := a.nps()
	if err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := n.Delete(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"ok": true}, nil
}

// NPSScoreJSON is the NPS of a selection of answers.
type NPSScoreJSON struct {
	Answers    int64   `json:"answers"`
	Promoters  int64   `json:"promoters"`
	Passives   int64   `json:"passives"`
	Detractors int64   `json:"detractors"`
	Score      float64 `json:"score"`
}

func npsScoreJSON(c store.NPSCounts) NPSScoreJSON {
	return NPSScoreJSON{Answers: c.Answers, Promoters: c.Promoters, Detractors: c.Detractors,
		Passives: c.Answers - c.Promoters - c.Detractors, Score: math.Round(c.Score()*10) / 10}
}

func (a *API) npsScore(w http.ResponseWriter, r *http.Request) (int, any, error) {
	f, err := a.surveyFilter(r)
	if err != nil {
		return 0, nil, err
	}
	c, err := a.Inbox.NPSScore(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, npsScoreJSON(c), nil
}

// npsSchemas document the NPS endpoints.
func npsSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	b := map[string]any{"type": "boolean"}
	body := map[string]any{"name": str, "enabled": b, "question_ko": str, "question_en": str, "why_ko": str, "why_en": str,
		"thanks_ko": str, "thanks_en": str,
		"audience_tag": map[string]any{"type": "string", "description": "only contacts with a ticket carrying this tag; empty: every contact"},
		"anchor": map[string]any{"type": "string", "enum": inbox.NPSAnchors(),
			"description": "what the rounds count from: the contact's first conversation (default; due at its time of day), a date attribute of the contact (anchor_attribute, e.g. signup_date; contacts without it are not asked) or one date for the whole audience (anchor_date, e.g. VIP on 2027-01-15); dates are due at 10:00 in the contact's time zone"},
		"anchor_attribute": map[string]any{"type": "string", "description": "the key of a date attribute (anchor attribute)"},
		"anchor_date":      map[string]any{"type": "string", "format": "date", "description": "YYYY-MM-DD (anchor date)"},
		"first_days":       map[string]any{"type": "integer", "description": "round 0 is due this many days after the anchor"},
		"repeat_days":      map[string]any{"type": "array", "items": i, "description": "later rounds, in days after round 0 (e.g. 30, 60, 90, 180)"},
		"by_email":         b, "by_widget": b,
		"cap_any_days": map[string]any{"type": "integer", "description": "no survey of any kind more often (default 30)"},
		"cap_nps_days": map[string]any{"type": "integer", "description": "no NPS survey more often (default 90)"},
		"quiet_start":  map[string]any{"type": "string", "description": "HH:MM in the contact's time zone (default 21:00)"},
		"quiet_end":    map[string]any{"type": "string", "description": "HH:MM (default 09:00)"},
		"time_zone":    map[string]any{"type": "string", "description": "IANA zone for contacts without one (default Asia/Seoul)"}}
	full := map[string]any{"id": i, "created_at": map[string]any{"type": "string", "format": "date-time"},
		"updated_at": map[string]any{"type": "string", "format": "date-time"}}
	for k, v := range body {
		full[k] = v
	}
	return map[string]any{
		"NPSSurveyBody": map[string]any{"type": "object", "properties": body, "description": "An NPS survey definition (0–10 with a why? follow-up)."},
		"NPSSurvey":     map[string]any{"type": "object", "properties": full},
		"NPSSurveyList": map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/NPSSurvey"}}}},
		"NPSScore": map[string]any{"type": "object", "properties": map[string]any{"answers": i, "promoters": i, "passives": i, "detractors": i,
			"score": map[string]any{"type": "number", "description": "% promoters (9–10) − % detractors (0–6), one decimal"}}},
	}
}
