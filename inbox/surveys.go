package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// CSAT: a customer is asked to rate the conversation after their ticket is
// resolved.
//
//   - The durable consumer CSATConsumer sees every ticket.updated that sets
//     the status to resolved and, when the ticket qualifies (not merged, not
//     tagged spam, answered by an agent at least once, and the survey is on
//     for the channel of the customer's latest message), schedules a job
//     "survey.csat" keyed by ticket and round, due after the channel's delay.
//     The round is the id of the resolving event, so a replayed event
//     schedules nothing new, and a ticket reopened and resolved again is a
//     new round.
//   - The job, when due, asks only if the ticket is still resolved (or
//     closed): it writes the survey row (unique per ticket, kind and round),
//     the request message and its outbox row, and completes itself, in one
//     transaction, fenced by the job's lease. The dispatcher delivers the
//     request on that channel like a reply (Outbound.Survey set), so
//     connectors render it natively and delivery is at least once.
//   - Rating links carry a token "<survey public id>.<ticket id>.<HMAC>"
//     under the server key of conversation links (a separate domain string),
//     so a token names one survey of one ticket and nothing else.
//   - Answers: the last answer before the survey expires wins; the same
//     answer again changes nothing. Every change records a durable
//     survey.answered event; a low score (1–2 of 5) sets Survey.Low so
//     automations can react.

// Survey jobs, consumers and events.
const (
	JobCSAT             = "survey.csat"
	CSATConsumerName    = "survey.csat"
	EventSurveyAnswered = "survey.answered"
	// DefaultSurveyWindow is how long a survey can be answered.
	DefaultSurveyWindow = 7 * 24 * time.Hour
	// CSATScale is the top of the CSAT scale (1–5).
	CSATScale = 5
	// TagSpam marks a ticket as spam: it is never surveyed.
	TagSpam = "spam"
)

// Errors of OpenSurvey and AnswerSurvey. ErrSurveyInvalid is an ErrNotFound.
var (
	ErrSurveyInvalid = fmt.Errorf("inbox: no such survey: %w", ErrNotFound)
	ErrSurveyExpired = errors.New("inbox: this survey has closed")
)

// SurveyChanges describes a survey.answered event.
type SurveyChanges struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	Score   int    `json:"score"`
	Comment string `json:"comment,omitempty"`
	// Previous is the score this answer replaced (nil: first answer).
	Previous *int `json:"previous,omitempty"`
	// Low is true for a low score, the one automations watch: CSAT 1–2 of
	// 5 (a thumbs down is 1), NPS 0–6 (a detractor).
	Low bool `json:"low,omitempty"`
}

// SurveyRequest is the survey an Outbound asks (Outbound.Survey): connectors
// render it natively (rating links, buttons, a card) and fall back to the
// message text, which names the rating page.
type SurveyRequest struct {
	PublicID string
	Kind     string
	// Scale is the top score (5 for CSAT, 10 for NPS); scores run from
	// Lowest() (1 for CSAT, 0 for NPS).
	Scale    int
	Question string
	// Style is how the scores show: ScaleFaces, ScaleNumbers, ScaleThumbs
	// (CSAT) or "nps" (0–10 numbers); Choices lists the scores offered.
	Style string
	// Why is the follow-up question for the comment (NPS's "why?"; "" for CSAT).
	Why    string
	Thanks string
	Locale string // "ko" or "en"
	// URL is the public rating page; ScoreURL adds a chosen score.
	URL string
	// UnsubscribeURL is the contact's page to stop survey requests; an
	// email carries it in List-Unsubscribe (one-click POST, RFC 8058).
	UnsubscribeURL string
}

// Lowest is the lowest score: 0 for NPS, 1 for CSAT.
func (r *SurveyRequest) Lowest() int {
	if r.Kind == store.SurveyNPS {
		return 0
	}
	return 1
}

// Choices are the scores a request offers, lowest first: 0–10 for NPS,
// 1–5 for CSAT, 1 and 5 on the thumbs scale.
func (r *SurveyRequest) Choices() []int { return scoreChoices(r.Style, r.Lowest(), r.Scale) }

