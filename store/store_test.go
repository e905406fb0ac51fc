package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(benchCleanup) - 1; i >= 0; i-- {
		benchCleanup[i]()
	}
	os.Exit(code)
}

func TestMigrateFromEmpty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		v, err := st.AppliedVersion(ctx)
		if err != nil || v != store.SchemaVersion() {
			t.Fatalf("applied %d (%v), want %d", v, err, store.SchemaVersion())
		}
		// Running again is a no-op.
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"contacts", "identities", "tickets", "messages", "thread_keys", "outboxes", "channels", "agents", "sessions", "quarantines", "search_docs"} {
			if !st.DB.Migrator().HasTable(table) {
				t.Errorf("table %s missing", table)
			}
		}
	})
}

func TestTokenize(t *testing.T) {
	cases := map[string][][]string{
		"배송이 늦어요":              {{"배송", "송이"}, {"늦어", "어요"}},
		"Refund #1234, please": {{"refund"}, {"1234"}, {"please"}},
		"꽃":                    {{"꽃"}},
		"iPhone15가 고장":         {{"iphone15"}, {"가"}, {"고장"}},
		"kim@example.com":      {{"kim"}, {"example"}, {"com"}},
		"注文キャンセル":              {{"注文", "文キ", "キャ", "ャン", "ンセ", "セル"}},
	}
	for in, want := range cases {
		got := store.Tokenize(in)
		if len(got) != len(want) {
			t.Errorf("%q: %v, want %v", in, got, want)
			continue
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%q: %v, want %v", in, got, want)
			}
		}
	}
}

func TestListTicketsPaginates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := store.Contact{Name: "x"}
		st.DB.Create(&c)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 25; i++ {
			tk := store.Ticket{PublicID: fmt.Sprintf("p%02d", i), ReplyToken: fmt.Sprintf("r%02d", i), Status: store.StatusOpen,
				Priority: store.PriorityNormal, ContactID: c.ID, ChannelID: 1, LastChannelID: 1,
				LastMessageAt: base.Add(time.Duration(i%5) * time.Minute)} // ties on purpose
			if err := st.DB.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
		}
		seen := map[int64]bool{}
		cursor := ""
		pages := 0
		for {
			p, err := st.ListTickets(ctx, store.TicketFilter{Limit: 10, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for i, tk := range p.Items {
				if seen[tk.ID] {
					t.Fatalf("ticket %d on two pages", tk.ID)
				}
				seen[tk.ID] = true
				if i > 0 && tk.LastMessageAt.After(p.Items[i-1].LastMessageAt) {
					t.Fatal("not ordered by last activity")
				}
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if len(seen) != 25 || pages != 3 {
			t.Fatalf("saw %d tickets in %d pages, want 25 in 3", len(seen), pages)
		}
		if _, err := st.ListTickets(ctx, store.TicketFilter{Cursor: "garbage!"}); err == nil {
			t.Fatal("bad cursor accepted")
		}
	})
}

func TestStateAndBlobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := st.GetState(ctx, 1, "uid"); err == nil {
			t.Fatal("unset state found")
		}
		st.PutState(ctx, 1, "uid", "10")
		st.PutState(ctx, 1, "uid", "11")
		if v, err := st.GetState(ctx, 1, "uid"); err != nil || v != "11" {
			t.Fatalf("state = %q, %v", v, err)
		}
		a, _ := st.PutBlob([]byte("같은 내용"))
		b, _ := st.PutBlob([]byte("같은 내용"))
		if a != b || len(a) != 64 {
			t.Fatalf("content addressing: %s %s", a, b)
		}
		if _, err := st.OpenBlob("../../etc/passwd"); err == nil {
			t.Fatal("path traversal in blob name")
		}
		release, ok, err := st.TryLock(ctx, "imap:1")
		if err != nil || !ok {
			t.Fatalf("lock: %v %v", ok, err)
		}
		if st.Dialect == store.Postgres {
			_, ok2, _ := st.TryLock(ctx, "imap:1")
			if ok2 {
				t.Fatal("advisory lock taken twice")
			}
		}
		release()
		r2, ok, _ := st.TryLock(ctx, "imap:1")
		if !ok {
			t.Fatal("lock not released")
		}
		r2()
	})
}

func TestCountTicketsFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		st.DB.Create(&store.Contact{Name: "a"})
		st.DB.Create(&store.Contact{Name: "b"})
		for i := 0; i < 4; i++ {
			tk := store.Ticket{PublicID: fmt.Sprintf("c%d", i), ReplyToken: fmt.Sprintf("c%d", i), Status: store.StatusOpen, Priority: store.PriorityNormal,
				ContactID: int64(1 + i%2), ChannelID: 1, LastChannelID: 1, LastMessageAt: time.Now()}
			if err := st.DB.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				st.DB.Create(&store.TicketTag{TicketID: tk.ID, Tag: "vip"})
			}
		}
		for name, c := range map[string]struct {
			f    store.TicketFilter
			want int64
		}{
			"all":     {store.TicketFilter{}, 4},
			"tag":     {store.TicketFilter{Tag: "vip"}, 2},
			"contact": {store.TicketFilter{ContactID: 2}, 2},
		} {
			n, err := st.CountTickets(ctx, c.f)
			if err != nil || n != c.want {
				t.Errorf("%s: %d, %v; want %d", name, n, err, c.want)
			}
		}
	})
}

// TestSearchWindow checks that a search over a common word returns the
// tickets of its newest matches, whichever way the store narrows the scan.
func TestSearchWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		defer store.SetSearchLimits(5, 20)()
		defer store.SetSearchWalk()() // the index path; TestSearchWalk has the other
		ctx := context.Background()
		c := store.Contact{Name: "x"}
		st.DB.Create(&c)
		var ids []int64
		for i := 0; i < 40; i++ {
			tk := store.Ticket{PublicID: fmt.Sprintf("w%d", i), ReplyToken: fmt.Sprintf("w%d", i), Status: store.StatusOpen, Priority: store.PriorityNormal,
				ContactID: c.ID, ChannelID: 1, LastChannelID: 1, LastMessageAt: time.Now().Add(time.Duration(i) * time.Second)}
			st.DB.Create(&tk)
			ids = append(ids, tk.ID)
			text := "other words"
			if i%2 == 0 {
				text = "환불 요청"
			}
			if err := st.IndexMessage(st.DB, tk.ID, int64(i+1), text); err != nil {
				t.Fatal(err)
			}
		}
		p, err := st.ListTickets(ctx, store.TicketFilter{Query: "환불"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, tk := range p.Items {
			got[tk.ID] = true
		}
		// The newest five matches are tickets 38, 36, 34, 32, 30.
		if len(got) != 5 {
			t.Fatalf("%d tickets, want 5", len(got))
		}
		for _, i := range []int{38, 36, 34, 32, 30} {
			if !got[ids[i]] {
				t.Fatalf("ticket %d (a newest match) missing: %v", i, got)
			}
		}
		// A rare word outside the recent span is still found.
		st.IndexMessage(st.DB, ids[0], 1, "환불 요청 영수증")
		p, _ = st.ListTickets(ctx, store.TicketFilter{Query: "영수증"})
		if len(p.Items) != 1 || p.Items[0].ID != ids[0] {
			t.Fatalf("rare old word: %+v", p.Items)
		}
	})
}

// TestMatches: rules' "text contains" agrees with search: Korean stems
// inside words with particles, bigrams as phrases, words by prefix.
func TestMatches(t *testing.T) {
	for _, c := range []struct {
		text, q string
		want    bool
	}{
		{"배송이 늦어요", "배송", true},
		{"배송이 늦어요", "송이", true},
		{"배송이 늦어요", "배이", false},
		{"환불은 언제?", "환불 언제", true},
		{"환불은 언제?", "환불 취소", false},
		{"I want Refunds now", "refund", true},
		{"I want refunds", "funds", false},
		{"결제", "결", true},
		{"anything", "", false},
		{"VIP 고객 결제오류", "결제 오류", true},
	} {
		if got := store.Matches(c.text, c.q); got != c.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", c.text, c.q, got, c.want)
		}
	}
}
