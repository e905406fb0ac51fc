package ui

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// The surveys admin page, GET /admin/surveys: the NPS survey definitions
// with a form to add or change one (texts, audience, schedule, channels,
// caps, quiet hours) and a live preview of the question, saved through
// /api/v1/nps-surveys by admin.js; and the NPS responses with filters
// (survey, score range, answer dates: a GET form rendered here), the NPS
// of the selection and a CSV export link of the same filters.

type npsAdminData struct {
	Surveys []npsSurveyView
	// Filter is the responses filter as the form shows it.
	Filter    npsFilter
	Responses []npsResponseView
	Score     store.NPSCounts
	NPS       string // the score, one decimal
	Passives  int64
	ExportURL string
	Scale     []int // 0–10, for the preview
	// DateAttributes are the contact attributes a schedule can count from.
	DateAttributes []npsAttr
}

type npsAttr struct{ Key, Label string }

type npsSurveyView struct {
	store.NPSSurvey
	Repeat string // "30, 60, 90, 180"
	// AnchorLabel names what the rounds count from when it is not the
	// first conversation: the attribute's label or the date.
	AnchorLabel string
}

type npsFilter struct {
	Survey   int64
	Min, Max string
	From, To string
}

type npsResponseView struct {
	store.Survey
	Group        string // the catalogue key of promoter, passive or detractor; "" unanswered
	Ticket       int64  // the ticket's number
	TicketPublic string // for the link
	ScoreN       int
	RoundN       int
}

func (h *handler) showSurveysAdmin(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	d := npsAdminData{Scale: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	pg := h.newPage(r, p, "surveys", "admin.surveys")
	if h.s.NPS != nil {
		rows, err := h.s.NPS.List(ctx)
		if err != nil {
			h.fail(w, r, p, "list nps surveys", err)
			return
		}
		defs, err := h.s.Inbox.AttributeDefs(ctx)
		if err != nil {
			h.fail(w, r, p, "attribute definitions", err)
			return
		}
		lang := pg.Lang
		labels := map[string]string{}
		for _, a := range defs {
			if a.Type == store.AttrDate {
				d.DateAttributes = append(d.DateAttributes, npsAttr{Key: a.Key, Label: a.Label(lang)})
				labels[a.Key] = a.Label(lang)
			}
		}
		for _, s := range rows {
			v := npsSurveyView{NPSSurvey: s, Repeat: strings.ReplaceAll(s.RepeatDays, ",", ", ")}
			switch s.Anchor {
			case inbox.AnchorAttribute:
				v.AnchorLabel = labels[s.AnchorAttribute]
				if v.AnchorLabel == "" {
					v.AnchorLabel = s.AnchorAttribute
				}
			case inbox.AnchorDate:
				v.AnchorLabel = s.AnchorDate
			}
			d.Surveys = append(d.Surveys, v)
		}
	}
	q := r.URL.Query()
	f := store.SurveyFilter{Kind: store.SurveyNPS, Limit: 200}
	api := url.Values{"kind": {store.SurveyNPS}}
	if v, err := strconv.ParseInt(q.Get("survey"), 10, 64); err == nil && v > 0 {
		f.NPSSurveyID, d.Filter.Survey = v, v
		api.Set("nps_survey", strconv.FormatInt(v, 10))
	}
	for _, b := range []struct {
		name, apiName string
		dst           **int
		shown         *string
	}{{"min", "min_score", &f.MinScore, &d.Filter.Min}, {"max", "max_score", &f.MaxScore, &d.Filter.Max}} {
		if v, err := strconv.Atoi(q.Get(b.name)); err == nil && v >= 0 && v <= 10 {
			*b.dst, *b.shown = &v, strconv.Itoa(v)
			api.Set(b.apiName, *b.shown)
		}
	}
	for _, b := range []struct {
		name  string
		dst   *time.Time
		shown *string
		end   bool
	}{{"from", &f.From, &d.Filter.From, false}, {"to", &f.To, &d.Filter.To, true}} {
		if t, err := time.ParseInLocation(time.DateOnly, q.Get(b.name), seoulZone); err == nil {
			*b.shown = q.Get(b.name)
			if b.end {
				t = t.AddDate(0, 0, 1) // "to" includes its day
			}
			*b.dst = t
			api.Set(b.name, t.Format(time.RFC3339))
		}
	}
	if d.Filter.Min != "" || d.Filter.Max != "" || d.Filter.From != "" || d.Filter.To != "" {
		f.Answered = true
		api.Set("answered", "true")
	}
	rows, err := h.s.Inbox.Surveys(ctx, f)
	if err != nil {
		h.fail(w, r, p, "list nps responses", err)
		return
	}
	ids := make([]int64, 0, len(rows))
	for _, s := range rows {
		ids = append(ids, s.TicketID)
	}
	var pubs []store.Ticket
	if len(ids) > 0 {
		if err := h.s.Store.DB.WithContext(ctx).Select("id", "public_id").Where("id IN ?", ids).Find(&pubs).Error; err != nil {
			h.fail(w, r, p, "nps response tickets", err)
			return
		}
	}
	pub := make(map[int64]string, len(pubs))
	for _, t := range pubs {
		pub[t.ID] = t.PublicID
	}
	for _, s := range rows {
		v := npsResponseView{Survey: s, Ticket: s.TicketID + store.TicketNumberBase, TicketPublic: pub[s.TicketID]}
		if s.NPSRound != nil {
			v.RoundN = *s.NPSRound
		}
		if s.Score != nil {
			v.ScoreN = *s.Score
			switch {
			case *s.Score >= 9:
				v.Group = "nps.group.promoter"
			case *s.Score <= 6:
				v.Group = "nps.group.detractor"
			default:
				v.Group = "nps.group.passive"
			}
		}
		d.Responses = append(d.Responses, v)
	}
	if d.Score, err = h.s.Inbox.NPSScore(ctx, f); err != nil {
		h.fail(w, r, p, "nps score", err)
		return
	}
	d.NPS = strconv.FormatFloat(math.Round(d.Score.Score()*10)/10, 'f', 1, 64)
	d.Passives = d.Score.Answers - d.Score.Promoters - d.Score.Detractors
	d.ExportURL = "/api/v1/surveys/export.csv?" + api.Encode()
	pg.Data = d
	pg.Boot["npsDefaults"] = map[string]any{"question_ko": npsDefault("ko", 0), "question_en": npsDefault("en", 0),
		"why_ko": npsDefault("ko", 1), "why_en": npsDefault("en", 1), "repeat": inbox.NPSPresetRepeats}
	h.render(w, r, "surveys", pg)
}

func npsDefault(locale string, which int) string {
	q, why, _ := inbox.NPSTexts(nil, locale)
	if which == 1 {
		return why
	}
	return q
}

// seoulZone is the zone of the date filters.
var seoulZone = func() *time.Location {
	if l, err := time.LoadLocation(inbox.DefaultTimeZone); err == nil {
		return l
	}
	return time.FixedZone("KST", 9*3600)
}()
