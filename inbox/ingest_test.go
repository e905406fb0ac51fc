package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func newService(t *testing.T, st *store.Store) (*inbox.Service, store.Channel) {
	t.Helper()
	svc := inbox.New(st, inbox.Options{})
	ch := store.Channel{Kind: "api", Name: "test", PublicKey: inbox.NewPublicID(), Enabled: true}
	if err := st.DB.Create(&ch).Error; err != nil {
		t.Fatal(err)
	}
	return svc, ch
}

func msg(ch store.Channel, ext, thread, text string) *inbox.Inbound {
	return &inbox.Inbound{
		ChannelID: ch.ID, ExternalID: ext, ThreadKeys: []string{thread}, OwnKeys: []string{thread},
		Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: "c1", Verified: true, Name: "김민지"},
		Text:    text,
	}
}

func TestIngestIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		var first inbox.IngestResult
		for i := 0; i < 100; i++ {
			r, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "배송이 늦어요"))
			if err != nil {
				t.Fatalf("ingest %d: %v", i, err)
			}
			if i == 0 {
				if r.Duplicate || !r.NewTicket {
					t.Fatalf("first ingest: %+v", r)
				}
				first = r
			} else if !r.Duplicate || r.MessageID != first.MessageID || r.TicketID != first.TicketID {
				t.Fatalf("ingest %d not a duplicate of the first: %+v vs %+v", i, r, first)
			}
		}
		var n int64
		st.DB.Model(&store.Message{}).Count(&n)
		if n != 1 {
			t.Fatalf("messages stored = %d, want 1", n)
		}
	})
}

func TestIngestConcurrentOneThread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n*2)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				// Each message is also sent twice, as a retrying client would.
				for j := 0; j < 2; j++ {
					if _, err := svc.Ingest(ctx, msg(ch, fmt.Sprintf("m-%02d", i), "thread-1", fmt.Sprintf("message %d", i))); err != nil {
						errs <- err
					}
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var tickets []store.Ticket
		st.DB.Find(&tickets)
		if len(tickets) != 1 {
			t.Fatalf("tickets = %d, want 1", len(tickets))
		}
		ms, err := svc.Messages(ctx, tickets[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != n {
			t.Fatalf("messages = %d, want %d", len(ms), n)
		}
		seen := map[string]bool{}
		for i, m := range ms {
			if seen[*m.ExternalID] {
				t.Fatalf("duplicate message %s", *m.ExternalID)
			}
			seen[*m.ExternalID] = true
			if i > 0 && (m.CreatedAt.Before(ms[i-1].CreatedAt) || m.ID < ms[i-1].ID) {
				t.Fatalf("messages out of order at %d", i)
			}
		}
		if tickets[0].MessageCount != n {
			t.Fatalf("message_count = %d, want %d", tickets[0].MessageCount, n)
		}
	})
}

func TestKoreanSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		texts := map[string]string{
			"a": "배송이 아직 안 왔어요",
			"b": "환불은 언제 되나요?",
			"c": "Refunds for order 1234 please",
			"d": "비밀번호를 잊어버렸습니다",
		}
		ids := map[string]int64{}
		for k, txt := range texts {
			m := msg(ch, "m-"+k, "t-"+k, txt)
			m.Contact.ID = "c-" + k
			r, err := svc.Ingest(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			ids[k] = r.TicketID
		}
		cases := []struct {
			q    string
			want []string
		}{
			{"배송", []string{"a"}},
			{"환불", []string{"b"}},
			{"refund", []string{"c"}},
			{"비밀번호", []string{"d"}},
			{"배이", nil},
			{"아직 배송", []string{"a"}},
			{"1234", []string{"c"}},
		}
		for _, c := range cases {
			page, err := st.ListTickets(ctx, store.TicketFilter{Query: c.q})
			if err != nil {
				t.Fatalf("%q: %v", c.q, err)
			}
			got := map[int64]bool{}
			for _, tk := range page.Items {
				got[tk.ID] = true
			}
			if len(got) != len(c.want) {
				t.Errorf("%q: got %d tickets, want %v", c.q, len(got), c.want)
				continue
			}
			for _, w := range c.want {
				if !got[ids[w]] {
					t.Errorf("%q: missing ticket %s", c.q, w)
				}
			}
		}
	})
}

func TestIngestAllKeepsOrderAndDedupes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		var ins []*inbox.Inbound
		for i := 0; i < 60; i++ {
			ins = append(ins, msg(ch, fmt.Sprintf("m-%02d", i%40), "thread", fmt.Sprintf("text %d", i%40)))
		}
		ins = append(ins, &inbox.Inbound{ChannelID: ch.ID}) // invalid: its own error only
		res, errs := svc.IngestAll(ctx, ins)
		for i := 0; i < 60; i++ {
			if errs[i] != nil {
				t.Fatalf("%d: %v", i, errs[i])
			}
			if dup := i >= 40; res[i].Duplicate != dup || (dup && res[i].MessageID != res[i-40].MessageID) {
				t.Fatalf("%d: %+v", i, res[i])
			}
		}
		if !errors.Is(errs[60], inbox.ErrInvalid) {
			t.Fatalf("invalid message: %v", errs[60])
		}
		ms, _ := svc.Messages(ctx, res[0].TicketID)
		if len(ms) != 40 {
			t.Fatalf("messages = %d, want 40", len(ms))
		}
		for i, m := range ms {
			if *m.ExternalID != fmt.Sprintf("m-%02d", i) {
				t.Fatalf("order: %d is %s", i, *m.ExternalID)
			}
		}
	})
}

// TestIngestTwoInstancesShareThreads: on PostgreSQL two instances (their own
// stores and group-commit writers) ingest the same 200 messages of 5 threads
// at once, each message twice on each: every message is stored once, each
// thread is one ticket with the right count, and nothing fails (the batch
// transactions take their locks in one order, so they do not deadlock).
func TestIngestTwoInstancesShareThreads(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	svcA, ch := newService(t, st)
	stB, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), DatabaseURL: st.DSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stB.Close() })
	svcB := inbox.New(stB, inbox.Options{})
	const n, threads = 200, 5
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for _, svc := range []*inbox.Service{svcA, svcB} {
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(svc *inbox.Service, g int) {
				defer wg.Done()
				for i := g; i < n; i += 8 {
					for j := 0; j < 2; j++ {
						in := msg(ch, fmt.Sprintf("m-%03d", i), fmt.Sprintf("thread-%d", i%threads), fmt.Sprintf("message %d", i))
						in.Contact.ID = fmt.Sprintf("c-%d", i%threads)
						if _, err := svc.Ingest(ctx, in); err != nil {
							errs <- err
						}
					}
				}
			}(svc, g)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var tickets []store.Ticket
	st.DB.Order("id").Find(&tickets)
	if len(tickets) != threads {
		t.Fatalf("tickets = %d, want %d", len(tickets), threads)
	}
	total := 0
	for _, tk := range tickets {
		var count int64
		st.DB.Model(&store.Message{}).Where("ticket_id = ?", tk.ID).Count(&count)
		if tk.MessageCount != int(count) || count != n/threads {
			t.Fatalf("ticket %d: message_count %d, %d messages, want %d", tk.ID, tk.MessageCount, count, n/threads)
		}
		total += int(count)
	}
	var distinct int64
	st.DB.Model(&store.Message{}).Distinct("external_id").Count(&distinct)
	if total != n || distinct != n {
		t.Fatalf("%d messages, %d distinct, want %d", total, distinct, n)
	}
}
