package inbox

import (
	"fmt"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
)

// BenchmarkRuleMatch50: the conditions of 50 rules (text, subject, domain,
// tag, priority, language, hours, channel) against facts already loaded:
// the CPU part of an event's evaluation, without the store.
func BenchmarkRuleMatch50(b *testing.B) {
	team := int64(1)
	f := &ruleFacts{ticket: &store.Ticket{ID: 1, Subject: "배송 일정 문의", Priority: store.PriorityNormal, TeamID: &team, LastChannelID: 1},
		channelKind: "api", text: "안녕하세요, 주문한 상품의 배송 일정이 궁금합니다. 결제는 어제 했어요.", tags: []string{"vip"},
		email: "minji@customer.kr", locale: "ko", at: time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC),
		hours: store.BusinessHours{TimeZone: "Asia/Seoul", Weekly: map[string][][2]string{"mon": {{"09:00", "18:00"}}}}}
	rules := make([]store.Rule, 50)
	for i := range rules {
		var conds store.RuleConditions
		switch i % 5 {
		case 0:
			conds = store.RuleConditions{{Field: CondText, Op: OpContains, Value: fmt.Sprintf("환불요청%d", i)}}
		case 1:
			conds = store.RuleConditions{{Field: CondEmailDomain, Op: OpIs, Value: "vip.example"}, {Field: CondBusinessHours, Op: OpIs, Value: "outside"}}
		case 2:
			conds = store.RuleConditions{{Field: CondTag, Op: OpIs, Value: "tag"}, {Field: CondPriority, Op: OpIs, Value: store.PriorityUrgent}}
		case 3:
			conds = store.RuleConditions{{Field: CondSubject, Op: OpContains, Value: "결제오류"}, {Field: CondLanguage, Op: OpIs, Value: "en"}}
		case 4:
			conds = store.RuleConditions{{Field: CondText, Op: OpContains, Value: "배송지 변경"}, {Field: CondChannel, Op: OpIs, Value: "email"}}
		}
		rules[i] = store.Rule{ID: int64(i + 1), Enabled: true, Trigger: TriggerTicketCreated, Match: "all", Conditions: conds}
	}
	for b.Loop() {
		facts := *f // a fresh event: token streams and hours computed again
		for i := range rules {
			if ruleMatches(&rules[i], &facts) {
				b.Fatal("matched")
			}
		}
	}
}
