// Package assist is Hanbox's optional generative answers: one
// OpenAI-compatible chat-completions provider (off by default) that drafts
// replies for agents and, on channels that opt in, answers customers from
// the knowledge base. Everything it writes is grounded on retrieved
// published articles and the conversation only, must cite an article it
// was given, and is validated before anyone sees it; when the provider is
// slow, busy, or says something outside the contract, Hanbox falls back to
// what works without it: the suggested articles and a person.
package assist

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
)

// SettingAnswers is the channel setting (off by default) that lets the bot
// answer that channel's customers with the provider.
const SettingAnswers = kb.SettingAIAnswers

// AnswerConsumerName is the durable consumer of customer-facing answers.
const AnswerConsumerName = "assist.answers"

// MaxAnswersPerTicket is how many generative answers the bot gives in one
// ticket before it hands off to a person.
const MaxAnswersPerTicket = 3

// retrieveLimit is how many articles a completion is grounded on.
const retrieveLimit = 3

// Service is the generative-answers service. It is safe for concurrent use.
type Service struct {
	st *store.Store
	kb *kb.Service
	in *inbox.Service
	// BaseURL prefixes the help-center links in answers.
	BaseURL string
	// HTTP is the client towards the provider (nil: a default one).
	HTTP *http.Client
	// Sleep waits between retries (nil: a timer); tests count instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// New returns the service.
func New(st *store.Store, k *kb.Service, in *inbox.Service, baseURL string) *Service {
	return &Service{st: st, kb: k, in: in, BaseURL: strings.TrimRight(baseURL, "/")}
}

// SettingsInput changes the provider settings. A nil APIKey keeps the
// stored key; "" clears it.
type SettingsInput struct {
	Enabled   bool
	BaseURL   string
	Model     string
	APIKey    *string
	TimeoutMS int
}

func invalid(code, field, reason string) error {
	return &inbox.InvalidError{Code: code, Reason: reason, Params: map[string]any{"field": field}}
}

// Settings returns the stored provider settings (the key included: for
// the provider only).
func (s *Service) Settings(ctx context.Context) (store.AssistSettings, error) {
	return s.st.AssistSettingsOf(ctx)
}

// SaveSettings validates and stores in.
func (s *Service) SaveSettings(ctx context.Context, in SettingsInput) (store.AssistSettings, error) {
	cur, err := s.st.AssistSettingsOf(ctx)
	if err != nil {
		return cur, err
	}
	cur.Enabled, cur.BaseURL, cur.Model = in.Enabled, strings.TrimSpace(in.BaseURL), strings.TrimSpace(in.Model)
	if in.APIKey != nil {
		cur.APIKey = strings.TrimSpace(*in.APIKey)
	}
	cur.TimeoutMS = in.TimeoutMS
	if cur.TimeoutMS == 0 {
		cur.TimeoutMS = 15000
	}
	switch {
	case cur.BaseURL != "" && !validURL(cur.BaseURL):
		return cur, invalid("invalid", "base_url", "base_url must be an http or https URL")
	case len(cur.BaseURL) > 500:
		return cur, invalid("too_long", "base_url", "base_url is too long")
	case utf8.RuneCountInString(cur.Model) > 200 || !printable(cur.Model):
		return cur, invalid("invalid", "model", "model must be a short name")
	case len(cur.APIKey) > 500 || !printable(cur.APIKey):
		return cur, invalid("invalid", "api_key", "api_key must be printable and short")
	case cur.TimeoutMS < 1000 || cur.TimeoutMS > 120000:
		return cur, invalid("invalid", "timeout_ms", "timeout_ms must be between 1000 and 120000")
	case cur.Enabled && (cur.BaseURL == "" || cur.Model == ""):
		return cur, invalid("required", "base_url", "base_url and model are required to turn generative answers on")
	}
	cur.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
	if err := s.st.SaveAssistSettings(ctx, &cur); err != nil {
		return cur, err
	}
	return cur, nil
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// client returns the provider's client, or ErrOff.
func (s *Service) client(set store.AssistSettings) (*Client, error) {
	if !set.Enabled || set.BaseURL == "" || set.Model == "" {
		return nil, ErrOff
	}
	return &Client{BaseURL: set.BaseURL, Model: set.Model, APIKey: set.APIKey, Timeout: time.Duration(set.TimeoutMS) * time.Millisecond,
		HTTP: s.HTTP, Sleep: s.Sleep}, nil
}

// Citation is an article an answer used (or a suggestion).
type Citation struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Draft is a reply drafted for an agent.
type Draft struct {
	// Text is the draft ("" when there is none: see Fallback).
	Text      string
	Citations []Citation
	// Fallback says why there is no draft: "off", "no_articles",
	// "unknown" (the articles do not answer it), "timeout",
	// "rate_limited", "rejected" (output outside the contract).
	Fallback string
	// Suggestions are the retrieved articles, shown when there is no draft.
	Suggestions []Citation
}

// grounding is what a completion for a ticket is built on.
type grounding struct {
	ticket  *store.Ticket
	lang    string
	hits    []store.KBHit
	sources []Source
	turns   []Turn
	last    *store.Message // the customer's latest message
}

// ground retrieves the articles for ticket id's conversation (up to and
// including message upTo; 0: all).
func (s *Service) ground(ctx context.Context, id, upTo int64) (*grounding, error) {
	t, err := s.in.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	msgs, err := s.in.Messages(ctx, id)
	if err != nil {
		return nil, err
	}
	g := &grounding{ticket: t}
	for i := range msgs {
		m := &msgs[i]
		if upTo > 0 && m.ID > upTo {
			break
		}
		if m.Direction == store.DirNote || strings.TrimSpace(m.Text) == "" {
			continue // internal notes are not the customer's conversation
		}
		from := "customer"
		switch {
		case m.Direction == store.DirInbound:
			g.last = m
		case m.AuthorType == store.AuthorBot:
			from = "bot"
		default:
			from = "agent"
		}
		g.turns = append(g.turns, Turn{From: from, Text: m.Text})
	}
	if g.last == nil {
		return g, nil
	}
	q := g.last.Text
	if len(g.turns) <= 2 {
		q = t.Subject + "\n" + q
	}
	g.lang = "en"
	if hasHangul(q) {
		g.lang = "ko"
	}
	g.hits, err = s.kb.Suggest(ctx, q, g.lang, retrieveLimit)
	if err != nil {
		return nil, err
	}
	if len(g.hits) == 0 { // the other language's articles may answer it
		if g.hits, err = s.kb.Suggest(ctx, q, "", retrieveLimit); err != nil {
			return nil, err
		}
	}
	for _, h := range g.hits {
		g.sources = append(g.sources, Source{ID: h.Article.ID, Title: h.Article.Title, Body: h.Article.Body})
	}
	return g, nil
}

func (s *Service) citations(hits []store.KBHit, ids []int64) []Citation {
	out := []Citation{}
	for _, h := range hits {
		use := ids == nil
		for _, id := range ids {
			use = use || id == h.Article.ID
		}
		if use {
			out = append(out, Citation{ID: h.Article.ID, Title: h.Article.Title, URL: s.BaseURL + kb.Path(&h.Article)})
		}
	}
	return out
}

// reason names a failed completion for a fallback.
func reason(err error) string {
	switch {
	case errors.Is(err, ErrOff):
		return "off"
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	default:
		return "rejected"
	}
}

// complete runs one grounded completion and validates it.
func (s *Service) complete(ctx context.Context, purpose string, g *grounding) (Output, error) {
	set, err := s.st.AssistSettingsOf(ctx)
	if err != nil {
		return Output{}, err
	}
	c, err := s.client(set)
	if err != nil {
		return Output{}, err
	}
	raw, err := c.Complete(ctx, buildMessages(purpose, g.sources, g.turns))
	if err != nil {
		return Output{}, err
	}
	return validate(raw, g.sources, set.APIKey, set.BaseURL)
}

// Draft drafts a reply to ticket id's latest customer message for an agent.
// A provider that is off, failing or answering outside the contract gives
// no text and a Fallback reason; the retrieved articles come back either
// way.
func (s *Service) Draft(ctx context.Context, id int64) (*Draft, error) {
	g, err := s.ground(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	d := &Draft{Citations: []Citation{}, Suggestions: s.citations(g.hits, nil)}
	if g.last == nil || len(g.sources) == 0 {
		d.Fallback = "no_articles"
		if set, err := s.st.AssistSettingsOf(ctx); err == nil && !set.Enabled {
			d.Fallback = "off"
		}
		return d, nil
	}
	out, err := s.complete(ctx, ForAgent, g)
	switch {
	case err != nil && (errors.Is(err, ErrOff) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrRateLimited) ||
		errors.Is(err, ErrBadResponse) || errors.Is(err, errRejected)):
		d.Fallback = reason(err)
		return d, nil
	case err != nil:
		return nil, err
	case !out.Known:
		d.Fallback = "unknown"
		return d, nil
	}
	d.Text, d.Citations = out.Answer, s.citations(g.hits, out.Citations)
	return d, nil
}

func hasHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

// Words of the customer-facing bot, by language.
var texts = map[string]map[string]string{
	"ko": {
		"sources":     "참고 문서:",
		"unknown":     "죄송합니다. 도움말 문서에서 답을 찾지 못했습니다. 상담원에게 연결해 드릴게요.",
		"suggest":     "아래 문서가 도움이 될 수 있습니다. 담당자도 곧 확인하겠습니다.",
		"handoff":     "상담원에게 연결해 드릴게요. 잠시만 기다려 주세요.",
		"disclaimer":  "(자동 답변입니다)",
		"note_prefix": "AI 답변 (AI answer)",
	},
	"en": {
		"sources":     "Sources:",
		"unknown":     "Sorry, our help articles do not answer this. Connecting you with a person.",
		"suggest":     "These articles may help. A person will look at your message soon, too.",
		"handoff":     "Connecting you with a person. Please hold on.",
		"disclaimer":  "(automatic answer)",
		"note_prefix": "AI answer",
	},
}

// AnswerConsumer is the durable consumer that answers customers on
// channels with SettingAnswers on. It acts on a customer's message when no
// agent has answered the ticket yet, the channel has no enabled flow bot
// (the flow talks there), the bot has not handed off and has answered
// fewer than MaxAnswersPerTicket times. Each message is answered once
// (assist_answers is keyed by it). The answer, its citations and the
// outcome are stored; the bot's messages are ordinary messages of author
// kind bot, so agents see them in the thread.
func (s *Service) AnswerConsumer() inbox.Consumer {
	return inbox.Consumer{Name: AnswerConsumerName, Types: []string{inbox.EventMessageCreated}, Handle: func(ctx context.Context, e inbox.Event) error {
		if e.Message == nil || e.Message.Direction != store.DirInbound || e.MessageID <= 0 {
			return nil
		}
		return s.Answer(ctx, e.MessageID)
	}}
}

// Answer lets the bot answer customer message id (see AnswerConsumer).
func (s *Service) Answer(ctx context.Context, id int64) error {
	var m store.Message
	if err := s.st.DB.WithContext(ctx).Take(&m, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return fmt.Errorf("assist: message %d: %w", id, err)
	}
	if m.Direction != store.DirInbound || m.AuthorType != store.AuthorContact || m.Meta["auto"] == true {
		return nil
	}
	var ch store.Channel
	if err := s.st.DB.WithContext(ctx).Take(&ch, m.ChannelID).Error; err != nil {
		return fmt.Errorf("assist: channel %d: %w", m.ChannelID, err)
	}
	if ch.Settings[SettingAnswers] != true {
		return nil
	}
	var flows int64
	if err := s.st.DB.WithContext(ctx).Model(&store.BotFlow{}).Where("channel_id = ? AND enabled = ?", ch.ID, true).Count(&flows).Error; err != nil {
		return err
	}
	if flows > 0 {
		return nil
	}
	set, err := s.st.AssistSettingsOf(ctx)
	if err != nil {
		return err
	}
	if !set.Enabled {
		return nil
	}
	if ok, err := s.mayAnswer(s.st.DB.WithContext(ctx), m.TicketID, m.ID); err != nil || !ok {
		return err
	}
	prior, err := s.st.AssistAnswers(ctx, m.TicketID)
	if err != nil {
		return err
	}
	g, err := s.ground(ctx, m.TicketID, m.ID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, inbox.ErrNotFound) {
			return nil
		}
		return err
	}
	lang := g.lang
	if lang == "" {
		lang = "en"
		if hasHangul(m.Text) {
			lang = "ko"
		}
	}
	t := texts[lang]
	rec := store.AssistAnswer{MessageID: m.ID, TicketID: m.TicketID}
	var msgs []inbox.BotMessage
	post := func(text string, meta map[string]any) {
		msgs = append(msgs, inbox.BotMessage{TicketID: m.TicketID, ChannelID: m.ChannelID, Text: text, Meta: meta})
	}
	switch {
	case inbox.WantsPerson(m.Text) || len(prior) >= MaxAnswersPerTicket:
		rec.Outcome, rec.Reason = store.AssistHandoff, "asked"
		if len(prior) >= MaxAnswersPerTicket {
			rec.Reason = "limit"
		}
		post(t["handoff"], map[string]any{"assist": map[string]any{"outcome": rec.Outcome}})
	case len(g.sources) == 0:
		rec.Outcome, rec.Reason = store.AssistUnknown, "no_articles"
		post(t["unknown"], map[string]any{"assist": map[string]any{"outcome": rec.Outcome}})
	default:
		out, err := s.complete(ctx, ForCustomer, g)
		switch {
		case err == nil && out.Known:
			rec.Outcome, rec.Articles = store.AssistAnswered, store.JoinIDs(out.Citations)
			post(s.answerText(t, out.Answer, s.citations(g.hits, out.Citations)),
				map[string]any{"assist": map[string]any{"outcome": rec.Outcome, "articles": out.Citations}})
		case err == nil:
			rec.Outcome, rec.Reason = store.AssistUnknown, "model"
			post(t["unknown"], map[string]any{"assist": map[string]any{"outcome": rec.Outcome}})
		case errors.Is(err, ErrOff) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrRateLimited) || errors.Is(err, ErrBadResponse) || errors.Is(err, errRejected):
			rec.Outcome, rec.Reason = store.AssistFallback, reason(err)
			ids := make([]int64, len(g.hits))
			for i := range g.hits {
				ids[i] = g.hits[i].Article.ID
			}
			rec.Articles = store.JoinIDs(ids)
			post(s.suggestText(t, s.citations(g.hits, nil)), map[string]any{"assist": map[string]any{"outcome": rec.Outcome, "reason": rec.Reason},
				"kb_suggestions": ids})
		default:
			return err
		}
	}
	var route int64
	if rec.Outcome != store.AssistAnswered {
		// Handed off: a note tells the agent why the bot stopped and what it
		// had, and the channel's handoff team (if any) takes the ticket.
		cs, err := store.AssistChannelOf(s.st.DB.WithContext(ctx), m.ChannelID)
		if err != nil {
			return err
		}
		if cs.HandoffTeamID != nil {
			route = *cs.HandoffTeamID
		}
		msgs = append(msgs, inbox.BotMessage{TicketID: m.TicketID, ChannelID: m.ChannelID, Note: true,
			Text: handoffNote(rec, g, prior, s.citations(g.hits, nil)),
			Meta: map[string]any{"assist_handoff": map[string]any{"outcome": rec.Outcome, "reason": rec.Reason, "answers": len(prior)}}})
	}
	_, err = s.in.PostBotMessages(ctx, m.TicketID, msgs, inbox.BotPost{Guard: func(tx *gorm.DB, _ *store.Ticket) (bool, error) {
		return s.mayAnswer(tx, m.TicketID, m.ID)
	}, After: func(tx *gorm.DB, ids []int64) error {
		rec.ReplyID = &ids[0]
		rec.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
		return tx.Create(&rec).Error
	}, HandoffTeamID: route})
	return err
}

