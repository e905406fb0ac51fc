package inbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

type botEnv struct {
	t       *testing.T
	ctx     context.Context
	st      *store.Store
	svc     *inbox.Service
	ch      store.Channel
	billing *store.Team
	n       int
}

// newBotEnv is an inbox whose clock reads at (in Asia/Seoul), a widget
// channel with a flow (name, optional email, department: 결제/배송), and
// two teams open 09:00–18:00 on weekdays.
func newBotEnv(t *testing.T, st *store.Store, at time.Time) *botEnv {
	t.Helper()
	ctx := context.Background()
	svc := inbox.New(st, inbox.Options{Now: func() time.Time { return at }})
	ch := store.Channel{Kind: "widget", Name: "site", PublicKey: inbox.NewPublicID(), Enabled: true}
	if err := st.DB.Create(&ch).Error; err != nil {
		t.Fatal(err)
	}
	hours := store.BusinessHours{TimeZone: "Asia/Seoul", Weekly: map[string][][2]string{"thu": {{"09:00", "18:00"}}, "fri": {{"09:00", "18:00"}}}}
	team := func(ko, en string) *store.Team {
		tm, err := svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en, Hours: &hours})
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	billing, shipping := team("결제팀", "Billing"), team("배송팀", "Shipping")
	if _, err := svc.SaveBotFlow(ctx, 0, inbox.BotFlowInput{ChannelID: ch.ID, Enabled: true, GreetingKo: "안녕하세요!", GreetingEn: "Hello!",
		Steps: []store.BotStep{{Kind: store.BotStepName, Required: true}, {Kind: store.BotStepEmail},
			{Kind: store.BotStepDepartment, Required: true, Options: []store.BotOption{
				{LabelKo: "결제", LabelEn: "Billing", TeamID: billing.ID}, {LabelKo: "배송", LabelEn: "Shipping", TeamID: shipping.ID}}}}}); err != nil {
		t.Fatal(err)
	}
	return &botEnv{t: t, ctx: ctx, st: st, svc: svc, ch: ch, billing: billing}
}

// say ingests a visitor message in conversation conv and runs the bot on
// it, twice, as a replayed event would.
func (e *botEnv) say(conv, text, locale string) int64 {
	e.t.Helper()
	e.n++
	in := &inbox.Inbound{ChannelID: e.ch.ID, ExternalID: "v1/" + string(rune('a'+e.n)), ThreadKeys: []string{conv}, OwnKeys: []string{conv},
		Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "widget:" + e.ch.PublicKey + "/v1", Locale: locale}, Text: text,
		Meta: map[string]any{"locale": locale}}
	r, err := e.svc.Ingest(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	for range 2 {
		if err := e.svc.RunBot(e.ctx, r.MessageID); err != nil {
			e.t.Fatal(err)
		}
	}
	return r.TicketID
}

// botLines are the ticket's bot messages (and notes) in order.
func (e *botEnv) botLines(ticketID int64) []string {
	e.t.Helper()
	msgs, err := e.svc.Messages(e.ctx, ticketID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.AuthorType == store.AuthorBot {
			out = append(out, m.Direction+":"+m.Text)
		}
	}
	return out
}

// TestBotFlowInTicket: the bot greets, asks, files the ticket to the
// chosen team, leaves the answers on the contact (the email as an
// unverified reply address) and in a note, queues each message once for
// delivery, and says nothing twice when the same message is handled again.
func TestBotFlowInTicket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		loc, _ := time.LoadLocation("Asia/Seoul")
		e := newBotEnv(t, st, time.Date(2026, 12, 3, 10, 0, 0, 0, loc))
		id := e.say("widget:c1", "결제가 두 번 됐어요", "ko")
		if got := strings.Join(e.botLines(id), "|"); got != "outbound:안녕하세요!|outbound:성함을 알려 주세요." {
			t.Fatalf("after first message: %q", got)
		}
		e.say("widget:c1", "김민지", "ko")
		e.say("widget:c1", "minji@example.kr", "ko")
		e.say("widget:c1", "결제", "ko")
		lines := e.botLines(id)
		want := []string{"outbound:안녕하세요!", "outbound:성함을 알려 주세요.", "outbound:답변 받으실 이메일 주소를 알려 주세요.", "outbound:어느 부서와 상담하시겠어요?",
			"outbound:상담원에게 연결해 드릴게요. 잠시만 기다려 주세요."}
		if len(lines) != len(want)+1 || strings.Join(lines[:len(want)], "|") != strings.Join(want, "|") {
			t.Fatalf("bot lines:\n%s", strings.Join(lines, "\n"))
		}
		note := lines[len(want)]
		for _, s := range []string{"note:", "김민지", "minji@example.kr", "결제"} {
			if !strings.Contains(note, s) {
				t.Fatalf("handoff note %q lacks %q", note, s)
			}
		}
		tk, err := e.svc.Ticket(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if tk.TeamID == nil || *tk.TeamID != e.billing.ID {
			t.Fatalf("ticket team = %v, want %d", tk.TeamID, e.billing.ID)
		}
		if tk.Contact.Name != "김민지" || tk.Contact.Email != "minji@example.kr" {
			t.Fatalf("contact = %q <%s>", tk.Contact.Name, tk.Contact.Email)
		}
		var verified int64
		st.DB.Model(&store.Identity{}).Where("value = ?", "minji@example.kr").Count(&verified)
		if verified != 0 {
			t.Fatalf("the typed email became %d identities; it is a reply address only", verified)
		}
		var queued int64
		st.DB.Model(&store.Outbox{}).Where("ticket_id = ? AND purpose = ?", id, store.PurposeReply).Count(&queued)
		if queued != int64(len(want)) {
			t.Fatalf("outbox rows = %d, want %d (one per bot message)", queued, len(want))
		}
		bs, err := e.svc.BotState(e.ctx, id)
		if err != nil || bs.Status != store.BotHandedOff {
			t.Fatalf("state %+v, %v", bs, err)
		}
		// After the handoff the bot is quiet.
		e.say("widget:c1", "감사합니다", "ko")
		if n := len(e.botLines(id)); n != len(want)+1 {
			t.Fatalf("bot spoke after handoff: %d lines", n)
		}
	})
}

