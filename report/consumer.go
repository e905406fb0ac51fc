package report

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// StatusConsumerName names the durable consumer of status changes.
const StatusConsumerName = "report.status"

// StatusConsumer is the durable consumer that keeps every ticket status
// change for reports (resolutions, reopenings, backlog) and the tickets'
// report facts (facts.go): after a new ticket, a change of status,
// priority, assignee or team, or a message on a ticket not yet answered it
// recomputes the ticket's facts, and it counts the ticket's messages per
// hour again where they changed (facts.go). It is idempotent: a change is stored once
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
			if err := ticketMessages(ctx, st, e); err != nil {
				return err
			}
			ok, err := factsEvent(ctx, st, e)
			if err != nil || !ok {
				return err
			}
			return RefreshTicket(ctx, st, e.TicketID)
		}}
}

// ticketMessages keeps report_ticket_message_hours: a new message's hour
// of its ticket is counted again, and every hour of a ticket whose
// messages a merge or unmerge moved.
func ticketMessages(ctx context.Context, st *store.Store, e inbox.Event) error {
	switch {
	case e.Type == inbox.EventMessageCreated && e.MessageID != 0:
		var m store.Message
		err := st.DB.WithContext(ctx).Select("id", "ticket_id", "created_at").Take(&m, e.MessageID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("report: message %d: %w", e.MessageID, err)
		}
		return recountTicketMessages(ctx, st, m.TicketID, quarter(m.CreatedAt)/4)
	case e.Type == inbox.EventTicketUpdated && e.TicketID != 0 && e.Changes != nil &&
		(e.Changes.MergedFrom != 0 || e.Changes.MergedInto != 0 || e.Changes.Unmerged != 0 || e.Changes.UnmergedFrom != 0):
		return recountTicketMessages(ctx, st, e.TicketID, -1)
	}
	return nil
}