// Bounds of a handoff note's context.
const (
	noteQuestions     = 5
	noteQuestionRunes = 300
)

// handoffNote is the note for the agent at a handoff: why the bot stopped,
// what the customer asked (their latest messages), how often the bot
// answered, and the articles it had found.
func handoffNote(rec store.AssistAnswer, g *grounding, prior []store.AssistAnswer, cites []Citation) string {
	var b strings.Builder
	b.WriteString(texts["ko"]["note_prefix"] + ": " + rec.Outcome + noteReason(rec.Reason))
	var asked []string
	for _, t := range g.turns {
		if t.From == "customer" {
			asked = append(asked, t.Text)
		}
	}
	if len(asked) > noteQuestions {
		asked = asked[len(asked)-noteQuestions:]
	}
	if len(asked) > 0 {
		b.WriteString("\n고객 질문 (customer asked):")
		for _, q := range asked {
			q = strings.Join(strings.Fields(q), " ")
			if r := []rune(q); len(r) > noteQuestionRunes {
				q = string(r[:noteQuestionRunes]) + "…"
			}
			b.WriteString("\n- " + q)
		}
	}
	answered := 0
	for _, p := range prior {
		if p.Outcome == store.AssistAnswered {
			answered++
		}
	}
	fmt.Fprintf(&b, "\nAI 답변 수 (answers given): %d", answered)
	if len(cites) > 0 {
		b.WriteString("\n찾은 문서 (articles found):")
		for _, c := range cites {
			b.WriteString("\n- " + c.Title + " " + c.URL)
		}
	}
	return b.String()
}

