package ui

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hanbox/hanbox/inbox"
)

// The rating page: GET /s/{token}, the page behind the rating links of a
// survey request (inbox/surveys.go). Public, no login: the signed token is
// the credential, and it names one survey of one ticket. A link with
// ?score=N only shows the form with that score chosen: a GET never records
// anything, because mail scanners and link previews fetch the links of a
// mail before (or instead of) the customer. POST /s/{token} records the
// form and thanks. CSAT asks 1–5 with named scores, NPS 0–10 with its
// "why?" follow-up as the comment's label. The last answer within the survey's window wins; the same answer
// twice is one answer. It works without JavaScript.

// surveyScoreKeys label the CSAT scores 1–5.
var surveyScoreKeys = []string{"survey.score.1", "survey.score.2", "survey.score.3", "survey.score.4", "survey.score.5"}

type surveyChoice struct {
	N       int
	Label   string
	Checked bool
}

type surveyData struct {
	Question string
	Action   string
	Choices  []surveyChoice
	Comment  string
	Saved    bool
	// Confirm: a rating link chose Score; nothing is recorded until the
	// form is sent.
	Confirm    bool
	Error      string
	Thanks     string // set after the form was sent
	Score      int
	HasScore   bool
	ScoreLabel string
	// Why labels the comment (NPS's follow-up); Low and High name the ends
	// of a 0–10 scale.
	Why       string
	Low, High string
	Problem   string
}

func (h *handler) showSurvey(w http.ResponseWriter, r *http.Request) {
	h.survey(w, r, false)
}

func (h *handler) submitSurvey(w http.ResponseWriter, r *http.Request) {
	h.survey(w, r, true)
}

func (h *handler) survey(w http.ResponseWriter, r *http.Request, post bool) {
	ctx := r.Context()
	tok := r.PathValue("token")
	a, err := h.s.Inbox.OpenSurvey(ctx, tok)
	lang := language(r)
	if _, chosen := r.Cookie(LangCookie); chosen != nil && r.Header.Get("Accept-Language") == "" && a != nil {
		lang = a.Locale // the language the survey was asked in
	}
	tr := translatorFor(lang)
	pg := &publicPage{tr: tr, Lang: tr.lang, Theme: theme(r), Title: tr.T("survey.title"), Path: r.URL.RequestURI(), Survey: &surveyData{}}
	d := pg.Survey
	if err == nil && a.Closed {
		err = inbox.ErrSurveyExpired
	}
	status := http.StatusOK
	score := -1
	comment := ""
	if err == nil {
		if post {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if v, err := strconv.Atoi(r.PostFormValue("score")); err == nil {
				score = v
			}
			comment = r.PostFormValue("comment")
		} else if v, err := strconv.Atoi(r.URL.Query().Get("score")); err == nil && v >= a.Min && v <= a.Scale {
			score = v // preselected; recorded only when the form is sent
		}
		if post {
			var b *inbox.SurveyAccess
			b, err = h.s.Inbox.AnswerSurvey(ctx, tok, score, comment)
			var inv *inbox.InvalidError
			switch {
			case errors.As(err, &inv):
				d.Error = tr.T("survey.badScore")
				if inv.Code == "survey_comment" {
					d.Error = tr.T("survey.badComment")
				}
				status, err = http.StatusUnprocessableEntity, nil
			case err == nil:
				a = b
				d.Saved = true
			}
		}
	}
	if err != nil {
		switch {
		case errors.Is(err, inbox.ErrSurveyExpired):
			status, d.Problem = http.StatusGone, tr.T("survey.closed")
		case errors.Is(err, inbox.ErrNotFound):
			status, d.Problem = http.StatusNotFound, tr.T("survey.notFound")
		default:
			h.log.Error("survey page", "err", err)
			status, d.Problem = http.StatusInternalServerError, tr.T("common.error")
		}
		h.renderPublic(w, pg, status)
		return
	}
	question, why, thanks := a.Texts(tr.lang)
	d.Question, d.Action, d.Comment, d.Why = question, "/s/"+tok, a.Survey.Comment, why
	if a.Survey.Score != nil {
		d.Score, d.HasScore = *a.Survey.Score, true
	}
	if !post {
		d.Saved = a.Survey.Score != nil // answered before: the form changes it
		if score >= 0 {
			d.Score, d.HasScore, d.Confirm = score, true, true // the link's choice, not yet recorded
		}
	}
	if post && d.Saved {
		d.Thanks = thanks
		if a.Min == 1 && d.Score >= 1 && d.Score <= len(surveyScoreKeys) {
			d.ScoreLabel = tr.T(surveyScoreKeys[d.Score-1])
		}
	}
	for _, n := range a.Choices() {
		c := surveyChoice{N: n, Checked: d.HasScore && n == d.Score}
		if a.Min == 1 && n <= len(surveyScoreKeys) { // CSAT's named scores; NPS's 0–10 are numbers
			c.Label = tr.T(surveyScoreKeys[n-1])
		}
		d.Choices = append(d.Choices, c)
	}
	if a.Min == 0 {
		d.Low, d.High = tr.T("survey.nps.low"), tr.T("survey.nps.high")
	}
	w.Header().Set("Cache-Control", "no-store")
	h.renderPublic(w, pg, status)
}