func scoreChoices(style string, lo, hi int) []int {
	if style == ScaleThumbs {
		return []int{1, CSATScale}
	}
	out := make([]int, 0, hi-lo+1)
	for n := lo; n <= hi; n++ {
		out = append(out, n)
	}
	return out
}

// ScoreURL is the rating page with score n chosen.
func (r *SurveyRequest) ScoreURL(n int) string {
	return r.URL + "?score=" + strconv.Itoa(n)
}

// Default survey texts, used when a channel's setting leaves one empty.
var surveyDefaults = map[string]map[string]string{
	"ko": {"question": "상담은 만족스러우셨나요? 1(매우 불만족)부터 5(매우 만족)까지 골라 주세요.", "thanks": "소중한 의견 감사합니다."},
	"en": {"question": "How satisfied were you with our support? Choose from 1 (very unsatisfied) to 5 (very satisfied).", "thanks": "Thank you for your feedback."},
}

// SurveyLabels names the CSAT scores 1–5 in a locale ("ko" or "en"), for
// channels that label their rating links or buttons.
func SurveyLabels(locale string) []string {
	if surveyLocale(locale) == "en" {
		return []string{"Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied"}
	}
	return []string{"매우 불만족", "불만족", "보통", "만족", "매우 만족"}
}

// SurveyUnsubscribeLabel names the link that stops survey requests, in a
// locale ("ko" or "en").
func SurveyUnsubscribeLabel(locale string) string {
	if surveyLocale(locale) == "en" {
		return "Stop survey emails"
	}
	return "설문 메일 받지 않기"
}

// SurveyTexts returns the question and thank-you of a setting in a locale
// ("ko" or "en"), with the defaults for empty ones. ss may be nil.
func SurveyTexts(ss *store.SurveySetting, locale string) (question, thanks string) {
	locale = surveyLocale(locale)
	if ss != nil {
		if locale == "ko" {
			question, thanks = ss.QuestionKo, ss.ThanksKo
		} else {
			question, thanks = ss.QuestionEn, ss.ThanksEn
		}
	}
	if strings.TrimSpace(question) == "" {
		question = surveyDefaults[locale]["question"]
	}
	if strings.TrimSpace(thanks) == "" {
		thanks = surveyDefaults[locale]["thanks"]
	}
	return question, thanks
}

// surveyLocale is "en" for English locales and "ko" for everything else
// (Hanbox's first language).
func surveyLocale(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "en") {
		return "en"
	}
	return "ko"
}

// CSAT rating scales (SurveySettingInput.Scale).
const (
	ScaleFaces   = "faces"   // five faces, 1–5 (the default)
	ScaleNumbers = "numbers" // 1–5 as numbers
	ScaleThumbs  = "thumbs"  // thumbs down / up, stored as 1 and 5
	scaleNPS     = "nps"     // 0–10
)

// CSATScales lists the CSAT rating scales.
func CSATScales() []string { return []string{ScaleFaces, ScaleNumbers, ScaleThumbs} }

// SurveySettingInput is an admin's change to a channel's CSAT setting.
type SurveySettingInput struct {
	// Scale is ScaleFaces ("" too), ScaleNumbers or ScaleThumbs.
	Scale string
	// CapDays is the frequency cap (see DefaultCSATCapDays): nil keeps the channel's
	// (DefaultCSATCapDays for a new setting), 0 asks after every
	// resolution.
	CapDays    *int
	Enabled    bool
	Delay      time.Duration
	QuestionKo string
	QuestionEn string
	ThanksKo   string
	ThanksEn   string
}

