package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestSearchWalk checks that a search answered by walking the list (a word
// in most recent tickets) finds what the index finds, in the list's order,
// with a working cursor, and that words the walk cannot settle (rare, or
// only in old tickets) still come from the index.
func TestSearchWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := store.Contact{Name: "고객", Email: "buyer@example.com"}
		if err := st.DB.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		const n = 120
		var ids []int64 // by age, oldest first
		for i := 0; i < n; i++ {
			status := store.StatusOpen
			if i%5 == 4 {
				status = store.StatusResolved
			}
			tk := store.Ticket{PublicID: fmt.Sprintf("sw%d", i), ReplyToken: fmt.Sprintf("sw%d", i), Subject: fmt.Sprintf("문의 %d", i), Status: status,
				Priority: store.PriorityNormal, ContactID: c.ID, ChannelID: 1, LastChannelID: 1,
				// Activity order differs from id order: every third ticket got a late reply.
				LastMessageAt: base.Add(time.Duration(i+(i%3)*40) * time.Minute)}
			if err := st.DB.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tk.ID)
			texts := []string{"안녕하세요 문의드립니다", "other words here"}
			if i%3 != 1 {
				texts = append(texts, "배송이 늦어요 refunds please") // most tickets
			}
			if i == 2 {
				texts = append(texts, "영수증 부탁드립니다") // one old ticket only
			}
			if i%40 == 7 {
				texts = append(texts, "환불은 언제 되나요 invoice")
			}
			for k, text := range texts {
				m := store.Message{TicketID: tk.ID, Direction: store.DirInbound, AuthorType: store.AuthorContact, ChannelID: 1, Text: text,
					CreatedAt: base.Add(time.Duration(i*10+k) * time.Second)}
				if err := st.DB.Create(&m).Error; err != nil {
					t.Fatal(err)
				}
				if err := st.IndexMessage(st.DB, tk.ID, m.ID, text); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.IndexTicket(st.DB, tk.ID, tk.Subject, c.Name, c.Email); err != nil {
				t.Fatal(err)
			}
		}
		all := func(f store.TicketFilter) []int64 {
			t.Helper()
			var out []int64
			for page := 0; page < 100; page++ {
				p, err := st.ListTickets(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, tk := range p.Items {
					out = append(out, tk.ID)
				}
				if p.NextCursor == "" {
					return out
				}
				f.Cursor = p.NextCursor
			}
			t.Fatal("no end of pages")
			return nil
		}
		for _, q := range []string{"배송", "송이", "refun", "배송 refunds", "환불", "영수증", "invoice 환불", "buyer", "문의", "없는말", "배이"} {
			for _, f := range []store.TicketFilter{{Query: q, Limit: 5}, {Query: q, Limit: 5, Status: "all"}, {Query: q, Limit: 5, Sort: store.SortDue}} {
				walked := all(f)
				restore := store.SetSearchWalk()
				indexed := all(f)
				restore()
				if !slices.Equal(walked, indexed) {
					t.Errorf("%q %+v: walk %v, index %v", q, f, walked, indexed)
				}
			}
		}
		// What the walk found, spelled out for the commonest word: every
		// ticket with a matching message, newest activity first.
		var want []store.Ticket
		st.DB.Where("status <> ? AND id IN ?", store.StatusClosed, ids).Order("last_message_at DESC, id DESC").Find(&want)
		var wantIDs []int64
		for _, tk := range want {
			i := slices.Index(ids, tk.ID)
			if i%3 != 1 {
				wantIDs = append(wantIDs, tk.ID)
			}
		}
		if got := all(store.TicketFilter{Query: "배송", Limit: 5}); !slices.Equal(got, wantIDs) {
			t.Fatalf("배송: %v, want %v", got, wantIDs)
		}
		// Korean inside words: "송이" is inside "배송이"; "배이" is not a
		// bigram of it.
		if got := all(store.TicketFilter{Query: "송이", Limit: 5}); !slices.Equal(got, wantIDs) {
			t.Fatalf("송이: %v, want %v", got, wantIDs)
		}
		if got := all(store.TicketFilter{Query: "배이", Limit: 5}); len(got) != 0 {
			t.Fatalf("배이: %v", got)
		}
		if got := all(store.TicketFilter{Query: "영수증", Limit: 5}); !slices.Equal(got, []int64{ids[2]}) {
			t.Fatalf("영수증: %v", got)
		}
	})
}
