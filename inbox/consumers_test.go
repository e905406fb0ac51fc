package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// reopen returns a second handle on st's database, as another instance has.
func reopen(t *testing.T, st *store.Store) *store.Store {
	t.Helper()
	cfg := store.Config{DataDir: st.DataDir, DatabaseURL: st.DSN}
	if st.Dialect == store.Postgres {
		cfg.DataDir = t.TempDir()
	}
	other, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// handled counts Handle calls per consumer and event.
type handled struct {
	mu sync.Mutex
	n  map[string]map[int64]int
}

func (h *handled) add(consumer string, id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[string]map[int64]int{}
	}
	if h.n[consumer] == nil {
		h.n[consumer] = map[int64]int{}
	}
	h.n[consumer][id]++
}

func (h *handled) get(consumer string) map[int64]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int64]int{}
	for k, v := range h.n[consumer] {
		out[k] = v
	}
	return out
}

func fastConsume(instance string) inbox.ConsumeOptions {
	return inbox.ConsumeOptions{Instance: instance, Poll: 10 * time.Millisecond, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

func storedEventIDs(t *testing.T, st *store.Store) []int64 {
	t.Helper()
	var ids []int64
	if err := st.DB.Model(&store.Event{}).Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestConsumersExactlyOnceAcrossInstances: two instances on one database
// run the same two consumers while both ingest; every durable event is
// handled exactly once by each consumer.
func TestConsumersExactlyOnceAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, ch := newService(t, st)
		b := inbox.New(reopen(t, st), inbox.Options{})
		var h handled
		for i, svc := range []*inbox.Service{a, b} {
			for _, name := range []string{"survey", "webhooks"} {
				if err := svc.AddConsumer(ctx, inbox.Consumer{Name: name, Handle: func(ctx context.Context, e inbox.Event) error {
					if e.ID == 0 || e.TicketID == 0 && e.ContactID == 0 {
						return fmt.Errorf("event without id or subject: %+v", e)
					}
					h.add(name, e.ID)
					return nil
				}}); err != nil {
					t.Fatal(err)
				}
			}
			go svc.RunConsumers(ctx, fastConsume(fmt.Sprintf("instance-%d", i)))
		}
		var wg sync.WaitGroup
		for i, svc := range []*inbox.Service{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 15; j++ {
					in := msg(ch, fmt.Sprintf("m-%d-%d", i, j), fmt.Sprintf("t-%d", j%4), "주문 문의")
					in.Contact.ID = fmt.Sprintf("c-%d", j%3)
					if _, err := svc.Ingest(ctx, in); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		want := storedEventIDs(t, st)
		if len(want) < 30 {
			t.Fatalf("only %d events stored for 30 messages", len(want))
		}
		for _, name := range []string{"survey", "webhooks"} {
			waitFor(t, name+" handled everything", func() bool { return len(h.get(name)) == len(want) })
			got := h.get(name)
			for _, id := range want {
				if got[id] != 1 {
					t.Errorf("%s handled event %d %d times, want once", name, id, got[id])
				}
			}
		}
	})
}

// TestConsumerRedeliveredAfterCrash: the instance handling an event stops
// dead mid-handler (its lease is never renewed); once the lease has run out
// (an injected clock, no waiting) another instance delivers the event again
// and carries on, and the stalled instance cannot move the cursor.
func TestConsumerRedeliveredAfterCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, ch := newService(t, st)
		b := inbox.New(reopen(t, st), inbox.Options{})
		entered := make(chan int64, 1)
		stuck := make(chan struct{})
		defer close(stuck)
		var h handled
		if err := a.AddConsumer(ctx, inbox.Consumer{Name: "csat", Handle: func(ctx context.Context, e inbox.Event) error {
			entered <- e.ID
			<-stuck // the process "died" here
			h.add("a", e.ID)
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		if err := b.AddConsumer(ctx, inbox.Consumer{Name: "csat", Handle: func(ctx context.Context, e inbox.Event) error {
			h.add("b", e.ID)
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		optsA := fastConsume("a")
		optsA.Lease = time.Minute
		go a.RunConsumers(ctx, optsA)
		if _, err := a.Ingest(ctx, msg(ch, "m-1", "t-1", "환불 요청")); err != nil {
			t.Fatal(err)
		}
		var first int64
		select {
		case first = <-entered:
		case <-time.After(60 * time.Second):
			t.Fatal("instance a never started handling")
		}
		// Instance b's clock is past a's lease.
		optsB := fastConsume("b")
		optsB.Lease = time.Minute
		optsB.Now = func() time.Time { return time.Now().Add(61 * time.Second) }
		go b.RunConsumers(ctx, optsB)
		want := storedEventIDs(t, st)
		waitFor(t, "instance b took over", func() bool { return len(h.get("b")) == len(want) })
		if got := h.get("b"); got[first] != 1 {
			t.Fatalf("event %d that a was handling was not redelivered to b: %v", first, got)
		}
		if len(h.get("a")) != 0 {
			t.Fatalf("a finished handling while stalled: %v", h.get("a"))
		}
	})
}

// TestConsumerRetriesThenParks: a handler that keeps failing on one event
// does not hold up the others; the event is retried with backoff, parked
// after MaxAttempts with its error visible, and an admin can queue it again.
func TestConsumerRetriesThenParks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		svc, ch := newService(t, st)
		var mu sync.Mutex
		var poison int64
		attempts := 0
		healed := false
		var h handled
		if err := svc.AddConsumer(ctx, inbox.Consumer{Name: "automations", Types: []string{inbox.EventMessageCreated},
			Handle: func(ctx context.Context, e inbox.Event) error {
				mu.Lock()
				defer mu.Unlock()
				if poison == 0 {
					poison = e.ID
				}
				if e.ID == poison {
					attempts++
					if !healed {
						return errors.New("rule engine: unknown field")
					}
				}
				h.add("automations", e.ID)
				return nil
			}}); err != nil {
			t.Fatal(err)
		}
		opts := fastConsume("x")
		opts.MaxAttempts = 3
		go svc.RunConsumers(ctx, opts)
		for i := 0; i < 5; i++ {
			if _, err := svc.Ingest(ctx, msg(ch, fmt.Sprint("m-", i), fmt.Sprint("t-", i), "배송 문의")); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "the other events handled", func() bool { return len(h.get("automations")) == 4 })
		var parked []inbox.ParkedEvent
		waitFor(t, "the poison event parked", func() bool {
			var err error
			parked, err = svc.ParkedEvents(ctx, 10)
			return err == nil && len(parked) == 1
		})
		mu.Lock()
		if parked[0].EventID != poison || parked[0].Attempts != 3 || attempts != 3 || parked[0].LastError != "rule engine: unknown field" ||
			parked[0].Consumer != "automations" || parked[0].Type != inbox.EventMessageCreated || parked[0].TicketID == 0 {
			t.Fatalf("parked %+v after %d attempts (poison %d)", parked[0], attempts, poison)
		}
		healed = true
		mu.Unlock()
		if n, _ := svc.ParkedCount(ctx); n != 1 {
			t.Fatalf("parked count %d", n)
		}
		if err := svc.RetryParked(ctx, parked[0].ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the healed event handled", func() bool { return h.get("automations")[poison] == 1 })
		waitFor(t, "the delivery row gone", func() bool {
			n, _ := svc.ParkedCount(ctx)
			p, _ := svc.ParkedEvents(ctx, 10)
			return n == 0 && len(p) == 0
		})
		if err := svc.RetryParked(ctx, parked[0].ID); !errors.Is(err, inbox.ErrNotFound) {
			t.Fatalf("retrying a finished event: %v", err)
		}
	})
}

// TestCleanEventsKeepsWhatConsumersNeed: clean-up removes old events only
// once every consumer has passed them, and never an event still waiting
// for a retry.
func TestCleanEventsKeepsWhatConsumersNeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, ch := newService(t, st)
		if err := svc.AddConsumer(ctx, inbox.Consumer{Name: "slow", FromOldest: true, Handle: func(context.Context, inbox.Event) error { return nil }}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := svc.Ingest(ctx, msg(ch, fmt.Sprint("m-", i), "t", "문의")); err != nil {
				t.Fatal(err)
			}
		}
		total := len(storedEventIDs(t, st))
		later := inbox.ConsumeOptions{Now: func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }}
		if n, err := svc.CleanEvents(ctx, later); err != nil || n != 0 {
			t.Fatalf("cleaned %d events a consumer has not seen (err %v)", n, err)
		}
		// The consumer catches up; one event is waiting for a retry.
		ids := storedEventIDs(t, st)
		var last store.Event
		if err := st.DB.Order("xid DESC, id DESC").Take(&last).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.DB.Model(&store.EventConsumer{}).Where("name = ?", "slow").
			Updates(map[string]any{"cursor_xid": last.XID, "cursor_id": last.ID}).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.DB.Create(&store.EventDelivery{Consumer: "slow", EventID: ids[0], Status: store.EventRetry,
			NextAttemptAt: time.Now(), CreatedAt: time.Now(), UpdatedAt: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		if n, err := svc.CleanEvents(ctx, inbox.ConsumeOptions{}); err != nil || n != 0 {
			t.Fatalf("cleaned %d recent events (err %v)", n, err)
		}
		if n, err := svc.CleanEvents(ctx, later); err != nil || int(n) != total-1 {
			t.Fatalf("cleaned %d of %d events, want all but the one awaiting a retry (err %v)", n, total, err)
		}
		if left := storedEventIDs(t, st); len(left) != 1 || left[0] != ids[0] {
			t.Fatalf("left %v", left)
		}
	})
}

// TestTicketUpdateEventIsTyped: an update publishes which fields changed,
// old and new, and the durable copy says the same.
func TestTicketUpdateEventIsTyped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		svc, ch := newService(t, st)
		kim := store.Agent{Email: "kim@example.com", Name: "Kim", Role: store.RoleAgent, Active: true}
		if err := st.DB.Create(&kim).Error; err != nil {
			t.Fatal(err)
		}
		r, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "hello"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateTicket(ctx, r.TicketID, kim.ID, inbox.TicketPatch{AddTags: []string{"vip"}}); err != nil {
			t.Fatal(err)
		}
		events := svc.Bus().Subscribe(ctx, 8, func(e inbox.Event) bool { return e.Type == inbox.EventTicketUpdated })
		resolved, high := store.StatusResolved, store.PriorityHigh
		if _, err := svc.UpdateTicket(ctx, r.TicketID, kim.ID, inbox.TicketPatch{Status: &resolved, Priority: &high, AssigneeID: &kim.ID,
			Tags: &[]string{"refund", "VIP"}}); err != nil {
			t.Fatal(err)
		}
		e := <-events
		c := e.Changes
		if c == nil || c.Status == nil || c.Status.Old != store.StatusOpen || c.Status.New != store.StatusResolved ||
			c.Priority == nil || c.Priority.Old != store.PriorityNormal || c.Priority.New != high ||
			c.Assignee == nil || c.Assignee.Old != nil || c.Assignee.New == nil || c.Assignee.New.ID != kim.ID || c.Assignee.New.Name != "Kim" ||
			c.Tags == nil || fmt.Sprint(c.Tags.Old) != "[vip]" || fmt.Sprint(c.Tags.New) != "[refund vip]" || c.Team != nil || e.ID == 0 {
			t.Fatalf("event %+v changes %+v", e, c)
		}
		if got := c.Fields(); fmt.Sprint(got) != "[status priority assignee tags]" {
			t.Fatalf("fields %v", got)
		}
		var row store.Event
		if err := st.DB.Take(&row, e.ID).Error; err != nil || row.Type != inbox.EventTicketUpdated || row.TicketID != r.TicketID {
			t.Fatalf("stored %+v: %v", row, err)
		}
		// The system message keeps the typed changes for screens.
		ms, _ := svc.Messages(ctx, r.TicketID)
		sys := ms[len(ms)-1]
		if got := inbox.ChangesFromMeta(sys.Meta); got == nil || got.Status == nil || got.Status.New != resolved || sys.Text == "" {
			t.Fatalf("system message %q %v", sys.Text, sys.Meta)
		}
	})
}