func noteReason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// mayAnswer reports whether the bot may still answer message id of ticket:
// not answered yet, no agent reply, no handoff before.
func (s *Service) mayAnswer(db *gorm.DB, ticket, id int64) (bool, error) {
	var n int64
	if err := db.Model(&store.AssistAnswer{}).Where("message_id = ? OR (ticket_id = ? AND outcome IN ?)", id, ticket,
		[]string{store.AssistUnknown, store.AssistFallback, store.AssistHandoff}).Count(&n).Error; err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if err := db.Model(&store.Message{}).Where("ticket_id = ? AND direction = ? AND author_type = ?", ticket, store.DirOutbound,
		store.AuthorAgent).Count(&n).Error; err != nil {
		return false, err
	}
	return n == 0, nil
}

func (s *Service) answerText(t map[string]string, answer string, cites []Citation) string {
	var b strings.Builder
	b.WriteString(answer)
	b.WriteString("\n\n" + t["sources"])
	for _, c := range cites {
		b.WriteString("\n- " + c.Title + " " + c.URL)
	}
	b.WriteString("\n" + t["disclaimer"])
	return b.String()
}

func (s *Service) suggestText(t map[string]string, cites []Citation) string {
	var b strings.Builder
	b.WriteString(t["suggest"] + "\n")
	for _, c := range cites {
		b.WriteString("\n- " + c.Title + " " + c.URL)
	}
	return b.String()
}

