package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// The answer bot (no AI): a widget channel's flow, built by an admin,
// greets a new conversation and asks its steps in order (name, email,
// order number, department buttons), then hands the ticket to a person.
//
//   - The durable consumer BotConsumer sees every inbound message. The
//     first customer message of a ticket on a channel with an enabled flow
//     starts the bot; later messages answer the step it waits on.
//   - One transaction per customer message: it locks the ticket, reads the
//     bot's state (bot_states, one row per ticket), decides the turn
//     (botAdvance, a pure function), and writes the bot's messages (outbound,
//     author kind bot, with their quick-reply choices in meta.bot) with their
//     outbox rows, the new state, the answers on the contact and the team
//     change. The state remembers the last customer message acted on, so a
//     replayed event, a retried consumer or a reconnecting widget never
//     makes the bot say anything twice.
//   - A department button files the ticket to its team (the ordinary team
//     change, so auto-assignment runs). Outside that team's business hours
//     the bot says so and asks for an email, which lands on the contact as a
//     reply address only (never an identity, as every unverified email).
//   - "사람과 상담" / "talk to a person" (typed, or the button under every
//     question) hands off at once; so does the end of the flow. A handoff
//     leaves the collected answers as a note for the agent, and the bot
//     stays quiet in that ticket from then on.

// BotConsumerName is the durable consumer of the bot.
const BotConsumerName = "bot"

// BotPrompt is what a bot message offers besides its text: quick-reply
// buttons. A button sends its label as the customer's message.
type BotPrompt struct {
	Choices []string
}

// botPromptOf reads a bot message's buttons from its meta.
func botPromptOf(meta store.JSONMap) *BotPrompt {
	p := &BotPrompt{}
	if b, ok := meta["bot"].(map[string]any); ok {
		if cs, ok := b["choices"].([]any); ok {
			for _, c := range cs {
				if s, ok := c.(string); ok {
					p.Choices = append(p.Choices, s)
				}
			}
		}
	}
	return p
}

// botTexts are the bot's default words, by language.
var botTexts = map[string]map[string]string{
	"ko": {
		"prompt_name":       "성함을 알려 주세요.",
		"prompt_email":      "답변 받으실 이메일 주소를 알려 주세요.",
		"prompt_order":      "주문 번호를 알려 주세요.",
		"prompt_department": "어느 부서와 상담하시겠어요?",
		"bad_name":          "성함을 다시 입력해 주세요.",
		"bad_email":         "올바른 이메일 주소가 아닙니다. 다시 입력해 주세요.",
		"bad_order":         "주문 번호는 영문, 숫자, '-'로 된 4~32자입니다. 다시 입력해 주세요.",
		"bad_department":    "아래 버튼 중 하나를 골라 주세요.",
		"skip":              "건너뛰기",
		"handoff":           "사람과 상담",
		"handed_off":        "상담원에게 연결해 드릴게요. 잠시만 기다려 주세요.",
		"closed":            "지금은 상담 시간이 아닙니다 — 이메일을 남겨주세요.",
		"closed_known":      "지금은 상담 시간이 아닙니다. 상담 시간이 되면 %s(으)로 답변 드릴게요.",
		"email_thanks":      "감사합니다. 상담 시간이 되면 이메일로 답변 드릴게요.",
	},
	"en": {
		"prompt_name":       "May I have your name?",
		"prompt_email":      "Which email address can we reply to?",
		"prompt_order":      "What is your order number?",
		"prompt_department": "Which department can help you?",
		"bad_name":          "Please type your name again.",
		"bad_email":         "That does not look like an email address. Please try again.",
		"bad_order":         "An order number is 4 to 32 letters, digits or '-'. Please try again.",
		"bad_department":    "Please choose one of the buttons below.",
		"skip":              "Skip",
		"handoff":           "Talk to a person",
		"handed_off":        "Connecting you with a person. Please hold on.",
		"closed":            "We are outside business hours right now — please leave your email.",
		"closed_known":      "We are outside business hours right now. We will reply to %s when we are back.",
		"email_thanks":      "Thank you. We will reply by email when we are back.",
	},
}

// BotText is the bot's default text key in lang ("ko" or "en").
func BotText(lang, key string) string { return botTexts[surveyLocale(lang)][key] }

