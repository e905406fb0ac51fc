package inbox_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// rulesEnv is an inbox whose rules a test applies by hand to stored events
// (ApplyRules), so the order of things is the test's.
type rulesEnv struct {
	t     *testing.T
	st    *store.Store
	svc   *inbox.Service
	ch    store.Channel
	agent *store.Agent
	ctx   context.Context
	n     int
}

func newRulesEnv(t *testing.T, st *store.Store) *rulesEnv {
	t.Helper()
	svc, ch := newService(t, st)
	a := &store.Agent{Email: "kim@example.com", Name: "김상담", Role: store.RoleAgent, Active: true}
	if err := st.CreateAgent(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return &rulesEnv{t: t, st: st, svc: svc, ch: ch, agent: a, ctx: context.Background()}
}

// ingest makes a ticket with one customer message from email (and locale).
func (e *rulesEnv) ingest(text, email, locale string) int64 {
	e.t.Helper()
	return e.ingestMeta(text, email, locale, nil)
}

func (e *rulesEnv) ingestMeta(text, email, locale string, meta map[string]any) int64 {
	e.t.Helper()
	e.n++
	in := msg(e.ch, fmt.Sprintf("m-%d", e.n), fmt.Sprintf("t-%d", e.n), text)
	in.Meta = meta
	in.Contact.ID = fmt.Sprintf("c-%d", e.n)
	in.Contact.Email, in.Contact.Locale = email, locale
	in.Subject = "문의: " + text
	r, err := e.svc.Ingest(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.TicketID
}

func (e *rulesEnv) rule(in inbox.RuleInput) store.Rule {
	e.t.Helper()
	in.Enabled = true
	if in.Trigger == "" {
		in.Trigger = inbox.TriggerTicketCreated
	}
	r, err := e.svc.CreateRule(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return *r
}

// events returns the stored events of a ticket after id after.
func (e *rulesEnv) events(ticketID, after int64) []inbox.Event {
	e.t.Helper()
	var ids []int64
	if err := e.st.DB.Model(&store.Event{}).Where("ticket_id = ? AND id > ?", ticketID, after).Order("id").Pluck("id", &ids).Error; err != nil {
		e.t.Fatal(err)
	}
	out := make([]inbox.Event, 0, len(ids))
	for _, id := range ids {
		ev, err := e.svc.StoredEvent(e.ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// apply runs every rule on the ticket's stored events after after, and
// on the events those runs record, until none is left (as the consumer
// would); it returns the ids of the rules that acted, in order.
func (e *rulesEnv) apply(ticketID, after int64) []int64 {
	e.t.Helper()
	rules, err := e.svc.Rules(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var acted []int64
	for range 50 {
		evs := e.events(ticketID, after)
		if len(evs) == 0 {
			return acted
		}
		for _, ev := range evs {
			ids, err := e.svc.ApplyRules(e.ctx, rules, ev)
			if err != nil {
				e.t.Fatal(err)
			}
			acted = append(acted, ids...)
			after = ev.ID
		}
	}
	e.t.Fatal("rules kept producing events")
	return nil
}

func (e *rulesEnv) ticket(id int64) *store.Ticket {
	e.t.Helper()
	tk, err := e.svc.Ticket(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tk
}

func tagsOf(t *store.Ticket) []string {
	var out []string
	for _, tg := range t.Tags {
		out = append(out, tg.Tag)
	}
	slices.Sort(out)
	return out
}

func tagAction(tag string) []store.RuleAction {
	return []store.RuleAction{{Type: inbox.ActAddTag, Value: tag}}
}

// TestRuleConditions: each condition field and operator, on a ticket
// created by a message.
func TestRuleConditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		team, err := e.svc.CreateTeam(e.ctx, 0, inbox.TeamInput{NameKo: ptr("결제팀"), NameEn: ptr("Billing")})
		if err != nil {
			t.Fatal(err)
		}
		closed, err := e.svc.CreateTeam(e.ctx, 0, inbox.TeamInput{NameKo: ptr("야간"), NameEn: ptr("Night"),
			Hours: &store.BusinessHours{TimeZone: "Asia/Seoul", Weekly: allWeek(), Holidays: []string{time.Now().In(seoul(t)).Format(time.DateOnly)}}})
		if err != nil {
			t.Fatal(err)
		}
		_ = closed
		teamID := strconv.FormatInt(team.ID, 10)
		if _, err := e.svc.CreateAttributeDef(e.ctx, store.AttributeDef{Key: "plan", LabelKo: "요금제", Type: store.AttrText}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateAttributeDef(e.ctx, store.AttributeDef{Key: "seats", LabelKo: "좌석", Type: store.AttrNumber}); err != nil {
			t.Fatal(err)
		}
		profile := func(vals map[string]any) func(id int64) {
			return func(id int64) {
				if err := e.svc.SetContactAttributes(e.ctx, e.ticket(id).ContactID, vals, inbox.SourceAPI); err != nil {
					t.Fatal(err)
				}
			}
		}
		attr := func(key, op, value string) store.RuleCondition {
			return store.RuleCondition{Field: inbox.CondAttribute, Op: op, Key: key, Value: value}
		}
		cases := []struct {
			name  string
			text  string
			email string
			lang  string
			meta  map[string]any
			setup func(id int64)
			cond  store.RuleCondition
			want  bool
		}{
			{name: "text contains Korean stem", text: "환불은 언제 되나요?", cond: store.RuleCondition{Field: inbox.CondText, Op: inbox.OpContains, Value: "환불"}, want: true},
			{name: "text contains particle-free bigram", text: "배송이 늦어요", cond: store.RuleCondition{Field: inbox.CondText, Op: inbox.OpContains, Value: "배송"}, want: true},
			{name: "text non-adjacent syllables", text: "배송이 늦어요", cond: store.RuleCondition{Field: inbox.CondText, Op: inbox.OpContains, Value: "배이"}, want: false},
			{name: "text English prefix", text: "I want refunds", cond: store.RuleCondition{Field: inbox.CondText, Op: inbox.OpContains, Value: "Refund"}, want: true},
			{name: "text not contains", text: "배송 문의", cond: store.RuleCondition{Field: inbox.CondText, Op: inbox.OpNotContains, Value: "환불"}, want: true},
			{name: "subject contains", text: "결제 오류", cond: store.RuleCondition{Field: inbox.CondSubject, Op: inbox.OpContains, Value: "결제"}, want: true},
			{name: "channel kind", text: "x", cond: store.RuleCondition{Field: inbox.CondChannel, Op: inbox.OpIs, Value: "api"}, want: true},
			{name: "channel kind not", text: "x", cond: store.RuleCondition{Field: inbox.CondChannel, Op: inbox.OpIsNot, Value: "email"}, want: true},
			{name: "email domain", text: "x", email: "vip@Bigcorp.co.kr", cond: store.RuleCondition{Field: inbox.CondEmailDomain, Op: inbox.OpIs, Value: "bigcorp.co.kr"}, want: true},
			{name: "email domain other", text: "x", email: "a@other.com", cond: store.RuleCondition{Field: inbox.CondEmailDomain, Op: inbox.OpIs, Value: "bigcorp.co.kr"}, want: false},
			{name: "language", text: "hello", lang: "en-US", cond: store.RuleCondition{Field: inbox.CondLanguage, Op: inbox.OpIs, Value: "en"}, want: true},
			{name: "language not", text: "안녕", lang: "ko", cond: store.RuleCondition{Field: inbox.CondLanguage, Op: inbox.OpIs, Value: "en"}, want: false},
			{name: "priority", text: "x", cond: store.RuleCondition{Field: inbox.CondPriority, Op: inbox.OpIs, Value: store.PriorityNormal}, want: true},
			{name: "priority not", text: "x", cond: store.RuleCondition{Field: inbox.CondPriority, Op: inbox.OpIsNot, Value: store.PriorityNormal}, want: false},
			{name: "no team", text: "x", cond: store.RuleCondition{Field: inbox.CondTeam, Op: inbox.OpIs, Value: ""}, want: true},
			{name: "team", text: "x", setup: func(id int64) { e.patch(id, inbox.TicketPatch{TeamID: &team.ID}) },
				cond: store.RuleCondition{Field: inbox.CondTeam, Op: inbox.OpIs, Value: teamID}, want: true},
			{name: "tag", text: "x", setup: func(id int64) { e.patch(id, inbox.TicketPatch{AddTags: []string{"vip"}}) },
				cond: store.RuleCondition{Field: inbox.CondTag, Op: inbox.OpIs, Value: "VIP"}, want: true},
			{name: "tag missing", text: "x", cond: store.RuleCondition{Field: inbox.CondTag, Op: inbox.OpIsNot, Value: "vip"}, want: true},
			{name: "inside hours (no hours: always open)", text: "x", cond: store.RuleCondition{Field: inbox.CondBusinessHours, Op: inbox.OpIs, Value: "inside"}, want: true},
			{name: "page url", text: "x", meta: map[string]any{"page_url": "https://shop.example/Checkout?step=2"},
				cond: store.RuleCondition{Field: inbox.CondPageURL, Op: inbox.OpContains, Value: "/checkout"}, want: true},
			{name: "page url absent", text: "x", cond: store.RuleCondition{Field: inbox.CondPageURL, Op: inbox.OpContains, Value: "/checkout"}, want: false},
			{name: "attribute text", text: "x", setup: profile(map[string]any{"plan": "Pro"}), cond: attr("plan", inbox.OpIs, "pro"), want: true},
			{name: "attribute text other", text: "x", setup: profile(map[string]any{"plan": "free"}), cond: attr("plan", inbox.OpIs, "pro"), want: false},
			{name: "attribute unset is not", text: "x", cond: attr("plan", inbox.OpIsNot, "pro"), want: true},
			{name: "attribute number", text: "x", setup: profile(map[string]any{"seats": 12.0}), cond: attr("seats", inbox.OpIs, "12"), want: true},
			{name: "attribute boolean in Korean", text: "x", setup: profile(map[string]any{store.AttrEmailMarketing: true}), cond: attr(store.AttrEmailMarketing, inbox.OpIs, "예"), want: true},
			{name: "attribute boolean no", text: "x", setup: profile(map[string]any{store.AttrEmailMarketing: true}), cond: attr(store.AttrEmailMarketing, inbox.OpIs, "no"), want: false},
			{name: "attribute time zone (contact row)", text: "x", setup: profile(map[string]any{store.AttrTimeZone: "Asia/Seoul"}), cond: attr(store.AttrTimeZone, inbox.OpIs, "asia/seoul"), want: true},
			{name: "outside hours (holiday today)", text: "x", setup: func(id int64) { e.patch(id, inbox.TicketPatch{TeamID: &closed.ID}) },
				cond: store.RuleCondition{Field: inbox.CondBusinessHours, Op: inbox.OpIs, Value: "outside"}, want: true},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := e.ingestMeta(c.text, c.email, c.lang, c.meta)
				if c.setup != nil {
					c.setup(id)
				}
				tag := fmt.Sprintf("case%d", i)
				// Ticket updated fires on the setup's change; ticket created on the rest.
				trig := inbox.TriggerCustomerMessage
				r := e.rule(inbox.RuleInput{Name: c.name, Trigger: trig, Conditions: []store.RuleCondition{c.cond}, Actions: tagAction(tag)})
				e.apply(id, 0)
				got := slices.Contains(tagsOf(e.ticket(id)), tag)
				if got != c.want {
					t.Fatalf("%s: tagged = %v, want %v", c.name, got, c.want)
				}
				if err := e.svc.SetRuleEnabled(e.ctx, r.ID, false); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

func ptr[T any](v T) *T { return &v }

// allWeek is open around the clock every day.
func allWeek() map[string][][2]string {
	w := map[string][][2]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		w[d] = [][2]string{{"00:00", "24:00"}}
	}
	return w
}

func seoul(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func (e *rulesEnv) patch(id int64, p inbox.TicketPatch) {
	e.t.Helper()
	if _, err := e.svc.UpdateTicket(e.ctx, id, e.agent.ID, p); err != nil {
		e.t.Fatal(err)
	}
}

// TestRuleMatchAnyAll: "all" needs every condition, "any" one.
func TestRuleMatchAnyAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		conds := []store.RuleCondition{{Field: inbox.CondText, Op: inbox.OpContains, Value: "환불"}, {Field: inbox.CondText, Op: inbox.OpContains, Value: "배송"}}
		e.rule(inbox.RuleInput{Name: "all", Match: "all", Conditions: conds, Actions: tagAction("all")})
		e.rule(inbox.RuleInput{Name: "any", Match: "any", Conditions: conds, Actions: tagAction("any")})
		one := e.ingest("환불해 주세요", "", "")
		both := e.ingest("배송 늦어서 환불", "", "")
		none := e.ingest("안녕하세요", "", "")
		for _, id := range []int64{one, both, none} {
			e.apply(id, 0)
		}
		for id, want := range map[int64][]string{one: {"any"}, both: {"all", "any"}, none: nil} {
			if got := tagsOf(e.ticket(id)); !slices.Equal(got, want) {
				t.Errorf("ticket %d tags = %v, want %v", id, got, want)
			}
		}
	})
}

// TestRuleActions: each action, with its timeline entry naming the rule.
func TestRuleActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		team, err := e.svc.CreateTeam(e.ctx, 0, inbox.TeamInput{NameKo: ptr("결제팀"), NameEn: ptr("Billing")})
		if err != nil {
			t.Fatal(err)
		}
		sr := store.SavedReply{Name: "ack", Body: "{{contact.name}}님, 확인 후 연락드리겠습니다."}
		if err := st.CreateSavedReply(e.ctx, &sr); err != nil {
			t.Fatal(err)
		}
		slack := store.Channel{Kind: "slack", Name: "slack", PublicKey: inbox.NewPublicID(), Enabled: true}
		if err := st.DB.Create(&slack).Error; err != nil {
			t.Fatal(err)
		}
		id64 := func(v int64) string { return strconv.FormatInt(v, 10) }
		cases := []struct {
			name   string
			action store.RuleAction
			check  func(t *testing.T, tk *store.Ticket, ms []store.Message)
		}{
			{"assign agent", store.RuleAction{Type: inbox.ActAssignAgent, Value: id64(e.agent.ID)}, func(t *testing.T, tk *store.Ticket, _ []store.Message) {
				if tk.AssigneeID == nil || *tk.AssigneeID != e.agent.ID {
					t.Fatalf("assignee = %v", tk.AssigneeID)
				}
			}},
			{"assign team", store.RuleAction{Type: inbox.ActAssignTeam, Value: id64(team.ID)}, func(t *testing.T, tk *store.Ticket, _ []store.Message) {
				if tk.TeamID == nil || *tk.TeamID != team.ID {
					t.Fatalf("team = %v", tk.TeamID)
				}
			}},
			{"add tag", store.RuleAction{Type: inbox.ActAddTag, Value: "VIP"}, func(t *testing.T, tk *store.Ticket, _ []store.Message) {
				if !slices.Equal(tagsOf(tk), []string{"vip"}) {
					t.Fatalf("tags = %v", tagsOf(tk))
				}
			}},
			{"set priority", store.RuleAction{Type: inbox.ActSetPriority, Value: store.PriorityUrgent}, func(t *testing.T, tk *store.Ticket, _ []store.Message) {
				if tk.Priority != store.PriorityUrgent {
					t.Fatalf("priority = %s", tk.Priority)
				}
			}},
			{"set status", store.RuleAction{Type: inbox.ActSetStatus, Value: store.StatusPending}, func(t *testing.T, tk *store.Ticket, _ []store.Message) {
				if tk.Status != store.StatusPending {
					t.Fatalf("status = %s", tk.Status)
				}
			}},
			{"snooze", store.RuleAction{Type: inbox.ActSnooze, Value: "4"}, func(t *testing.T, tk *store.Ticket, _ []store.Message) {
				if tk.Status != store.StatusSnoozed || tk.SnoozedUntil == nil || tk.SnoozedUntil.Before(time.Now().Add(3*time.Hour)) {
					t.Fatalf("status = %s until %v", tk.Status, tk.SnoozedUntil)
				}
			}},
			{"note", store.RuleAction{Type: inbox.ActAddNote, Value: "VIP 고객입니다"}, func(t *testing.T, _ *store.Ticket, ms []store.Message) {
				if !slices.ContainsFunc(ms, func(m store.Message) bool { return m.Direction == store.DirNote && m.Text == "VIP 고객입니다" }) {
					t.Fatal("no note")
				}
			}},
			{"saved reply", store.RuleAction{Type: inbox.ActSavedReply, Value: id64(sr.ID)}, func(t *testing.T, tk *store.Ticket, ms []store.Message) {
				var n int
				for _, m := range ms {
					if m.Direction == store.DirOutbound && m.Text == "김민지님, 확인 후 연락드리겠습니다." && m.DeliveryStatus == store.DeliveryQueued {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%d saved replies queued", n)
				}
				var rows int64
				st.DB.Model(&store.Outbox{}).Where("ticket_id = ? AND purpose = ?", tk.ID, store.PurposeReply).Count(&rows)
				if rows != 1 {
					t.Fatalf("%d reply outbox rows", rows)
				}
			}},
			{"notify slack", store.RuleAction{Type: inbox.ActNotifySlack, ChannelID: slack.ID, Target: "C123", Value: "VIP 문의"}, func(t *testing.T, tk *store.Ticket, _ []store.Message) {
				var rows []store.Outbox
				st.DB.Where("ticket_id = ? AND channel_id = ?", tk.ID, slack.ID).Find(&rows)
				if len(rows) != 1 || rows[0].Purpose != store.PurposeNotify || rows[0].Payload.String("type") != inbox.EventRuleNotify {
					t.Fatalf("slack rows = %+v", rows)
				}
			}},
			{"webhook", store.RuleAction{Type: inbox.ActWebhook, Target: "https://hooks.example.com/x", Secret: "0123456789abcdef"}, func(t *testing.T, tk *store.Ticket, _ []store.Message) {
				var rows []store.Outbox
				st.DB.Where("ticket_id = ? AND purpose = ?", tk.ID, store.PurposeWebhook).Find(&rows)
				if len(rows) != 1 || rows[0].Payload.String("url") != "https://hooks.example.com/x" || !strings.Contains(rows[0].Payload.String("body"), `"rule":"r-webhook"`) {
					t.Fatalf("webhook rows = %+v", rows)
				}
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := e.ingest("액션 "+c.name, "", "")
				r := e.rule(inbox.RuleInput{Name: "r-" + strings.ReplaceAll(c.name, " ", "-"), Actions: []store.RuleAction{c.action}})
				defer func() {
					if err := e.svc.DeleteRule(e.ctx, r.ID); err != nil {
						t.Fatal(err)
					}
				}()
				if acted := e.apply(id, 0); !slices.Contains(acted, r.ID) {
					t.Fatalf("rule %d did not act (acted %v)", r.ID, acted)
				}
				ms, err := e.svc.Messages(e.ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				c.check(t, e.ticket(id), ms)
				named := slices.ContainsFunc(ms, func(m store.Message) bool {
					rid, name := inbox.RuleFromMeta(m.Meta)
					return rid == r.ID && name == r.Name
				})
				if !named {
					t.Fatalf("no timeline entry names rule %q", r.Name)
				}
			})
		}
		// Remove tag takes off what add tag put on.
		id := e.ingest("태그 제거", "", "")
		e.patch(id, inbox.TicketPatch{AddTags: []string{"spam-suspect", "keep"}})
		e.rule(inbox.RuleInput{Name: "untag", Trigger: inbox.TriggerCustomerMessage, Actions: []store.RuleAction{{Type: inbox.ActRemoveTag, Value: "spam-suspect"}}})
		e.apply(id, 0)
		if got := tagsOf(e.ticket(id)); !slices.Equal(got, []string{"keep"}) {
			t.Fatalf("tags after remove = %v", got)
		}
	})
}

// TestRuleOrderStopAfter: rules run in position order; stop after ends
// the evaluation; reordering changes which runs.
func TestRuleOrderStopAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		a := e.rule(inbox.RuleInput{Name: "a", StopAfter: true, Actions: tagAction("a")})
		b := e.rule(inbox.RuleInput{Name: "b", Actions: tagAction("b")})
		id := e.ingest("첫 번째", "", "")
		if acted := e.apply(id, 0); !slices.Equal(acted, []int64{a.ID}) {
			t.Fatalf("acted = %v, want only a", acted)
		}
		if err := e.svc.ReorderRules(e.ctx, []int64{b.ID, a.ID}); err != nil {
			t.Fatal(err)
		}
		id = e.ingest("두 번째", "", "")
		if acted := e.apply(id, 0); !slices.Equal(acted, []int64{b.ID, a.ID}) {
			t.Fatalf("acted = %v, want b then a", acted)
		}
		if err := e.svc.ReorderRules(e.ctx, []int64{b.ID}); err == nil {
			t.Fatal("a partial order was accepted")
		}
	})
}

// TestRuleLoopPrevention: two rules that trigger each other on ticket
// updates act once each and stop: a rule's own events never re-trigger it
// and chains end at MaxRuleDepth.
func TestRuleLoopPrevention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		// Each flips the priority and tags on every ticket update.
		r1 := e.rule(inbox.RuleInput{Name: "ping", Trigger: inbox.TriggerTicketUpdated, Actions: []store.RuleAction{{Type: inbox.ActSetPriority, Value: store.PriorityHigh}, {Type: inbox.ActAddNote, Value: "ping"}}})
		r2 := e.rule(inbox.RuleInput{Name: "pong", Trigger: inbox.TriggerTicketUpdated, Actions: []store.RuleAction{{Type: inbox.ActSetPriority, Value: store.PriorityLow}, {Type: inbox.ActAddNote, Value: "pong"}}})
		r3 := e.rule(inbox.RuleInput{Name: "pang", Trigger: inbox.TriggerTicketUpdated, Actions: []store.RuleAction{{Type: inbox.ActSetPriority, Value: store.PriorityUrgent}}})
		id := e.ingest("루프", "", "")
		var after int64
		if evs := e.events(id, 0); len(evs) > 0 {
			after = evs[len(evs)-1].ID
		}
		e.patch(id, inbox.TicketPatch{AddTags: []string{"start"}})
		acted := e.apply(id, after)
		// The agent's update triggers all three (chains of one); each of
		// their updates triggers the two others (chains of two), each of
		// those the one left (chains of three = MaxRuleDepth), whose
		// updates trigger nothing: 3 + 6 + 6 runs, and it ends.
		if len(acted) != 3+6+6 {
			t.Fatalf("acted %d times: %v", len(acted), acted)
		}
		for _, ev := range e.events(id, after) {
			if ev.Rule == nil {
				continue
			}
			if len(ev.Rule.Chain) > inbox.MaxRuleDepth {
				t.Fatalf("event %d has chain %v", ev.ID, ev.Rule.Chain)
			}
			sorted := slices.Clone(ev.Rule.Chain)
			slices.Sort(sorted)
			if len(slices.Compact(sorted)) != len(ev.Rule.Chain) {
				t.Fatalf("a rule re-triggered itself: chain %v", ev.Rule.Chain)
			}
		}
		_ = []int64{r1.ID, r2.ID, r3.ID}

		// A lone rule reacting to its own kind of change acts once.
		for _, r := range []int64{r2.ID, r3.ID} {
			if err := e.svc.DeleteRule(e.ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		id = e.ingest("혼자", "", "")
		evs := e.events(id, 0)
		after = evs[len(evs)-1].ID
		e.patch(id, inbox.TicketPatch{AddTags: []string{"start"}})
		if acted := e.apply(id, after); !slices.Equal(acted, []int64{r1.ID}) {
			t.Fatalf("lone rule acted %v, want once", acted)
		}
	})
}

// TestRuleValidation: bad rules are refused with a reason.
func TestRuleValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		for name, in := range map[string]inbox.RuleInput{
			"no name":      {Trigger: inbox.TriggerTicketCreated, Actions: tagAction("x")},
			"bad trigger":  {Name: "x", Trigger: "sometime", Actions: tagAction("x")},
			"no actions":   {Name: "x", Trigger: inbox.TriggerTicketCreated},
			"bad op":       {Name: "x", Trigger: inbox.TriggerTicketCreated, Actions: tagAction("x"), Conditions: []store.RuleCondition{{Field: inbox.CondTag, Op: inbox.OpContains, Value: "a"}}},
			"bad priority": {Name: "x", Trigger: inbox.TriggerTicketCreated, Actions: []store.RuleAction{{Type: inbox.ActSetPriority, Value: "asap"}}},
			"no agent":     {Name: "x", Trigger: inbox.TriggerTicketCreated, Actions: []store.RuleAction{{Type: inbox.ActAssignAgent, Value: "9999"}}},
			"weak secret":  {Name: "x", Trigger: inbox.TriggerTicketCreated, Actions: []store.RuleAction{{Type: inbox.ActWebhook, Target: "https://a.example", Secret: "short"}}},
			"no hours":     {Name: "x", Trigger: inbox.TriggerNoReply, Actions: tagAction("x")},
		} {
			if _, err := e.svc.CreateRule(e.ctx, in); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})
}

