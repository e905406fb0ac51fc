package inbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// fakeNotifier is a chat service that is down until up is set.
type fakeNotifier struct {
	mu       sync.Mutex
	up       bool
	attempts []time.Time
	sent     []*inbox.Notification
}

func (f *fakeNotifier) Notify(ctx context.Context, n *inbox.Notification) (inbox.ExternalRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts = append(f.attempts, time.Now())
	if !f.up {
		return inbox.ExternalRef{}, errors.New("slack: 503 service unavailable")
	}
	f.sent = append(f.sent, n)
	return inbox.ExternalRef{ID: "ts"}, nil
}

// Send makes fakeNotifier a connector; a chat channel's notifications are
// what these tests follow.
func (f *fakeNotifier) Send(context.Context, *inbox.Outbound) (inbox.ExternalRef, error) {
	return inbox.ExternalRef{}, nil
}

func (f *fakeNotifier) state() (attempts []time.Time, sent []*inbox.Notification) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.attempts...), append([]*inbox.Notification(nil), f.sent...)
}

func notifyRows(t *testing.T, st *store.Store) []store.Outbox {
	t.Helper()
	var rows []store.Outbox
	if err := st.DB.Where("purpose = ?", store.PurposeNotify).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestNotificationsRetryForADay: during a chat-service outage a
// notification is retried with a backoff capped at ten minutes for 24 hours
// (not ten attempts, about 17 minutes, as before), and only then is marked
// failed; an admin can queue it again by its outbox id. The day passes on
// synctest's clock.
func TestNotificationsRetryForADay(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := storetest.Open(t, d)
				svc, ch := newService(t, st)
				slack := store.Channel{Kind: "slack", Name: "alerts", PublicKey: inbox.NewPublicID(), Enabled: true}
				if err := st.DB.Create(&slack).Error; err != nil {
					t.Fatal(err)
				}
				svc.SetNotifiers([]int64{slack.ID})
				fn := &fakeNotifier{}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() {
					defer close(done)
					svc.RunDispatcher(ctx, senders{slack.ID: fn}, inbox.DispatchOptions{Poll: time.Minute})
				}()
				start := time.Now()
				if _, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "결제가 안 돼요")); err != nil {
					t.Fatal(err)
				}
				time.Sleep(23*time.Hour + 50*time.Minute)
				synctest.Wait()
				if rows := notifyRows(t, st); len(rows) != 1 || rows[0].Status != store.OutboxPending {
					t.Fatalf("after 23h50m the notification is %s, want still pending", rows[0].Status)
				}
				time.Sleep(30 * time.Minute)
				synctest.Wait()
				rows := notifyRows(t, st)
				if rows[0].Status != store.OutboxFailed || rows[0].LastError == "" {
					t.Fatalf("after 24h20m the notification is %s, want failed with its reason", rows[0].Status)
				}
				attempts, _ := fn.state()
				if len(attempts) < 140 {
					t.Fatalf("%d attempts in a day", len(attempts))
				}
				for i := 1; i < len(attempts); i++ {
					if gap := attempts[i].Sub(attempts[i-1]); gap > 12*time.Minute {
						t.Fatalf("attempt %d came %s after the previous one (cap 10m + jitter + poll)", i, gap)
					}
				}
				if last := attempts[len(attempts)-1].Sub(start); last < 24*time.Hour {
					t.Fatalf("last attempt %s after the first, want at least 24h", last)
				}
				// An admin sees it and retries it once Slack is back.
				failed, err := svc.FailedDeliveries(ctx, 10)
				if err != nil || len(failed) != 1 || failed[0].ID != rows[0].ID || failed[0].Purpose != store.PurposeNotify ||
					failed[0].ChannelName != "alerts" || failed[0].Event != inbox.EventTicketCreated || failed[0].Number == 0 {
					t.Fatalf("failed deliveries %+v (%v)", failed, err)
				}
				fn.mu.Lock()
				fn.up = true
				fn.mu.Unlock()
				if err := svc.RetryOutbox(ctx, rows[0].ID); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if _, sent := fn.state(); len(sent) != 1 || sent[0].Event.Type != inbox.EventTicketCreated {
					t.Fatalf("sent %d after the retry", len(sent))
				}
				if err := svc.RetryOutbox(ctx, rows[0].ID); !errors.Is(err, inbox.ErrInvalid) {
					t.Fatalf("retrying a sent row: %v", err)
				}
				if failed, _ := svc.FailedDeliveries(ctx, 10); len(failed) != 0 {
					t.Fatalf("still listed: %+v", failed)
				}
				cancel()
				<-done
			})
		})
	}
}

// TestCardUpdatesCollapse: updates to one ticket queued while the chat
// service is down are sent as one card update, the newest, when it is back.
func TestCardUpdatesCollapse(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := storetest.Open(t, d)
				svc, ch := newService(t, st)
				slack := store.Channel{Kind: "slack", Name: "alerts", PublicKey: inbox.NewPublicID(), Enabled: true}
				if err := st.DB.Create(&slack).Error; err != nil {
					t.Fatal(err)
				}
				svc.SetNotifiers([]int64{slack.ID})
				fn := &fakeNotifier{}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() {
					defer close(done)
					svc.RunDispatcher(ctx, senders{slack.ID: fn}, inbox.DispatchOptions{})
				}()
				r, err := svc.Ingest(ctx, msg(ch, "m-1", "t-1", "환불 문의"))
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range []string{store.PriorityHigh, store.PriorityUrgent, store.PriorityLow, store.PriorityHigh} {
					if _, err := svc.UpdateTicket(ctx, r.TicketID, 0, inbox.TicketPatch{Priority: &p}); err != nil {
						t.Fatal(err)
					}
					time.Sleep(time.Minute)
				}
				time.Sleep(2 * time.Hour)
				synctest.Wait()
				fn.mu.Lock()
				fn.up = true
				fn.mu.Unlock()
				time.Sleep(15 * time.Minute) // the longest backoff, so every row comes due
				synctest.Wait()
				_, sent := fn.state()
				var updates int
				for _, n := range sent {
					if n.Event.Type == inbox.EventTicketUpdated {
						updates++
						if n.Priority != store.PriorityHigh || n.Event.Changes == nil || n.Event.Changes.Priority == nil {
							t.Fatalf("the card update shows priority %q (changes %+v)", n.Priority, n.Event.Changes)
						}
					}
				}
				if updates != 1 || len(sent) != 2 {
					t.Fatalf("sent %d notifications with %d card updates; want the creation and one update", len(sent), updates)
				}
				var superseded int
				for _, row := range notifyRows(t, st) {
					switch row.Status {
					case store.OutboxSuperseded:
						superseded++
					case store.OutboxSent:
					default:
						t.Fatalf("row %d is %s", row.ID, row.Status)
					}
				}
				if superseded != 3 {
					t.Fatalf("%d rows superseded, want 3", superseded)
				}
				cancel()
				<-done
			})
		})
	}
}