// SetCSATSetting stores channel channelID's CSAT setting.
func (s *Service) SetCSATSetting(ctx context.Context, channelID int64, in SurveySettingInput) (*store.SurveySetting, error) {
	if in.Delay < 0 || in.Delay > 30*24*time.Hour {
		return nil, invalidAs("survey_delay", nil, "the delay must be between 0 and 30 days")
	}
	var ch store.Channel
	if err := s.st.DB.WithContext(ctx).Take(&ch, channelID).Error; err != nil {
		return nil, fmt.Errorf("inbox: channel %d: %w", channelID, notFound(err))
	}
	if in.Scale == "" {
		in.Scale = ScaleFaces
	}
	if !slices.Contains(CSATScales(), in.Scale) {
		return nil, invalidAs("survey_scale", nil, "the scale must be faces, numbers or thumbs")
	}
	capDays := DefaultCSATCapDays
	if in.CapDays != nil {
		capDays = *in.CapDays
	} else if old, err := s.st.SurveySettingOf(ctx, channelID, store.SurveyCSAT); err == nil {
		capDays = old.CapDays
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if capDays < 0 || capDays > 3650 {
		return nil, invalidAs("survey_cap", nil, "the frequency cap is 0 to 3650 days")
	}
	ss := &store.SurveySetting{ChannelID: channelID, Kind: store.SurveyCSAT, Enabled: in.Enabled, DelaySeconds: int64(in.Delay / time.Second),
		Scale: in.Scale, CapDays: capDays, UpdatedAt: now()}
	for _, f := range []struct {
		dst *string
		v   string
	}{{&ss.QuestionKo, in.QuestionKo}, {&ss.QuestionEn, in.QuestionEn}, {&ss.ThanksKo, in.ThanksKo}, {&ss.ThanksEn, in.ThanksEn}} {
		v, err := plaintext.Text(strings.TrimSpace(f.v), 1000)
		if err != nil {
			return nil, invalidAs("survey_text", nil, "a survey text is too long or not text")
		}
		*f.dst = v
	}
	if err := s.st.PutSurveySetting(ctx, ss); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return ss, nil
}

// csatJob is the payload of a survey.csat job.
type csatJob struct {
	TicketID int64 `json:"ticket_id"`
	Round    int64 `json:"round"`
}

// EnableSurveys adds the CSAT consumer and registers the survey jobs on
// sched. Call it once, before RunConsumers and sched.Run.
func (s *Service) EnableSurveys(ctx context.Context, sched *jobs.Scheduler) error {
	sched.Handle(JobCSAT, s.runCSATJob)
	return s.AddConsumer(ctx, s.CSATConsumer(sched))
}

// CSATConsumer is the durable consumer that schedules a CSAT request when a
// ticket is resolved.
func (s *Service) CSATConsumer(sched *jobs.Scheduler) Consumer {
	return Consumer{Name: CSATConsumerName, Types: []string{EventTicketUpdated}, Handle: func(ctx context.Context, e Event) error {
		if e.Changes == nil || e.Changes.Status == nil || e.Changes.Status.New != store.StatusResolved || e.ID <= 0 {
			return nil
		}
		t, ok, err := s.csatTicket(ctx, e.TicketID)
		if err != nil || !ok {
			return err
		}
		ss, err := s.st.SurveySettingOf(ctx, t.LastChannelID, store.SurveyCSAT)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !ss.Enabled {
			return nil
		}
		at := e.At
		if at.IsZero() {
			at = now()
		}
		_, err = sched.Schedule(ctx, jobs.Spec{Kind: JobCSAT, Key: csatKey(t.ID, e.ID),
			Due: at.Add(time.Duration(ss.DelaySeconds) * time.Second), Payload: csatJob{TicketID: t.ID, Round: e.ID}})
		return err
	}}
}

func csatKey(ticketID, round int64) string {
	return "ticket:" + strconv.FormatInt(ticketID, 10) + ":round:" + strconv.FormatInt(round, 10)
}

// DefaultCSATCapDays is the CSAT frequency cap of a new channel setting:
// the "no survey of any kind more than once per 30 days".
//
// The frequency cap, as CSAT and NPS share it:
//
//   - CSAT (a channel's CapDays, default 30): a resolution is not surveyed
//     when the contact was asked any survey — CSAT about another ticket,
//     or NPS — or sent a campaign message in the CapDays before the
//     request would go out. A capped
//     resolution is skipped, not postponed: a rating asked weeks later is
//     about nothing the customer remembers. The same ticket's earlier CSAT
//     does not count, so a ticket reopened and resolved again is asked
//     again (once per round). Settings stored before the cap existed keep
//     0 (every resolution) until an admin sets one.
//   - NPS (a definition's CapAnyDays, default 30, and CapNPSDays, default
//     90): a round waits until CapAnyDays after the contact's latest
//     survey of any kind, CSAT included, or campaign message, and
//     CapNPSDays after their latest NPS; it is postponed, not skipped.
//   - Campaigns (CapDays) wait the same way for surveys and for each other.
//
// All count requests (requested_at) and campaign sends (created_at),
// answered or not; lastTouch is the one query of "last contact touch".
const DefaultCSATCapDays = 30

// csatCapped reports whether contact contactID was asked a survey (other
// than ticketID's CSAT) or sent a campaign message within capDays before
// at (lastTouch).
func csatCapped(tx *gorm.DB, contactID, ticketID int64, capDays int, at time.Time) (bool, error) {
	if capDays <= 0 {
		return false, nil
	}
	last, err := lastTouch(tx, contactID, at.AddDate(0, 0, -capDays), ticketID)
	if err != nil {
		return false, fmt.Errorf("csat: frequency cap: %w", err)
	}
	return !last.IsZero(), nil
}

// csatTicket loads a ticket and reports whether it may be surveyed: not
// merged, not spam, and answered by an agent (not by a bot alone).
func (s *Service) csatTicket(ctx context.Context, id int64) (*store.Ticket, bool, error) {
	return csatTicketTx(s.st.DB.WithContext(ctx), id)
}

func csatTicketTx(db *gorm.DB, id int64) (*store.Ticket, bool, error) {
	var t store.Ticket
	if err := db.Preload("Tags").Take(&t, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("csat: load ticket %d: %w", id, err)
	}
	if t.MergedInto != nil {
		return &t, false, nil
	}
	if slices.ContainsFunc(t.Tags, func(tg store.TicketTag) bool { return strings.EqualFold(tg.Tag, TagSpam) }) {
		return &t, false, nil
	}
	var n int64
	if err := db.Model(&store.Message{}).Where("ticket_id = ? AND direction = ? AND author_type = ?", t.ID, store.DirOutbound, store.AuthorAgent).
		Count(&n).Error; err != nil {
		return nil, false, fmt.Errorf("csat: agent replies of ticket %d: %w", id, err)
	}
	return &t, n > 0, nil
}

// runCSATJob asks for a rating, once per round.
func (s *Service) runCSATJob(ctx context.Context, j *jobs.Job) error {
	var p csatJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	var events []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		events = nil
		if _, err := lockTicket(tx, p.TicketID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return j.Done(tx)
			}
			return err
		}
		t, ok, err := csatTicketTx(tx, p.TicketID)
		if err != nil {
			return err
		}
		// Reopened since (a new resolution is a new round), merged or spam:
		// nothing to ask.
		if !ok || (t.Status != store.StatusResolved && t.Status != store.StatusClosed) {
			return j.Done(tx)
		}
		var exists int64
		if err := tx.Model(&store.Survey{}).Where("ticket_id = ? AND kind = ? AND round = ?", t.ID, store.SurveyCSAT, p.Round).Count(&exists).Error; err != nil {
			return err
		}
		if exists > 0 {
			return j.Done(tx)
		}
		var ss *store.SurveySetting
		var row store.SurveySetting
		if err := tx.Where("channel_id = ? AND kind = ?", t.LastChannelID, store.SurveyCSAT).Take(&row).Error; err == nil {
			ss = &row
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if ss == nil || !ss.Enabled {
			return j.Done(tx) // turned off since the ticket was resolved
		}
		var c store.Contact
		if err := tx.Take(&c, t.ContactID).Error; err != nil {
			return fmt.Errorf("csat: contact: %w", notFound(err))
		}
		var opted int64
		if err := tx.Model(&store.ContactOptOut{}).Where("contact_id = ? AND topic = ?", c.ID, TopicSurveys).Count(&opted).Error; err != nil {
			return fmt.Errorf("csat: opt-out: %w", err)
		}
		if opted > 0 {
			return j.Done(tx) // the customer asked for no surveys
		}
		ts := now()
		if capped, err := csatCapped(tx, c.ID, t.ID, ss.CapDays, ts); err != nil || capped {
			if err != nil {
				return err
			}
			return j.Done(tx) // asked recently enough: this resolution is not surveyed
		}
		locale := surveyLocale(c.Locale)
		question, _ := SurveyTexts(ss, locale)
		sv := &store.Survey{PublicID: NewPublicID(), Kind: store.SurveyCSAT, TicketID: t.ID, Round: p.Round, ContactID: t.ContactID,
			ChannelID: t.LastChannelID, AgentID: t.AssigneeID, TeamID: t.TeamID, Locale: locale, RequestedAt: ts,
			ExpiresAt: ts.Add(DefaultSurveyWindow), CreatedAt: ts, UpdatedAt: ts}
		if err := tx.Create(sv).Error; err != nil {
			return fmt.Errorf("csat: create survey: %w", err)
		}
		msg := &store.Message{TicketID: t.ID, Direction: store.DirOutbound, AuthorType: store.AuthorSystem, ChannelID: t.LastChannelID,
			Text: question, Meta: store.JSONMap{"survey": sv.PublicID, "survey_kind": store.SurveyCSAT},
			DeliveryStatus: store.DeliveryQueued, CreatedAt: ts}
		if err := tx.Create(msg).Error; err != nil {
			return fmt.Errorf("csat: create request message: %w", err)
		}
		if err := tx.Model(sv).Update("message_id", msg.ID).Error; err != nil {
			return err
		}
		mid := msg.ID
		if err := tx.Create(&store.Outbox{ChannelID: t.LastChannelID, MessageID: &mid, TicketID: t.ID, Purpose: store.PurposeReply,
			Payload: store.JSONMap{"survey_id": sv.ID}, Status: store.OutboxPending, NextAttemptAt: ts}).Error; err != nil {
			return fmt.Errorf("csat: queue request: %w", err)
		}
		if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
			"message_count": gorm.Expr("message_count + 1"), "updated_at": ts}).Error; err != nil {
			return err
		}
		events = []Event{{Type: EventMessageCreated, TicketID: t.ID, MessageID: msg.ID, ChannelID: t.LastChannelID,
			ContactID: t.ContactID, Message: &MessageChanges{Direction: store.DirOutbound}}}
		if err := s.recordEvents(tx, events); err != nil {
			return err
		}
		return j.Done(tx)
	})
	if err != nil {
		return err
	}
	s.publish(events...)
	s.Wake()
	return nil
}