// TestRuleNoCustomerReply: an agent's reply starts an N-hour timer on the
// durable scheduler; when it is due and the customer has not answered,
// a ticket.no_reply event runs the rule. An answered reply runs nothing.
func TestRuleNoCustomerReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		var offset atomic.Int64
		sched := jobs.New(st, jobs.Options{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
		if err := e.svc.EnableRules(e.ctx, sched); err != nil {
			t.Fatal(err)
		}
		consumer := e.svc.RulesConsumer(sched)
		r := e.rule(inbox.RuleInput{Name: "재촉", Trigger: inbox.TriggerNoReply, TriggerHours: 2, Actions: tagAction("nudge")})
		handleAll := func(id int64, after int64) int64 {
			t.Helper()
			for _, ev := range e.events(id, after) {
				if err := consumer.Handle(e.ctx, ev); err != nil {
					t.Fatal(err)
				}
				after = ev.ID
			}
			return after
		}
		silent := e.ingest("환불 문의", "", "")
		answered := e.ingest("배송 문의", "", "")
		for _, id := range []int64{silent, answered} {
			if _, err := e.svc.Reply(e.ctx, inbox.ReplyInput{TicketID: id, AgentID: e.agent.ID, Text: "확인했습니다"}); err != nil {
				t.Fatal(err)
			}
		}
		seenS, seenA := handleAll(silent, 0), handleAll(answered, 0)
		var js []store.Job
		st.DB.Where("kind = ?", inbox.JobRuleNoReply).Order("id").Find(&js)
		if len(js) != 2 {
			t.Fatalf("no-reply jobs = %d, want 2", len(js))
		}
		// The customer of the second ticket answers.
		in := msg(e.ch, "m-answer", "t-2", "감사합니다")
		in.Contact.ID = "c-2"
		if _, err := e.svc.Ingest(e.ctx, in); err != nil {
			t.Fatal(err)
		}
		offset.Store(int64(time.Hour))
		if n, err := sched.RunDue(e.ctx); err != nil || n != 0 {
			t.Fatalf("after 1h: ran %d, %v", n, err)
		}
		offset.Store(int64(3 * time.Hour))
		if n, err := sched.RunDue(e.ctx); err != nil || n != 2 {
			t.Fatalf("after 3h: ran %d, %v", n, err)
		}
		handleAll(silent, seenS)
		handleAll(answered, seenA)
		if got := tagsOf(e.ticket(silent)); !slices.Equal(got, []string{"nudge"}) {
			t.Fatalf("silent ticket tags = %v", got)
		}
		if got := tagsOf(e.ticket(answered)); len(got) != 0 {
			t.Fatalf("answered ticket tags = %v", got)
		}
		var runs int64
		st.DB.Model(&store.RuleRun{}).Where("rule_id = ?", r.ID).Count(&runs)
		if runs != 1 {
			t.Fatalf("rule runs = %d", runs)
		}
	})
}