// handoffPhrases, spaces removed and lower-cased, ask for a person when a
// message contains one; handoffWords do when they are the whole message.
var (
	handoffPhrases = []string{"사람과상담", "사람이랑상담", "사람하고상담", "상담원", "상담사연결", "사람연결", "talktoaperson", "talktoahuman",
		"talktosomeone", "talktoanagent", "realperson", "humanagent"}
	handoffWords = []string{"사람", "human", "person", "agent", "operator"}
	orderPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{3,31}$`)
)

// compact lower-cases s and drops spaces and punctuation, for matching
// typed phrases ("Talk to a person!" → "talktoaperson").
func compact(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// wantsPerson reports whether a customer's message asks for a person.
func wantsPerson(text string) bool {
	c := compact(text)
	if c == "" {
		return false
	}
	if c == compact(botTexts["ko"]["handoff"]) || c == compact(botTexts["en"]["handoff"]) {
		return true
	}
	for _, w := range handoffWords {
		if c == w {
			return true
		}
	}
	for _, p := range handoffPhrases {
		if strings.Contains(c, p) {
			return true
		}
	}
	return false
}

// botEnv is what a turn may know beyond the flow and the state.
type botEnv struct {
	Lang string // "ko" or "en"
	Now  time.Time
	// KnownName and KnownEmail are the contact's, so the bot does not ask
	// for what it has.
	KnownName  string
	KnownEmail string
	// TicketTeamID is the ticket's team (0: none).
	TicketTeamID int64
	// Hours returns a team's business hours (ok false: no such team).
	Hours func(teamID int64) (store.BusinessHours, bool)
}

// BotReply is one bot message of a turn.
type BotReply struct {
	Text    string
	Choices []string
}

// botTurn is the outcome of one customer message.
type botTurn struct {
	Replies []BotReply
	// TeamID files the ticket to a team (0: no change).
	TeamID int64
	// Handoff: the bot hands over now (a note for the agent follows).
	Handoff bool
	// Name and Email are answers to put on the contact ("" none).
	Name, Email string
}

// botAdvance decides the bot's turn for a customer message text and
// updates st. A new state (Status "") starts the flow: text is then the
// customer's question, not an answer. A handed-off state does nothing.
func botAdvance(f *store.BotFlow, st *store.BotState, text string, env botEnv) botTurn {
	var turn botTurn
	lang := surveyLocale(env.Lang)
	t := botTexts[lang]
	if st.Answers == nil {
		st.Answers = store.JSONMap{}
	}
	say := func(text string, choices ...string) {
		if strings.TrimSpace(text) != "" {
			turn.Replies = append(turn.Replies, BotReply{Text: text, Choices: choices})
		}
	}
	handoff := func(msg string) {
		st.Status = store.BotHandedOff
		turn.Handoff = true
		say(msg)
	}
	email := func() string {
		if e := st.Answers.String("email"); e != "" {
			return e
		}
		return env.KnownEmail
	}
	// closed reports whether team is outside its business hours now.
	closed := func(team int64) bool {
		if team == 0 || env.Hours == nil {
			return false
		}
		h, ok := env.Hours(team)
		return ok && !OpenAt(h, env.Now).Open
	}
	// afterHours handles a closed team: with an email known the bot says
	// when it will answer and goes on; without one it waits for an email.
	afterHours := func() bool {
		st.Answers["hours_checked"] = true
		if e := email(); e != "" {
			say(fmt.Sprintf(t["closed_known"], e))
			return false
		}
		st.Status = store.BotAwaitEmail
		say(t["closed"], t["handoff"])
		return true
	}
	// next asks the next step the bot has no answer for, or ends the flow.
	next := func() {
		for st.Step < len(f.Steps) {
			s := f.Steps[st.Step]
			if s.Kind == store.BotStepName && env.KnownName != "" || s.Kind == store.BotStepEmail && email() != "" {
				st.Step++
				continue
			}
			choices := []string{}
			if s.Kind == store.BotStepDepartment {
				for _, o := range s.Options {
					choices = append(choices, o.Label(lang))
				}
			} else if !s.Required {
				choices = append(choices, t["skip"])
			}
			say(botPrompt(s, lang), append(choices, t["handoff"])...)
			return
		}
		if st.Answers["hours_checked"] == nil && closed(env.TicketTeamID) && afterHours() {
			return
		}
		handoff(t["handed_off"])
	}

	switch {
	case st.Status == "":
		st.Status, st.Step = store.BotActive, 0
		if lang == "en" {
			say(f.GreetingEn)
		} else {
			say(f.GreetingKo)
		}
		next()
		return turn
	case st.Status == store.BotHandedOff:
		return turn
	case wantsPerson(text):
		handoff(t["handed_off"])
		return turn
	case st.Status == store.BotAwaitEmail:
		e, ok := validEmail(text)
		if !ok {
			say(t["bad_email"], t["handoff"])
			return turn
		}
		st.Answers["email"], turn.Email = e, e
		handoff(t["email_thanks"])
		return turn
	}
	if st.Step >= len(f.Steps) { // the flow was shortened since
		next()
		return turn
	}
	s := f.Steps[st.Step]
	if !s.Required && s.Kind != store.BotStepDepartment && compact(text) == compact(t["skip"]) {
		st.Step++
		next()
		return turn
	}
	switch s.Kind {
	case store.BotStepName:
		n, ok := validName(text)
		if !ok {
			say(t["bad_name"], t["handoff"])
			return turn
		}
		st.Answers["name"], turn.Name = n, n
	case store.BotStepEmail:
		e, ok := validEmail(text)
		if !ok {
			say(t["bad_email"], retryChoices(s, t)...)
			return turn
		}
		st.Answers["email"], turn.Email = e, e
	case store.BotStepOrder:
		o, ok := validOrder(text)
		if !ok {
			say(t["bad_order"], retryChoices(s, t)...)
			return turn
		}
		st.Answers["order"] = o
	case store.BotStepDepartment:
		o, ok := pickOption(s.Options, text)
		if !ok {
			choices := []string{}
			for _, o := range s.Options {
				choices = append(choices, o.Label(lang))
			}
			say(t["bad_department"], append(choices, t["handoff"])...)
			return turn
		}
		st.Answers["department"], st.Answers["team_id"] = o.Label(lang), o.TeamID
		turn.TeamID = o.TeamID
		st.Step++
		if closed(o.TeamID) && afterHours() {
			return turn
		}
		next()
		return turn
	}
	st.Step++
	next()
	return turn
}

// retryChoices are the buttons under a re-asked step.
func retryChoices(s store.BotStep, t map[string]string) []string {
	if s.Required {
		return []string{t["handoff"]}
	}
	return []string{t["skip"], t["handoff"]}
}

// botPrompt is a step's question in lang.
func botPrompt(s store.BotStep, lang string) string {
	p := s.PromptKo
	if lang == "en" {
		p = s.PromptEn
	}
	if strings.TrimSpace(p) != "" {
		return p
	}
	return botTexts[lang]["prompt_"+s.Kind]
}

// validName accepts 1–80 characters of text with at least one letter.
func validName(text string) (string, bool) {
	n := strings.TrimSpace(text)
	if n == "" || utf8.RuneCountInString(n) > 80 || strings.Contains(n, "@") || !plaintext.Clean(n) || strings.ContainsAny(n, "\n\r") {
		return "", false
	}
	for _, r := range n {
		if unicode.IsLetter(r) {
			return n, true
		}
	}
	return "", false
}

// validEmail accepts one bare address with a dotted domain.
func validEmail(text string) (string, bool) {
	e := normEmail(text)
	if e == "" {
		return "", false
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", false
	}
	_, domain, _ := strings.Cut(e, "@")
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", false
	}
	return e, true
}

// validOrder accepts an order number: 4–32 letters, digits or '-', with an
// optional leading '#' and spaces around.
func validOrder(text string) (string, bool) {
	o := strings.TrimPrefix(strings.TrimSpace(text), "#")
	if !orderPattern.MatchString(o) {
		return "", false
	}
	return o, true
}

// pickOption finds the option a customer chose: its label in either
// language, or its number (1 for the first).
func pickOption(opts []store.BotOption, text string) (store.BotOption, bool) {
	c := compact(text)
	if c == "" {
		return store.BotOption{}, false
	}
	for _, o := range opts {
		if c == compact(o.LabelKo) || c == compact(o.LabelEn) {
			return o, true
		}
	}
	if n, err := strconv.Atoi(c); err == nil && n >= 1 && n <= len(opts) {
		return opts[n-1], true
	}
	return store.BotOption{}, false
}

// BotConsumer is the durable consumer that runs the bot on customer
// messages.
func (s *Service) BotConsumer() Consumer {
	return Consumer{Name: BotConsumerName, Types: []string{EventMessageCreated}, Handle: func(ctx context.Context, e Event) error {
		if e.Message == nil || e.Message.Direction != store.DirInbound || e.MessageID <= 0 {
			return nil
		}
		return s.RunBot(ctx, e.MessageID)
	}}
}

// EnableBot adds the bot's consumer. Call it once, before RunConsumers.
func (s *Service) EnableBot(ctx context.Context) error { return s.AddConsumer(ctx, s.BotConsumer()) }

// RunBot lets the bot act on customer message messageID: once, whatever
// how often it is called (see the package comment above).
func (s *Service) RunBot(ctx context.Context, messageID int64) error {
	var events []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		events = nil
		var m store.Message
		if err := tx.Take(&m, messageID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return fmt.Errorf("load message %d: %w", messageID, err)
		}
		if m.Direction != store.DirInbound || m.AuthorType != store.AuthorContact {
			return nil // never the bot's own words, an agent's or a system line
		}
		t, err := lockTicket(tx, m.TicketID)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		}
		if t.MergedInto != nil || t.Status == store.StatusClosed {
			return nil
		}
		var f store.BotFlow
		if err := tx.Where("channel_id = ?", m.ChannelID).Take(&f).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return fmt.Errorf("load bot flow: %w", err)
		}
		var st store.BotState
		isNew := false
		err = tx.Take(&st, t.ID).Error
		if err == nil && st.Status == store.BotPending {
			// Written with the ticket (holdForBotFlow): the bot's first turn.
			if m.ID <= st.LastMessageID {
				return nil
			}
			st.Status = ""
			if !f.Enabled { // turned off since the ticket came in: let it go
				if err := tx.Model(&store.BotState{}).Where("ticket_id = ?", t.ID).Updates(map[string]any{
					"status": store.BotHandedOff, "last_message_id": m.ID, "updated_at": now()}).Error; err != nil {
					return fmt.Errorf("release bot state: %w", err)
				}
				events = []Event{{Type: EventBotReleased, TicketID: t.ID, ChannelID: m.ChannelID}}
				return s.recordEvents(tx, events)
			}
		} else if errors.Is(err, gorm.ErrRecordNotFound) {
			if !f.Enabled {
				return nil
			}
			// The bot starts only on a ticket's first customer message,
			// never in a conversation that was going on without it.
			var before int64
			if err := tx.Model(&store.Message{}).Where("ticket_id = ? AND direction = ? AND id < ?", t.ID, store.DirInbound, m.ID).
				Count(&before).Error; err != nil {
				return err
			}
			if before > 0 {
				return nil
			}
			st, isNew = store.BotState{TicketID: t.ID, FlowID: f.ID, Answers: store.JSONMap{}}, true
		} else if err != nil {
			return fmt.Errorf("load bot state: %w", err)
		}
		if m.ID <= st.LastMessageID || st.Status == store.BotHandedOff {
			return nil
		}
		if !f.Enabled && !isNew { // turned off mid-conversation: a person takes over
			st.Status = store.BotHandedOff
		}
		wasHeld := !isNew
		var c store.Contact
		if err := tx.Take(&c, t.ContactID).Error; err != nil {
			return fmt.Errorf("load contact: %w", notFound(err))
		}
		// The language the widget shows, else the browser's, else the
		// contact's.
		lang := cmp.Or(m.Meta.String("lang"), m.Meta.String("locale"), c.Locale)
		env := botEnv{Lang: surveyLocale(lang), Now: s.clock(), KnownName: c.Name, KnownEmail: c.Email, TicketTeamID: derefID(t.TeamID),
			Hours: func(id int64) (store.BusinessHours, bool) {
				var tm store.Team
				if tx.Take(&tm, id).Error != nil {
					return store.BusinessHours{}, false
				}
				return tm.Hours, true
			}}
		var turn botTurn
		if st.Status != store.BotHandedOff {
			turn = botAdvance(&f, &st, m.Text, env)
		}
		ts := now()
		st.LastMessageID, st.UpdatedAt = m.ID, ts
		if isNew {
			st.CreatedAt = ts
			if err := tx.Create(&st).Error; err != nil {
				return fmt.Errorf("create bot state: %w", err)
			}
		} else if err := tx.Model(&store.BotState{}).Where("ticket_id = ?", t.ID).Updates(map[string]any{
			"status": st.Status, "step": st.Step, "last_message_id": st.LastMessageID, "answers": st.Answers, "updated_at": ts}).Error; err != nil {
			return fmt.Errorf("save bot state: %w", err)
		}
		if st.Status != store.BotHandedOff {
			// The visitor answered: the hold lasts the flow's hold time from now.
			if err := s.moveBotTimeoutTx(tx, t.ID, botHold(&f)); err != nil {
				return err
			}
		}
		for i, r := range turn.Replies {
			at := ts.Add(time.Duration(i) * time.Microsecond) // keeps the turn's order in the thread
			bm := &store.Message{TicketID: t.ID, Direction: store.DirOutbound, AuthorType: store.AuthorBot, ChannelID: m.ChannelID,
				Text: r.Text, Meta: store.JSONMap{"bot": map[string]any{"choices": r.Choices, "step": st.Step}},
				DeliveryStatus: store.DeliveryQueued, CreatedAt: at}
			if err := tx.Create(bm).Error; err != nil {
				return fmt.Errorf("create bot message: %w", err)
			}
			mid := bm.ID
			if err := tx.Create(&store.Outbox{ChannelID: m.ChannelID, MessageID: &mid, TicketID: t.ID, Purpose: store.PurposeReply,
				Payload: store.JSONMap{"bot": true}, Status: store.OutboxPending, NextAttemptAt: at}).Error; err != nil {
				return fmt.Errorf("queue bot message: %w", err)
			}
			events = append(events, Event{Type: EventMessageCreated, TicketID: t.ID, MessageID: bm.ID, ChannelID: m.ChannelID,
				ContactID: t.ContactID, Message: &MessageChanges{Direction: store.DirOutbound}})
		}
		if n := len(turn.Replies); n > 0 {
			if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
				"message_count": gorm.Expr("message_count + ?", n), "last_message_at": ts, "updated_at": ts}).Error; err != nil {
				return err
			}
		}
		contact := map[string]any{}
		if turn.Name != "" {
			contact["name"] = turn.Name
		}
		if turn.Email != "" && c.Email == "" {
			// A reply address only: it is not an identity and links nothing.
			contact["email"] = turn.Email
		}
		if len(contact) > 0 {
			contact["updated_at"] = ts
			if err := tx.Model(&store.Contact{}).Where("id = ?", c.ID).Updates(contact).Error; err != nil {
				return fmt.Errorf("save answers on contact: %w", err)
			}
			events = append(events, Event{Type: EventContactUpdated, ContactID: c.ID})
		}
		if err := s.recordEvents(tx, events); err != nil {
			return err
		}
		if turn.TeamID != 0 && turn.TeamID != derefID(t.TeamID) {
			team := turn.TeamID
			evs, err := s.updateTicketTx(tx, t.ID, 0, TicketPatch{TeamID: &team}, nil)
			if err != nil && !errors.Is(err, ErrInvalid) {
				return err
			}
			events = append(events, evs...)
		}
		if wasHeld && st.Status == store.BotHandedOff || isNew && turn.Handoff {
			// Auto-assignment held the ticket while the bot talked.
			ev := []Event{{Type: EventBotReleased, TicketID: t.ID, ChannelID: m.ChannelID}}
			if err := s.recordEvents(tx, ev); err != nil {
				return err
			}
			events = append(events, ev...)
		}
		if turn.Handoff {
			note := &store.Message{TicketID: t.ID, Direction: store.DirNote, AuthorType: store.AuthorBot, ChannelID: m.ChannelID,
				Text: botNote(st.Answers), Meta: store.JSONMap{"bot_answers": st.Answers}, CreatedAt: ts.Add(time.Millisecond)}
			if err := tx.Create(note).Error; err != nil {
				return fmt.Errorf("create bot note: %w", err)
			}
			ev := []Event{{Type: EventMessageCreated, TicketID: t.ID, MessageID: note.ID, ChannelID: m.ChannelID,
				Message: &MessageChanges{Direction: store.DirNote}}}
			if err := s.recordEvents(tx, ev); err != nil {
				return err
			}
			events = append(events, ev...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("inbox: bot on message %d: %w", messageID, err)
	}
	s.publish(events...)
	return nil
}

// botNote is the handoff note: what the bot collected, for the agent.
func botNote(a store.JSONMap) string {
	var b strings.Builder
	b.WriteString("봇이 받은 정보 (collected by the bot)")
	n := 0
	for _, f := range []struct{ key, label string }{{"name", "이름 (name)"}, {"email", "이메일 (email, unverified)"},
		{"order", "주문 번호 (order)"}, {"department", "부서 (department)"}} {
		if v := a.String(f.key); v != "" {
			b.WriteString("\n" + f.label + ": " + v)
			n++
		}
	}
	if n == 0 {
		b.WriteString("\n—")
	}
	return b.String()
}

// BotState returns the bot's state in a ticket; ErrNotFound when the bot
// never spoke there.
func (s *Service) BotState(ctx context.Context, ticketID int64) (*store.BotState, error) {
	st, err := s.st.BotStateOf(ctx, ticketID)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return st, nil
}

// BotSuggestion posts the answer bot's one suggestion message on a new
// ticket (an email acknowledgement with help articles): outbound, author
// kind bot, on channelID, queued through the outbox like a reply. It is
// once per ticket: when the ticket already has a message from the bot, or
// an agent has answered, nothing is posted and it reports false.
func (s *Service) BotSuggestion(ctx context.Context, ticketID, channelID int64, text string, meta map[string]any) (bool, error) {
	text, err := plaintext.Text(text, MaxTextBytes)
	if err != nil || strings.TrimSpace(text) == "" {
		return false, invalidAs("message_empty", nil, "a bot message needs text")
	}
	var events []Event
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		events = nil
		t, err := lockTicket(tx, ticketID)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&store.Message{}).Where("ticket_id = ? AND direction = ? AND author_type IN ?", t.ID, store.DirOutbound,
			[]string{store.AuthorBot, store.AuthorAgent}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		ts := now()
		m := store.JSONMap{}
		for k, v := range meta {
			m[k] = v
		}
		bm := &store.Message{TicketID: t.ID, Direction: store.DirOutbound, AuthorType: store.AuthorBot, ChannelID: channelID, Text: text,
			Meta: m, DeliveryStatus: store.DeliveryQueued, CreatedAt: ts}
		if err := tx.Create(bm).Error; err != nil {
			return fmt.Errorf("create bot message: %w", err)
		}
		mid := bm.ID
		if err := tx.Create(&store.Outbox{ChannelID: channelID, MessageID: &mid, TicketID: t.ID, Purpose: store.PurposeReply,
			Payload: store.JSONMap{"bot": true}, Status: store.OutboxPending, NextAttemptAt: ts}).Error; err != nil {
			return fmt.Errorf("queue bot message: %w", err)
		}
		if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
			"message_count": gorm.Expr("message_count + 1"), "last_message_at": ts, "updated_at": ts}).Error; err != nil {
			return err
		}
		events = []Event{{Type: EventMessageCreated, TicketID: t.ID, MessageID: bm.ID, ChannelID: channelID, ContactID: t.ContactID,
			Message: &MessageChanges{Direction: store.DirOutbound}}}
		return s.recordEvents(tx, events)
	})
	if err != nil {
		return false, fmt.Errorf("inbox: bot suggestion on ticket %d: %w", ticketID, err)
	}
	s.publish(events...)
	return len(events) > 0, nil
}

// holdForBotFlow writes a pending bot state of flow (the channel's enabled
// flow and its hold time, which openTicket looked up in the ticket's own
// statement) with a new ticket, so auto-assignment holds the ticket from
// its first moment until the bot hands off (store.BotHoldSQL).
func (s *Service) holdForBotFlow(tx *gorm.DB, ticketID, flowID int64, holdMinutes int, ts time.Time) error {
	if err := tx.Create(&store.BotState{TicketID: ticketID, FlowID: flowID, Status: store.BotPending, Answers: store.JSONMap{},
		CreatedAt: ts, UpdatedAt: ts}).Error; err != nil {
		return fmt.Errorf("hold ticket %d for the bot: %w", ticketID, err)
	}
	return s.moveBotTimeoutTx(tx, ticketID, botHold(&store.BotFlow{HoldMinutes: holdMinutes}))
}