// surveyRequest describes survey surveyID for an Outbound.
func (s *Service) surveyRequest(ctx context.Context, surveyID int64) (*SurveyRequest, error) {
	var sv store.Survey
	if err := s.st.DB.WithContext(ctx).Take(&sv, surveyID).Error; err != nil {
		return nil, fmt.Errorf("survey %d: %w", surveyID, notFound(err))
	}
	a, err := s.surveyAccess(ctx, &sv)
	if err != nil {
		return nil, err
	}
	u, err := s.SurveyURL(ctx, &sv)
	if err != nil {
		return nil, err
	}
	unsub, err := s.UnsubscribeURL(ctx, sv.ContactID, TopicSurveys)
	if err != nil {
		return nil, err
	}
	return &SurveyRequest{PublicID: sv.PublicID, Kind: sv.Kind, Scale: a.Scale, Style: a.Style, Question: a.Question, Why: a.Why,
		Thanks: a.Thanks, Locale: a.Locale, URL: u, UnsubscribeURL: unsub}, nil
}

// surveyAccess loads what a survey asks: its texts in its language and its
// scale (CSAT: the channel's setting, 1–5; NPS: its definition, 0–10).
func (s *Service) surveyAccess(ctx context.Context, sv *store.Survey) (*SurveyAccess, error) {
	a := &SurveyAccess{Survey: *sv, Locale: surveyLocale(sv.Locale), Scale: CSATScale, Min: 1, Closed: !sv.ExpiresAt.After(now())}
	if sv.Kind == store.SurveyNPS {
		a.Scale, a.Min, a.Style = NPSScale, 0, scaleNPS
		if sv.NPSSurveyID != nil {
			def, err := s.st.NPSSurveyByID(ctx, *sv.NPSSurveyID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			a.NPS = def
		}
		a.Question, a.Why, a.Thanks = NPSTexts(a.NPS, sv.Locale)
		return a, nil
	}
	ss, err := s.st.SurveySettingOf(ctx, sv.ChannelID, sv.Kind)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	a.Setting, a.Style = ss, ScaleFaces
	if ss != nil && ss.Scale != "" {
		a.Style = ss.Scale
	}
	a.Question, a.Thanks = SurveyTexts(ss, sv.Locale)
	return a, nil
}

// Choices are the scores the survey takes (SurveyRequest.Choices).
func (a *SurveyAccess) Choices() []int { return scoreChoices(a.Style, a.Min, a.Scale) }

// Texts returns the survey's question, follow-up and thank-you in another
// locale (a page shown in the reader's language).
func (a *SurveyAccess) Texts(locale string) (question, why, thanks string) {
	if a.Survey.Kind == store.SurveyNPS {
		return NPSTexts(a.NPS, locale)
	}
	question, thanks = SurveyTexts(a.Setting, locale)
	return question, "", thanks
}

// SurveyURL is the public rating page of a survey, with its signed token.
func (s *Service) SurveyURL(ctx context.Context, sv *store.Survey) (string, error) {
	key, err := s.linkSecret(ctx)
	if err != nil {
		return "", err
	}
	return s.baseURL + "/s/" + url.PathEscape(SurveyToken(key, sv.PublicID, sv.TicketID)), nil
}

// SurveyToken signs a survey's public id and ticket under key.
func SurveyToken(key []byte, publicID string, ticketID int64) string {
	return signTicketToken(key, "hanbox-survey", publicID, ticketID)
}

// SurveyAccess is what a valid rating token opens.
type SurveyAccess struct {
	Survey store.Survey
	// Setting is the channel's setting (nil: none), for texts in another
	// language (SurveyTexts).
	Setting *store.SurveySetting
	// NPS is an NPS survey's definition (nil for CSAT, or deleted).
	NPS      *store.NPSSurvey
	Question string
	Why      string
	Thanks   string
	Locale   string
	Scale    int
	Min      int
	// Style is the request's (SurveyRequest.Style).
	Style string
	// Closed is true once the survey's window has ended (answers refused).
	Closed bool
}

// OpenSurvey checks a rating token and returns its survey. A token that is
// not Hanbox's, or names another ticket's survey, is ErrSurveyInvalid; an
// expired survey opens with Closed set.
func (s *Service) OpenSurvey(ctx context.Context, token string) (*SurveyAccess, error) {
	publicID, ticketID, ok, err := s.openTicketToken(ctx, "hanbox-survey", token)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrSurveyInvalid
	}
	sv, err := s.st.SurveyByPublicID(ctx, publicID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sv.TicketID != ticketID) {
		return nil, ErrSurveyInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return s.surveyAccess(ctx, sv)
}

// AnswerSurvey records an answer to the survey a rating token names: the
// last answer within the window wins, and the same answer again is a no-op.
// comment "" keeps an earlier comment.
func (s *Service) AnswerSurvey(ctx context.Context, token string, score int, comment string) (*SurveyAccess, error) {
	a, err := s.OpenSurvey(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.answer(ctx, a, score, comment)
}

// answer records an answer to the survey a names.
func (s *Service) answer(ctx context.Context, a *SurveyAccess, score int, comment string) (*SurveyAccess, error) {
	var err error
	if a.Closed {
		return nil, ErrSurveyExpired
	}
	if !slices.Contains(a.Choices(), score) {
		return nil, invalidAs("survey_score", map[string]any{"min": a.Min, "max": a.Scale}, "the score must be between %d and %d", a.Min, a.Scale)
	}
	comment, err = plaintext.Text(strings.TrimSpace(comment), 4000)
	if err != nil {
		return nil, invalidAs("survey_comment", nil, "the comment is too long or not text")
	}
	var events []Event
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		events = nil
		var sv store.Survey
		if err := tx.Clauses(forUpdate()).Take(&sv, a.Survey.ID).Error; err != nil {
			return notFound(err)
		}
		if !sv.ExpiresAt.After(now()) {
			return ErrSurveyExpired
		}
		if comment == "" {
			comment = sv.Comment
		}
		if sv.Score != nil && *sv.Score == score && sv.Comment == comment {
			a.Survey = sv
			return nil
		}
		ts := now()
		if err := tx.Model(&store.Survey{}).Where("id = ?", sv.ID).Updates(map[string]any{
			"score": score, "comment": comment, "answers": gorm.Expr("answers + 1"), "answered_at": ts, "updated_at": ts}).Error; err != nil {
			return fmt.Errorf("answer survey: %w", err)
		}
		ch := &SurveyChanges{ID: sv.ID, Kind: sv.Kind, Score: score, Comment: comment, Previous: sv.Score, Low: lowScore(sv.Kind, score)}
		events = []Event{{Type: EventSurveyAnswered, TicketID: sv.TicketID, ContactID: sv.ContactID, ChannelID: sv.ChannelID, Survey: ch}}
		if err := s.recordEvents(tx, events); err != nil {
			return err
		}
		sc := score
		sv.Score, sv.Comment, sv.AnsweredAt, sv.UpdatedAt = &sc, comment, &ts, ts
		sv.Answers++
		a.Survey = sv
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrSurveyExpired) {
			return nil, err
		}
		return nil, fmt.Errorf("inbox: answer survey: %w", err)
	}
	s.publish(events...)
	return a, nil
}