// TestRuleSLATriggers: sla.warning and sla.breached events (recorded by
// the SLA timers) trigger the rules of those triggers, once per event.
func TestRuleSLATriggers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		w := e.rule(inbox.RuleInput{Name: "임박", Trigger: inbox.TriggerSLAWarning, Actions: []store.RuleAction{{Type: inbox.ActSetPriority, Value: store.PriorityHigh}}})
		br := e.rule(inbox.RuleInput{Name: "위반", Trigger: inbox.TriggerSLABreached, Actions: []store.RuleAction{{Type: inbox.ActSetPriority, Value: store.PriorityUrgent}}})
		id := e.ingest("급해요", "", "")
		rules, _ := e.svc.Rules(e.ctx)
		for _, c := range []struct {
			ev       inbox.Event
			rule     int64
			priority string
		}{
			{inbox.Event{ID: 1 << 40, Type: "sla.warning", TicketID: id}, w.ID, store.PriorityHigh},
			{inbox.Event{ID: 1<<40 + 1, Type: "sla.breached", TicketID: id}, br.ID, store.PriorityUrgent},
		} {
			for range 2 {
				if _, err := e.svc.ApplyRules(e.ctx, rules, c.ev); err != nil {
					t.Fatal(err)
				}
			}
			if got := e.ticket(id).Priority; got != c.priority {
				t.Fatalf("%s: priority %s", c.ev.Type, got)
			}
			var runs int64
			st.DB.Model(&store.RuleRun{}).Where("rule_id = ?", c.rule).Count(&runs)
			if runs != 1 {
				t.Fatalf("%s: %d runs", c.ev.Type, runs)
			}
		}
	})
}

