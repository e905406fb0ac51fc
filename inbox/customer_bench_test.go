package inbox_test

import (
	"fmt"
	"testing"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store/storetest"
)

// BenchmarkCustomerHistory measures what a signed-in customer's widget
// session reads: the conversation list and the newest 300 visible messages
// of a contact with 20 tickets of 15 messages and a note each, among 50
// other customers with the same.
func BenchmarkCustomerHistory(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			st := storetest.Open(b, d)
			e := newThreadEnv(b, st)
			var contact int64
			for c := 0; c < 51; c++ {
				for tk := 0; tk < 20; tk++ {
					var id int64
					for m := 0; m < 15; m++ {
						if m%2 == 1 {
							if _, err := e.svc.Reply(e.ctx, inbox.ReplyInput{TicketID: id, AgentID: e.agent.ID, Text: "답변입니다"}); err != nil {
								b.Fatal(err)
							}
							continue
						}
						key := fmt.Sprintf("email:<c%d-t%d@x>", c, tk)
						r, err := e.svc.Ingest(e.ctx, &inbox.Inbound{ChannelID: e.email.ID, ExternalID: fmt.Sprintf("c%d-t%d-m%d", c, tk, m), ThreadKeys: []string{key},
							OwnKeys: []string{key}, Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: fmt.Sprintf("c%d@customer.test", c), Verified: true},
							Text: "배송 문의드립니다"})
						if err != nil {
							b.Fatal(err)
						}
						id = r.TicketID
						if c == 0 {
							contact = r.ContactID
						}
					}
					if _, err := e.svc.AddNote(e.ctx, id, e.agent.ID, "메모", nil); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			for b.Loop() {
				cs, err := e.svc.CustomerConversations(e.ctx, inbox.Scope{ContactID: contact}, 20)
				if err != nil || len(cs) != 20 {
					b.Fatalf("%d conversations, %v", len(cs), err)
				}
				ids := make([]int64, len(cs))
				for i, c := range cs {
					ids[i] = c.TicketID
				}
				ms, err := e.svc.CustomerMessages(e.ctx, contact, ids, 0, 300)
				if err != nil || len(ms) != 300 {
					b.Fatalf("%d messages, %v", len(ms), err)
				}
			}
		})
	}
}
