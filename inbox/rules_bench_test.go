package inbox_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// benchRules makes 50 enabled ticket-created rules of mixed conditions
// (Korean text, subject, email domain, tag, priority, language, business
// hours, any/all), none of which matches the benchmark's ticket except
// the last when oneActs, and returns a ticket and its ticket.created event.
func benchRules(b *testing.B, st *store.Store) (*inbox.Service, []store.Rule, inbox.Event) {
	b.Helper()
	ctx := context.Background()
	svc := inbox.New(st, inbox.Options{})
	ch := store.Channel{Kind: "api", Name: "bench", PublicKey: inbox.NewPublicID(), Enabled: true}
	if err := st.DB.Create(&ch).Error; err != nil {
		b.Fatal(err)
	}
	team, err := svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: ptr("결제팀"), NameEn: ptr("Billing"),
		Hours: &store.BusinessHours{TimeZone: "Asia/Seoul", Weekly: map[string][][2]string{"mon": {{"09:00", "18:00"}}}, Holidays: []string{"2026-12-25"}}})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 50 {
		var conds []store.RuleCondition
		switch i % 5 {
		case 0:
			conds = []store.RuleCondition{{Field: inbox.CondText, Op: inbox.OpContains, Value: fmt.Sprintf("환불요청%d", i)}}
		case 1:
			conds = []store.RuleCondition{{Field: inbox.CondEmailDomain, Op: inbox.OpIs, Value: fmt.Sprintf("vip%d.example", i)},
				{Field: inbox.CondBusinessHours, Op: inbox.OpIs, Value: "outside"}}
		case 2:
			conds = []store.RuleCondition{{Field: inbox.CondTag, Op: inbox.OpIs, Value: fmt.Sprintf("tag%d", i)},
				{Field: inbox.CondPriority, Op: inbox.OpIs, Value: store.PriorityUrgent}}
		case 3:
			conds = []store.RuleCondition{{Field: inbox.CondSubject, Op: inbox.OpContains, Value: fmt.Sprintf("결제오류 %d", i)},
				{Field: inbox.CondLanguage, Op: inbox.OpIs, Value: "en"}}
		case 4:
			conds = []store.RuleCondition{{Field: inbox.CondText, Op: inbox.OpContains, Value: "배송지 변경"},
				{Field: inbox.CondText, Op: inbox.OpNotContains, Value: "배송"}, {Field: inbox.CondChannel, Op: inbox.OpIs, Value: "email"}}
		}
		if _, err := svc.CreateRule(ctx, inbox.RuleInput{Name: fmt.Sprintf("rule %d", i), Enabled: true, Trigger: inbox.TriggerTicketCreated,
			Match: "all", Conditions: conds, Actions: []store.RuleAction{{Type: inbox.ActAddTag, Value: "x"}}}); err != nil {
			b.Fatal(err)
		}
	}
	in := msg(ch, "bench-1", "bench-t", "안녕하세요, 주문한 상품의 배송 일정이 궁금합니다. 결제는 어제 했어요.")
	in.Contact.Email, in.Contact.Locale = "minji@customer.kr", "ko"
	in.Subject = "배송 일정 문의"
	r, err := svc.Ingest(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.UpdateTicket(ctx, r.TicketID, 0, inbox.TicketPatch{TeamID: &team.ID, AddTags: []string{"vip"}}); err != nil {
		b.Fatal(err)
	}
	var id int64
	st.DB.Model(&store.Event{}).Where("ticket_id = ? AND type = ?", r.TicketID, inbox.EventTicketCreated).Select("MAX(id)").Scan(&id)
	ev, err := svc.StoredEvent(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	rules, err := svc.Rules(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return svc, rules, ev
}

// BenchmarkRulesPerEvent: what the rules consumer spends on one event with
// 50 enabled rules of its trigger that do not match: reading the rules,
// the ticket's facts (ticket, contact, tags, channel, message text, team
// hours) and evaluating every condition.
func BenchmarkRulesPerEvent(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			st := storetest.Open(b, d)
			svc, _, ev := benchRules(b, st)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				rules, err := svc.Rules(ctx)
				if err != nil {
					b.Fatal(err)
				}
				acted, err := svc.ApplyRules(ctx, rules, ev)
				if err != nil || len(acted) != 0 {
					b.Fatalf("acted %v, %v", acted, err)
				}
			}
		})
	}
}

// BenchmarkRulesEvaluate50: evaluation alone (rules already loaded), the
// part that grows with the number of rules.
func BenchmarkRulesEvaluate50(b *testing.B) {
	st := storetest.Open(b, store.SQLite)
	svc, rules, ev := benchRules(b, st)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if acted, err := svc.ApplyRules(ctx, rules, ev); err != nil || len(acted) != 0 {
			b.Fatalf("acted %v, %v", acted, err)
		}
	}
}