// TestRuleLowRating: a low survey answer (CSAT 1–2, an NPS detractor)
// fires the low-rating rules once per answer; a good answer, or an NPS
// answer no ticket asked for, fires none.
func TestRuleLowRating(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		r := e.rule(inbox.RuleInput{Name: "불만 → 팀장", Trigger: inbox.TriggerLowRating, Actions: []store.RuleAction{
			{Type: inbox.ActAddTag, Value: "불만"}, {Type: inbox.ActSetStatus, Value: store.StatusOpen}}})
		good := e.ingest("감사합니다", "", "")
		bad := e.ingest("별로예요", "", "")
		rules, _ := e.svc.Rules(e.ctx)
		for _, ev := range []inbox.Event{
			{ID: 1 << 41, Type: inbox.EventSurveyAnswered, TicketID: good, Survey: &inbox.SurveyChanges{Kind: store.SurveyCSAT, Score: 5}},
			{ID: 1<<41 + 1, Type: inbox.EventSurveyAnswered, Survey: &inbox.SurveyChanges{Kind: store.SurveyNPS, Score: 2, Low: true}},
			{ID: 1<<41 + 2, Type: inbox.EventSurveyAnswered, TicketID: bad, Survey: &inbox.SurveyChanges{Kind: store.SurveyCSAT, Score: 1, Low: true}},
			{ID: 1<<41 + 2, Type: inbox.EventSurveyAnswered, TicketID: bad, Survey: &inbox.SurveyChanges{Kind: store.SurveyCSAT, Score: 1, Low: true}},
		} {
			if _, err := e.svc.ApplyRules(e.ctx, rules, ev); err != nil {
				t.Fatal(err)
			}
		}
		if got := tagsOf(e.ticket(good)); len(got) != 0 {
			t.Fatalf("a good rating tagged %v", got)
		}
		if got := tagsOf(e.ticket(bad)); !slices.Equal(got, []string{"불만"}) {
			t.Fatalf("low rating tags = %v", got)
		}
		var runs int64
		st.DB.Model(&store.RuleRun{}).Where("rule_id = ?", r.ID).Count(&runs)
		if runs != 1 {
			t.Fatalf("rule runs = %d, want 1 (the redelivered answer acts once)", runs)
		}
	})
}