// Surveys lists surveys for agents (ticket ids follow merges: a merged
// ticket's surveys show on the ticket it went into).
func (s *Service) Surveys(ctx context.Context, f store.SurveyFilter) ([]store.Survey, error) {
	if len(f.TicketIDs) == 1 {
		var ids []int64
		if err := s.st.DB.WithContext(ctx).Model(&store.Ticket{}).Where("merged_into = ?", f.TicketIDs[0]).Pluck("id", &ids).Error; err != nil {
			return nil, fmt.Errorf("inbox: merged tickets: %w", err)
		}
		f.TicketIDs = append(f.TicketIDs, ids...)
	}
	out, err := s.st.Surveys(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return out, nil
}

// PendingSurveys returns the unanswered, open surveys of a contact (a widget
// visitor's), newest first, so a chat shows its rating card again on the
// visitor's next visit. The two slices are parallel: a survey with a
// widget copy (an email NPS request) appears twice, once per message id.
func (s *Service) PendingSurveys(ctx context.Context, contactID int64) ([]SurveyRequest, []int64, error) {
	var rows []store.Survey
	if err := s.st.DB.WithContext(ctx).Where("contact_id = ? AND answered_at IS NULL AND expires_at > ? AND message_id IS NOT NULL", contactID, now()).
		Order("id DESC").Limit(20).Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("inbox: pending surveys of contact %d: %w", contactID, err)
	}
	out := make([]SurveyRequest, 0, len(rows))
	ids := make([]int64, 0, len(rows))
	for _, sv := range rows {
		r, err := s.surveyRequest(ctx, sv.ID)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, *r)
		ids = append(ids, *sv.MessageID)
		if sv.WidgetMessageID != nil { // the same survey, shown in the widget too
			out = append(out, *r)
			ids = append(ids, *sv.WidgetMessageID)
		}
	}
	return out, ids, nil
}

