package slack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestRuleNotification: an automation rule's notify_slack action posts its
// message, with a link to the ticket, in the rule's Slack channel, once.
func TestRuleNotification(t *testing.T) {
	r := newRig(t, storetest.Dialects()[0], nil)
	r.waitConnected()
	ctx := context.Background()
	rule, err := r.env.Inbox.CreateRule(ctx, inbox.RuleInput{Name: "VIP 알림", Enabled: true, Trigger: inbox.TriggerTicketCreated,
		Actions: []store.RuleAction{{Type: inbox.ActNotifySlack, ChannelID: r.slack.ID, Target: "C0RULES01", Value: "VIP 고객 문의가 왔습니다"}}})
	if err != nil {
		t.Fatal(err)
	}
	r.ingestAPI("vip-1", "vip", "결제 오류", "결제가 안 돼요")
	tk := r.env.Tickets()[0]
	rules, err := r.env.Inbox.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	r.env.Store.DB.Model(&store.Event{}).Where("ticket_id = ?", tk.ID).Order("id").Pluck("id", &ids)
	for _, id := range ids {
		ev, err := r.env.Inbox.StoredEvent(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.env.Inbox.ApplyRules(ctx, rules, ev); err != nil {
			t.Fatal(err)
		}
	}
	r.env.Inbox.Wake()
	r.env.Eventually("rule notification sent", func() bool {
		var n int64
		r.env.Store.DB.Model(&store.Outbox{}).Where("channel_id = ? AND status = ? AND payload LIKE ?", r.slack.ID, store.OutboxSent, "%rule.notify%").Count(&n)
		return n == 1
	})
	var posts []call
	for _, p := range r.fake.Calls("chat.postMessage") {
		if p.Form.Get("channel") == "C0RULES01" {
			posts = append(posts, p)
		}
	}
	if len(posts) != 1 {
		t.Fatalf("posts to the rule's channel = %d, want 1", len(posts))
	}
	if text := posts[0].Form.Get("text"); !strings.Contains(text, "VIP 고객 문의가 왔습니다") || !strings.Contains(text, "http://hanbox.test/tickets/"+tk.PublicID) {
		t.Fatalf("rule post = %q", text)
	}
	_ = rule
}
