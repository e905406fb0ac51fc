package store_test

import (
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func TestReadMarksMentionsAndProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a := &store.Agent{Email: "a@example.com", Name: "A", Role: store.RoleAgent, Active: true}
		b := &store.Agent{Email: "b@example.com", Name: "B", Role: store.RoleAgent, Active: true}
		gone := &store.Agent{Email: "c@example.com", Name: "C", Role: store.RoleAgent}
		for _, ag := range []*store.Agent{a, b, gone} {
			if err := st.DB.Create(ag).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := st.DB.Model(gone).Update("active", false).Error; err != nil {
			t.Fatal(err)
		}
		c := &store.Contact{Name: "민지"}
		if err := st.DB.Create(c).Error; err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		mk := func(pub string, customer *time.Time) store.Ticket {
			tk := store.Ticket{PublicID: pub, ReplyToken: pub, Status: store.StatusOpen, Priority: store.PriorityNormal,
				ContactID: c.ID, LastCustomerAt: customer, LastMessageAt: base}
			if err := st.DB.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
			return tk
		}
		at := base
		t1, t2 := mk("t1", &at), mk("t2", nil)
		unread := func(agent int64) map[int64]bool {
			t.Helper()
			var list []store.Ticket
			if err := st.DB.Order("id").Find(&list).Error; err != nil {
				t.Fatal(err)
			}
			u, err := st.Unread(ctx, agent, list)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		if u := unread(a.ID); !u[t1.ID] || u[t2.ID] {
			t.Fatalf("before opening: %v (want t1 unread, t2 without customer message read)", u)
		}
		if err := st.MarkRead(ctx, a.ID, t1.ID, base.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if u := unread(a.ID); u[t1.ID] {
			t.Fatalf("opened after the customer wrote, still unread: %v", u)
		}
		if u := unread(b.ID); !u[t1.ID] {
			t.Fatalf("another agent's mark counted: %v", u)
		}
		later := base.Add(time.Minute)
		if err := st.DB.Model(&t1).Update("last_customer_at", later).Error; err != nil {
			t.Fatal(err)
		}
		if u := unread(a.ID); !u[t1.ID] {
			t.Fatalf("customer wrote again, not unread: %v", u)
		}
		if err := st.MarkRead(ctx, a.ID, t1.ID, later.Add(time.Second)); err != nil { // an upsert
			t.Fatal(err)
		}
		if u := unread(a.ID); u[t1.ID] {
			t.Fatalf("second open not recorded: %v", u)
		}

		// Mentions: only active agents; the view filter finds the ticket.
		ids, err := store.ActiveAgentIDs(st.DB, []int64{b.ID, gone.ID, 9999})
		if err != nil || len(ids) != 1 || ids[0] != b.ID {
			t.Fatalf("active agents %v %v", ids, err)
		}
		note := &store.Message{TicketID: t2.ID, Direction: store.DirNote, AuthorType: store.AuthorAgent, AuthorID: a.ID, Text: "@B 확인", CreatedAt: base}
		if err := st.DB.Create(note).Error; err != nil {
			t.Fatal(err)
		}
		for range 2 { // twice is once
			if err := store.CreateMentionsTx(st.DB, note, ids); err != nil {
				t.Fatal(err)
			}
		}
		page, err := st.ListTickets(ctx, store.TicketFilter{MentionOf: b.ID})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != t2.ID {
			t.Fatalf("mentions of B: %+v %v", page.Items, err)
		}
		if n, _ := st.CountTickets(ctx, store.TicketFilter{MentionOf: a.ID}); n != 0 {
			t.Fatalf("A was not mentioned, %d tickets", n)
		}

		// Profile.
		name, sig, mode, on, yes := "김상담", "감사합니다.\n한박스 고객센터", store.SignatureEmail, "assigned,mention", true
		got, err := st.UpdateAgentProfile(ctx, a.ID, store.AgentProfile{Name: &name, Signature: &sig, SignatureMode: &mode, NotifyDesktop: &yes, NotifyOn: &on})
		if err != nil || got.Name != name || got.Signature != sig || got.SignatureMode != mode || !got.NotifyDesktop || got.NotifySound || got.NotifyOn != on {
			t.Fatalf("profile %+v %v", got, err)
		}
		if _, err := st.UpdateAgentProfile(ctx, 9999, store.AgentProfile{}); err == nil {
			t.Fatal("profile of a missing agent")
		}
	})
}
