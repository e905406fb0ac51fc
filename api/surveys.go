package api

import (
	"encoding/csv"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// CSAT settings, responses, CSV export and scores (issue 14). A score is
// positive answers (4–5 of 5) / all answers × 100.

// CSATSettingJSON is a channel's CSAT setting.
type CSATSettingJSON struct {
	ChannelID    int64  `json:"channel_id"`
	Enabled      bool   `json:"enabled"`
	DelaySeconds int64  `json:"delay_seconds"`
	QuestionKo   string `json:"question_ko"`
	QuestionEn   string `json:"question_en"`
	ThanksKo     string `json:"thanks_ko"`
	ThanksEn     string `json:"thanks_en"`
	Scale        string `json:"scale"`
	CapDays      int    `json:"cap_days"`
}

// CSATSettingBody is the body of PUT /channels/{id}/csat.
type CSATSettingBody struct {
	Enabled      bool   `json:"enabled"`
	DelaySeconds int64  `json:"delay_seconds"`
	QuestionKo   string `json:"question_ko"`
	QuestionEn   string `json:"question_en"`
	ThanksKo     string `json:"thanks_ko"`
	ThanksEn     string `json:"thanks_en"`
	// Scale is faces (default), numbers or thumbs.
	Scale string `json:"scale"`
	// CapDays is the frequency cap in days (absent: keep the channel's,
	// 30 for a new setting; 0: every resolution).
	CapDays *int `json:"cap_days,omitempty"`
}

func csatSettingJSON(channelID int64, ss *store.SurveySetting) CSATSettingJSON {
	if ss == nil {
		return CSATSettingJSON{ChannelID: channelID, Scale: inbox.ScaleFaces, CapDays: inbox.DefaultCSATCapDays}
	}
	return CSATSettingJSON{ChannelID: channelID, Enabled: ss.Enabled, DelaySeconds: ss.DelaySeconds, QuestionKo: ss.QuestionKo,
		QuestionEn: ss.QuestionEn, ThanksKo: ss.ThanksKo, ThanksEn: ss.ThanksEn, Scale: scaleOr(ss.Scale), CapDays: ss.CapDays}
}

func scaleOr(s string) string {
	if s == "" {
		return inbox.ScaleFaces
	}
	return s
}

func (a *API) getCSATSetting(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := a.Store.GetChannel(r.Context(), id); err != nil {
		return 0, nil, err
	}
	ss, err := a.Store.SurveySettingOf(r.Context(), id, store.SurveyCSAT)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, nil, err
	}
	return http.StatusOK, csatSettingJSON(id, ss), nil
}

func (a *API) putCSATSetting(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b CSATSettingBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	ss, err := a.Inbox.SetCSATSetting(r.Context(), id, inbox.SurveySettingInput{Enabled: b.Enabled, Delay: time.Duration(b.DelaySeconds) * time.Second,
		QuestionKo: b.QuestionKo, QuestionEn: b.QuestionEn, ThanksKo: b.ThanksKo, ThanksEn: b.ThanksEn, Scale: b.Scale, CapDays: b.CapDays})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, csatSettingJSON(id, ss), nil
}