// AnswerSurveyAs records contact contactID's answer to survey publicID (a
// widget visitor answering the card in their chat): only the survey's own
// contact may answer it.
func (s *Service) AnswerSurveyAs(ctx context.Context, contactID int64, publicID string, score int, comment string) (*SurveyAccess, error) {
	sv, err := s.st.SurveyByPublicID(ctx, publicID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSurveyInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	owner, err := mergedContact(s.st.DB.WithContext(ctx), sv.ContactID)
	if err != nil {
		return nil, err
	}
	if contactID <= 0 || (owner != contactID && sv.ContactID != contactID) {
		return nil, ErrSurveyInvalid
	}
	key, err := s.linkSecret(ctx)
	if err != nil {
		return nil, err
	}
	return s.AnswerSurvey(ctx, SurveyToken(key, sv.PublicID, sv.TicketID), score, comment)
}

// AnswerSurveyByIdentity records the answer of the customer an identity
// names (a Slack user clicking a rating button in their thread): only the
// survey's own contact may answer it.
func (s *Service) AnswerSurveyByIdentity(ctx context.Context, kind, value, publicID string, score int, comment string) (*SurveyAccess, error) {
	c, err := s.ContactByIdentity(ctx, kind, value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSurveyInvalid
	}
	if err != nil {
		return nil, err
	}
	return s.AnswerSurveyAs(ctx, c.ID, publicID, score, comment)
}

// lowScore: CSAT 1–2 of 5, NPS 0–6 (a detractor).
func lowScore(kind string, score int) bool {
	if kind == store.SurveyNPS {
		return score <= 6
	}
	return score <= 2
}
