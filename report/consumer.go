package report

import (
	"context"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// StatusConsumerName names the durable consumer of status changes.
const StatusConsumerName = "report.status"

// StatusConsumer is the durable consumer that keeps every ticket status
// change for reports (resolutions, reopenings, backlog) and the tickets'
// report facts (facts.go): after a new ticket, a change of status,
// priority, assignee or team, or a message on a ticket not yet answered it
// recomputes the ticket's facts. It is idempotent: a change is stored once
// per event id, and facts are recomputed, not incremented.
func StatusConsumer(st *store.Store) inbox.Consumer {
	return inbox.Consumer{Name: StatusConsumerName, Types: []string{inbox.EventTicketCreated, inbox.EventTicketUpdated, inbox.EventMessageCreated},
		Handle: func(ctx context.Context, e inbox.Event) error {
			if e.Type == inbox.EventTicketUpdated && e.Changes != nil && e.Changes.Status != nil && e.TicketID != 0 {
				id := e.ID
				if err := st.RecordStatusChange(ctx, &store.StatusChange{EventID: &id, TicketID: e.TicketID,
					OldStatus: e.Changes.Status.Old, NewStatus: e.Changes.Status.New, ChangedAt: e.At}); err != nil {
					return err
				}
			}
			ok, err := factsEvent(ctx, st, e)
			if err != nil || !ok {
				return err
			}
			return RefreshTicket(ctx, st, e.TicketID)
		}}
}
