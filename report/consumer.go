package report

import (
	"context"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// StatusConsumerName names the durable consumer of status changes.
const StatusConsumerName = "report.status"

// StatusConsumer is the durable consumer that keeps every ticket status
// change for reports (resolutions, reopenings, backlog). It is idempotent:
// a change is stored once per event id.
func StatusConsumer(st *store.Store) inbox.Consumer {
	return inbox.Consumer{Name: StatusConsumerName, Types: []string{inbox.EventTicketUpdated}, Handle: func(ctx context.Context, e inbox.Event) error {
		if e.Changes == nil || e.Changes.Status == nil || e.TicketID == 0 {
			return nil
		}
		id := e.ID
		return st.RecordStatusChange(ctx, &store.StatusChange{EventID: &id, TicketID: e.TicketID,
			OldStatus: e.Changes.Status.Old, NewStatus: e.Changes.Status.New, ChangedAt: e.At})
	}}
}