// TestBotStartsOnlyOnNewConversations: a ticket that had customer
// messages before the flow existed gets no bot, and a disabled flow
// starts nothing.
func TestBotStartsOnlyOnNewConversations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newBotEnv(t, st, time.Now())
		flows, err := e.svc.BotFlows(e.ctx)
		if err != nil || len(flows) != 1 {
			t.Fatal(flows, err)
		}
		f := flows[0]
		if _, err := e.svc.SaveBotFlow(e.ctx, f.ID, inbox.BotFlowInput{ChannelID: e.ch.ID, Enabled: false, Steps: f.Steps}); err != nil {
			t.Fatal(err)
		}
		id := e.say("widget:c2", "hello", "en")
		if lines := e.botLines(id); len(lines) != 0 {
			t.Fatalf("disabled flow spoke: %q", lines)
		}
		if _, err := e.svc.SaveBotFlow(e.ctx, f.ID, inbox.BotFlowInput{ChannelID: e.ch.ID, Enabled: true, GreetingKo: f.GreetingKo, GreetingEn: f.GreetingEn, Steps: f.Steps}); err != nil {
			t.Fatal(err)
		}
		e.say("widget:c2", "anyone?", "en")
		if lines := e.botLines(id); len(lines) != 0 {
			t.Fatalf("bot joined a conversation in progress: %q", lines)
		}
		id2 := e.say("widget:c3", "new question", "en")
		if got := strings.Join(e.botLines(id2), "|"); got != "outbound:Hello!|outbound:May I have your name?" {
			t.Fatalf("new conversation in English: %q", got)
		}
	})
}

// TestBotAfterHours: outside the chosen team's hours (Thursday 20:00 in
// Seoul) the bot asks for an email and the ticket still lands in the team.
func TestBotAfterHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		loc, _ := time.LoadLocation("Asia/Seoul")
		e := newBotEnv(t, st, time.Date(2026, 12, 3, 20, 0, 0, 0, loc))
		id := e.say("widget:c4", "환불 문의", "ko")
		e.say("widget:c4", "이서준", "ko")
		e.say("widget:c4", "건너뛰기", "ko")
		e.say("widget:c4", "결제", "ko")
		lines := e.botLines(id)
		if last := lines[len(lines)-1]; last != "outbound:지금은 상담 시간이 아닙니다 — 이메일을 남겨주세요." {
			t.Fatalf("after hours: %q", lines)
		}
		e.say("widget:c4", "seojun@example.com", "ko")
		lines = e.botLines(id)
		if !strings.Contains(strings.Join(lines, "|"), "이메일로 답변 드릴게요") {
			t.Fatalf("no thanks after the email: %q", lines)
		}
		tk, _ := e.svc.Ticket(e.ctx, id)
		if tk.TeamID == nil || *tk.TeamID != e.billing.ID || tk.Contact.Email != "seojun@example.com" {
			t.Fatalf("ticket team %v, contact email %q", tk.TeamID, tk.Contact.Email)
		}
	})
}

func TestSaveBotFlowValidates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newBotEnv(t, st, time.Now())
		api := store.Channel{Kind: "api", Name: "api", PublicKey: inbox.NewPublicID(), Enabled: true}
		if err := st.DB.Create(&api).Error; err != nil {
			t.Fatal(err)
		}
		for name, in := range map[string]inbox.BotFlowInput{
			"second flow":     {ChannelID: e.ch.ID},
			"not a widget":    {ChannelID: api.ID},
			"no channel":      {ChannelID: 9999},
			"unknown kind":    {ChannelID: api.ID, Steps: []store.BotStep{{Kind: "age"}}},
			"no buttons":      {ChannelID: e.ch.ID, Steps: []store.BotStep{{Kind: store.BotStepDepartment}}},
			"no such team":    {ChannelID: e.ch.ID, Steps: []store.BotStep{{Kind: store.BotStepDepartment, Options: []store.BotOption{{LabelKo: "x", TeamID: 999}}}}},
			"greeting is NUL": {ChannelID: e.ch.ID, GreetingKo: string([]byte{0xff})},
		} {
			if _, err := e.svc.SaveBotFlow(e.ctx, 0, in); err == nil || !strings.Contains(err.Error(), "invalid") {
				t.Errorf("%s: err = %v, want invalid", name, err)
			}
		}
	})
}