// TestConsumerSeesLateCommits (PostgreSQL): a transaction that took its
// event id first but commits last is not skipped by a consumer that has
// seen later ids: events wait until every older transaction has ended.
func TestConsumerSeesLateCommits(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, ch := newService(t, st)
	var h handled
	if err := svc.AddConsumer(ctx, inbox.Consumer{Name: "late", Handle: func(ctx context.Context, e inbox.Event) error {
		h.add("late", e.ID)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	go svc.RunConsumers(ctx, fastConsume("x"))
	slow := st.DB.Begin()
	defer slow.Rollback()
	var early int64
	if err := slow.Raw(`INSERT INTO events (type, ticket_id, payload, created_at) VALUES (?, 0, ?, now()) RETURNING id`,
		inbox.EventContactUpdated, `{"type":"contact.updated","contact_id":1}`).Row().Scan(&early); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "안녕하세요")); err != nil {
		t.Fatal(err)
	}
	later := storedEventIDs(t, st) // the slow transaction's row is not visible yet
	for _, id := range later {
		if id < early {
			t.Fatalf("event %d is older than the slow one (%d): the test did not interleave", id, early)
		}
	}
	// Let the consumer go round twice after the later events committed.
	for i := 0; i < 2; i++ {
		var before store.EventConsumer
		st.DB.Take(&before, "name = ?", "late")
		waitFor(t, "a consumer round", func() bool {
			var now store.EventConsumer
			return st.DB.Take(&now, "name = ?", "late").Error == nil && now.UpdatedAt.After(before.UpdatedAt)
		})
	}
	if got := h.get("late"); len(got) != 0 {
		t.Fatalf("handled %v while an older transaction was still open", got)
	}
	if err := slow.Commit().Error; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every event handled", func() bool { return len(h.get("late")) == len(later)+1 })
	if h.get("late")[early] != 1 {
		t.Fatalf("the late commit was skipped: %v", h.get("late"))
	}
}

// TestConsumerIgnoresOtherDatabases: a transaction left open in another
// database of the same PostgreSQL server (a shared server, another app) holds
// back the cluster-wide snapshot xmin but can write no events here; consumers
// go on delivering while it stays open.
func TestConsumerIgnoresOtherDatabases(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	cfg, err := pgx.ParseConfig(os.Getenv(storetest.EnvPostgres))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = "postgres"
	if cfg.Database == st.DB.Migrator().CurrentDatabase() {
		cfg.Database = "template1"
	}
	other := stdlib.OpenDB(*cfg)
	defer other.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	idle, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Skipf("no second database to hold a transaction in: %v", err)
	}
	defer idle.Rollback()
	var xid int64
	if err := idle.QueryRowContext(ctx, "SELECT pg_current_xact_id()::text::bigint").Scan(&xid); err != nil {
		t.Fatal(err)
	}
	svc, ch := newService(t, st)
	var h handled
	if err := svc.AddConsumer(ctx, inbox.Consumer{Name: "shared", Handle: func(ctx context.Context, e inbox.Event) error {
		h.add("shared", e.ID)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	go svc.RunConsumers(ctx, fastConsume("x"))
	if _, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "다른 데이터베이스")); err != nil {
		t.Fatal(err)
	}
	want := len(storedEventIDs(t, st))
	if want == 0 {
		t.Fatal("ingest wrote no durable events")
	}
	waitFor(t, "events handled while another database's transaction is open", func() bool {
		return len(h.get("shared")) == want
	})
	var still int
	if err := idle.QueryRowContext(ctx, "SELECT 1").Scan(&still); err != nil {
		t.Fatalf("the other database's transaction ended early: %v", err)
	}
}