// SurveyJSON is one survey request and its answer.
type SurveyJSON struct {
	ID           int64      `json:"id"`
	Kind         string     `json:"kind"`
	TicketNumber int64      `json:"ticket_number"`
	ContactID    int64      `json:"contact_id"`
	ChannelID    int64      `json:"channel_id"`
	AgentID      *int64     `json:"agent_id"`
	TeamID       *int64     `json:"team_id"`
	Locale       string     `json:"locale"`
	Score        *int       `json:"score"`
	Comment      string     `json:"comment"`
	Answers      int        `json:"answers"`
	RequestedAt  time.Time  `json:"requested_at"`
	AnsweredAt   *time.Time `json:"answered_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	// NPSSurveyID and NPSRound name an NPS request's definition and round.
	NPSSurveyID *int64 `json:"nps_survey_id,omitempty"`
	NPSRound    *int   `json:"nps_round,omitempty"`
}

func surveyJSON(s *store.Survey) SurveyJSON {
	return SurveyJSON{ID: s.ID, Kind: s.Kind, TicketNumber: s.TicketID + store.TicketNumberBase, ContactID: s.ContactID, ChannelID: s.ChannelID,
		AgentID: s.AgentID, TeamID: s.TeamID, Locale: s.Locale, Score: s.Score, Comment: s.Comment, Answers: s.Answers,
		RequestedAt: s.RequestedAt, AnsweredAt: s.AnsweredAt, ExpiresAt: s.ExpiresAt, NPSSurveyID: s.NPSSurveyID, NPSRound: s.NPSRound}
}

// surveyFilter reads the filters of the survey endpoints: kind, ticket
// (number or id), contact, channel, agent, nps_survey, min_score and
// max_score (0–10), answered (true), from and to (RFC 3339 or YYYY-MM-DD,
// on the answer time), limit.
func (a *API) surveyFilter(r *http.Request) (store.SurveyFilter, error) {
	q := r.URL.Query()
	f := store.SurveyFilter{Kind: q.Get("kind"), Answered: q.Get("answered") == "true"}
	if f.Kind != "" && f.Kind != store.SurveyCSAT && f.Kind != store.SurveyNPS {
		return f, errf(http.StatusBadRequest, "bad_query", "kind must be csat or nps").With("field", "kind")
	}
	ints := map[string]*int64{"contact": &f.ContactID, "channel": &f.ChannelID, "agent": &f.AgentID, "nps_survey": &f.NPSSurveyID}
	for name, dst := range ints {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return f, errf(http.StatusBadRequest, "bad_query", "%s must be a positive id", name).With("field", name)
			}
			*dst = n
		}
	}
	for name, dst := range map[string]**int{"min_score": &f.MinScore, "max_score": &f.MaxScore} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 10 {
				return f, errf(http.StatusBadRequest, "bad_query", "%s must be 0..10", name).With("field", name)
			}
			*dst = &n
		}
	}
	if v := q.Get("ticket"); v != "" {
		r2 := r.Clone(r.Context())
		r2.SetPathValue("id", v)
		t, err := a.ticketParam(r2)
		if err != nil {
			return f, err
		}
		f.TicketIDs = []int64{t.ID}
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		t, err := timeParam(q, name)
		if err != nil {
			return f, err
		}
		if !t.IsZero() {
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 1000 {
			return f, errf(http.StatusBadRequest, "bad_query", "limit must be 1..1000").With("field", "limit")
		}
		f.Limit = n
	}
	return f, nil
}

// seoul is the zone of dates without a time (YYYY-MM-DD).
var seoul = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Seoul"); err == nil {
		return l
	}
	return time.FixedZone("KST", 9*3600)
}()

func (a *API) listSurveys(w http.ResponseWriter, r *http.Request) (int, any, error) {
	f, err := a.surveyFilter(r)
	if err != nil {
		return 0, nil, err
	}
	rows, err := a.Inbox.Surveys(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	items := make([]SurveyJSON, 0, len(rows))
	for i := range rows {
		items = append(items, surveyJSON(&rows[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) exportSurveys(w http.ResponseWriter, r *http.Request) (int, any, error) {
	f, err := a.surveyFilter(r)
	if err != nil {
		return 0, nil, err
	}
	if f.Limit == 0 {
		f.Limit = 1000
	}
	rows, err := a.Inbox.Surveys(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="surveys.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("\ufeff")) // so spreadsheet programs read the Korean as UTF-8
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "kind", "ticket_number", "contact_id", "channel_id", "agent_id", "team_id", "score", "comment", "answers", "requested_at", "answered_at", "nps_survey_id", "nps_round"})
	for _, s := range rows {
		agent, score, answered := "", "", ""
		if s.AgentID != nil {
			agent = strconv.FormatInt(*s.AgentID, 10)
		}
		if s.Score != nil {
			score = strconv.Itoa(*s.Score)
		}
		team := ""
		if s.TeamID != nil {
			team = strconv.FormatInt(*s.TeamID, 10)
		}
		if s.AnsweredAt != nil {
			answered = s.AnsweredAt.UTC().Format(time.RFC3339)
		}
		npsSurvey, npsRound := "", ""
		if s.NPSSurveyID != nil && s.NPSRound != nil {
			npsSurvey, npsRound = strconv.FormatInt(*s.NPSSurveyID, 10), strconv.Itoa(*s.NPSRound)
		}
		_ = cw.Write([]string{strconv.FormatInt(s.ID, 10), s.Kind, strconv.FormatInt(s.TicketID+store.TicketNumberBase, 10),
			strconv.FormatInt(s.ContactID, 10), strconv.FormatInt(s.ChannelID, 10), agent, team, score, csvSafe(s.Comment),
			strconv.Itoa(s.Answers), s.RequestedAt.UTC().Format(time.RFC3339), answered, npsSurvey, npsRound})
	}
	cw.Flush()
	return 0, nil, nil
}

// csvSafe keeps a customer's text from being read as a formula by a
// spreadsheet (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CSATScoreJSON is one group's CSAT score.
type CSATScoreJSON struct {
	Key      string  `json:"key"`
	Answers  int64   `json:"answers"`
	Positive int64   `json:"positive"`
	Score    float64 `json:"score"`
}

func (a *API) csatScores(w http.ResponseWriter, r *http.Request) (int, any, error) {
	f, err := a.surveyFilter(r)
	if err != nil {
		return 0, nil, err
	}
	by := r.URL.Query().Get("by")
	if by != "" && by != "agent" && by != "channel" && by != "team" {
		return 0, nil, errf(http.StatusBadRequest, "bad_query", "by must be agent, channel or team").With("field", "by")
	}
	total, err := a.Store.CSATScores(r.Context(), f, "")
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{"overall": scoreJSON(total)}
	if by != "" {
		rows, err := a.Store.CSATScores(r.Context(), f, by)
		if err != nil {
			return 0, nil, err
		}
		groups := make([]CSATScoreJSON, 0, len(rows))
		for _, row := range rows {
			groups = append(groups, scoreJSON([]store.ScoreRow{row}))
		}
		out["by"], out["groups"] = by, groups
	}
	return http.StatusOK, out, nil
}

func scoreJSON(rows []store.ScoreRow) CSATScoreJSON {
	var s CSATScoreJSON
	for _, r := range rows {
		s.Key, s.Answers, s.Positive = r.Key, s.Answers+r.Answers, s.Positive+r.Positive
	}
	if s.Answers > 0 {
		s.Score = math.Round(float64(s.Positive)*1000/float64(s.Answers)) / 10
	}
	return s
}

// surveySchemas document the survey endpoints.
func surveySchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	when := map[string]any{"type": "string", "format": "date-time"}
	setting := map[string]any{"enabled": map[string]any{"type": "boolean"}, "delay_seconds": i,
		"question_ko": str, "question_en": str, "thanks_ko": str, "thanks_en": str,
		"scale": map[string]any{"type": "string", "enum": []any{"faces", "numbers", "thumbs"}, "description": "five faces (default), 1–5 numbers, or thumbs down/up stored as 1 and 5"},
		"cap_days": map[string]any{"type": "integer", "minimum": 0, "maximum": 3650,
			"description": "frequency cap: no CSAT when the contact was asked any other survey (CSAT about another ticket, or NPS) within this many days; the resolution is skipped. 0: every resolution. Absent in a PUT: unchanged (30 for a new setting)"}}
	withChannel := map[string]any{"channel_id": i}
	for k, v := range setting {
		withChannel[k] = v
	}
	score := map[string]any{"type": "object", "properties": map[string]any{"key": str, "answers": i, "positive": i,
		"score": map[string]any{"type": "number", "description": "positive (4–5) / answers × 100, one decimal"}}}
	return map[string]any{
		"CSATSettingBody": map[string]any{"type": "object", "properties": setting,
			"description": "A channel's CSAT survey: on/off, delay after the resolution (0–30 days), question and thank-you in Korean and English (empty: the defaults)."},
		"CSATSetting": map[string]any{"type": "object", "properties": withChannel},
		"Survey": map[string]any{"type": "object", "properties": map[string]any{
			"id": i, "kind": map[string]any{"type": "string", "enum": []any{"csat", "nps"}}, "ticket_number": i, "contact_id": i, "channel_id": i,
			"agent_id": i, "team_id": i, "locale": str, "score": i, "comment": str, "answers": i,
			"requested_at": when, "answered_at": when, "expires_at": when, "nps_survey_id": i, "nps_round": i}},
		"SurveyList": map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Survey"}}}},
		"CSATScore":  score,
		"CSATScores": map[string]any{"type": "object", "properties": map[string]any{"overall": score, "by": str, "groups": map[string]any{"type": "array", "items": score}}},
	}
}