// TestRuleThatCannotAct: a rule whose agent was deactivated acts on
// nothing (no half-done changes) and does not hold up the rules after it.
func TestRuleThatCannotAct(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		gone := &store.Agent{Email: "gone@example.com", Name: "퇴사자", Role: store.RoleAgent, Active: true}
		if err := st.CreateAgent(e.ctx, gone); err != nil {
			t.Fatal(err)
		}
		bad := e.rule(inbox.RuleInput{Name: "bad", Actions: []store.RuleAction{{Type: inbox.ActAddTag, Value: "half"},
			{Type: inbox.ActAssignAgent, Value: strconv.FormatInt(gone.ID, 10)}}})
		good := e.rule(inbox.RuleInput{Name: "good", Actions: tagAction("ok")})
		if err := st.DB.Model(&store.Agent{}).Where("id = ?", gone.ID).Update("active", false).Error; err != nil {
			t.Fatal(err)
		}
		id := e.ingest("아무 문의", "", "")
		if acted := e.apply(id, 0); !slices.Equal(acted, []int64{good.ID}) {
			t.Fatalf("acted = %v, want only %d (not %d)", acted, good.ID, bad.ID)
		}
		if got := tagsOf(e.ticket(id)); !slices.Equal(got, []string{"ok"}) {
			t.Fatalf("tags = %v", got)
		}
	})
}

// TestRuleSeesEarlierRules: a later rule of the same event sees what an
// earlier one changed (a tag it added).
func TestRuleSeesEarlierRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRulesEnv(t, st)
		e.rule(inbox.RuleInput{Name: "vip", Conditions: []store.RuleCondition{{Field: inbox.CondText, Op: inbox.OpContains, Value: "결제"}}, Actions: tagAction("vip")})
		e.rule(inbox.RuleInput{Name: "vip urgent", Conditions: []store.RuleCondition{{Field: inbox.CondTag, Op: inbox.OpIs, Value: "vip"}},
			Actions: []store.RuleAction{{Type: inbox.ActSetPriority, Value: store.PriorityUrgent}}})
		id := e.ingest("결제 오류", "", "")
		e.apply(id, 0)
		if tk := e.ticket(id); tk.Priority != store.PriorityUrgent || !slices.Equal(tagsOf(tk), []string{"vip"}) {
			t.Fatalf("ticket = %s %v", tk.Priority, tagsOf(tk))
		}
	})
}