// ChannelSetting is one channel's answer-bot setting as admins edit it.
type ChannelSetting struct {
	ChannelID int64
	// AIAnswers: the channel's SettingAnswers is on.
	AIAnswers bool
	// HandoffTeamID is the team a handoff files an unfiled ticket to (0:
	// none).
	HandoffTeamID int64
}

// ChannelSettings returns every channel's setting, by channel id.
func (s *Service) ChannelSettings(ctx context.Context) ([]ChannelSetting, error) {
	chans, err := s.st.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	saved, err := s.st.AssistChannels(ctx)
	if err != nil {
		return nil, err
	}
	team := map[int64]int64{}
	for _, c := range saved {
		if c.HandoffTeamID != nil {
			team[c.ChannelID] = *c.HandoffTeamID
		}
	}
	out := []ChannelSetting{}
	for _, ch := range chans {
		out = append(out, ChannelSetting{ChannelID: ch.ID, AIAnswers: ch.Settings[SettingAnswers] == true, HandoffTeamID: team[ch.ID]})
	}
	return out, nil
}

// SaveChannelSetting sets channel channelID's handoff team (0: none). The
// channel and the team must exist.
func (s *Service) SaveChannelSetting(ctx context.Context, channelID, teamID int64) (ChannelSetting, error) {
	db := s.st.DB.WithContext(ctx)
	var ch store.Channel
	if err := db.Take(&ch, channelID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ChannelSetting{}, fmt.Errorf("assist: channel %d: %w", channelID, inbox.ErrNotFound)
		}
		return ChannelSetting{}, fmt.Errorf("assist: channel %d: %w", channelID, err)
	}
	c := store.AssistChannel{ChannelID: ch.ID}
	if teamID != 0 {
		var tm store.Team
		if err := db.Take(&tm, teamID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ChannelSetting{}, &inbox.InvalidError{Code: "no_team", Reason: fmt.Sprintf("no team %d", teamID),
					Params: map[string]any{"field": "handoff_team_id", "id": teamID}}
			}
			return ChannelSetting{}, fmt.Errorf("assist: team %d: %w", teamID, err)
		}
		c.HandoffTeamID = &tm.ID
	}
	if err := s.st.SaveAssistChannel(ctx, &c); err != nil {
		return ChannelSetting{}, err
	}
	return ChannelSetting{ChannelID: ch.ID, AIAnswers: ch.Settings[SettingAnswers] == true, HandoffTeamID: teamID}, nil
}
