package inbox_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestMergeWhileMessagesArrive is issue 10 item 9: a ticket merged while
// messages keep arriving on its thread must not keep any of them; each lands
// in the ticket it was merged into. Fifteen merges per store.
func TestMergeWhileMessagesArrive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		for round := range 15 {
			thread := fmt.Sprintf("a-%d", round)
			from, err := svc.Ingest(ctx, msg(ch, thread+"-first", thread, "first"))
			if err != nil {
				t.Fatal(err)
			}
			into, err := svc.Ingest(ctx, msg(ch, fmt.Sprintf("b-%d", round), fmt.Sprintf("b-%d", round), "other"))
			if err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			progress := make(chan struct{}, 1)
			var sent atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := svc.Ingest(ctx, msg(ch, fmt.Sprintf("%s-%d-%d", thread, w, i), thread, "more")); err != nil {
							errs <- err
							return
						}
						sent.Add(1)
						select {
						case progress <- struct{}{}:
						default:
						}
					}
				}()
			}
			for range 3 {
				<-progress // messages are arriving
			}
			if err := svc.MergeTickets(ctx, into.TicketID, from.TicketID, 0); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				<-progress // and keep arriving after the merge
			}
			close(stop)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			var left, moved int64
			st.DB.Model(&store.Message{}).Where("ticket_id = ?", from.TicketID).Count(&left)
			st.DB.Model(&store.Message{}).Where("ticket_id = ? AND external_id LIKE ?", into.TicketID, thread+"-%").Count(&moved)
			if left != 0 || moved != sent.Load()+1 {
				t.Fatalf("round %d: %d messages in the merged-away ticket, %d of %d in its target", round, left, moved, sent.Load()+1)
			}
			var tk store.Ticket
			st.DB.Take(&tk, into.TicketID)
			if tk.MessageCount != int(moved)+1 { // and its own message
				t.Fatalf("round %d: message_count = %d, want %d", round, tk.MessageCount, moved+1)
			}
		}
	})
}
