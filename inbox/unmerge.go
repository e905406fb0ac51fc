package inbox

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// UnmergeTicket undoes the merge of ticket from: the messages and thread keys
// first written in it (or in tickets merged into it before) go back to it,
// wherever later merges took them, with their deliveries; it reopens, and
// both tickets record the split. Messages written after the merge stay in
// the ticket they were written in. What each customer sees follows at once
// (customer.go reads where each message is now).
func (s *Service) UnmergeTicket(ctx context.Context, from, actorID int64) error {
	var events []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		src, err := lockTicket(tx, from)
		if err != nil {
			return err
		}
		if src.MergedInto == nil {
			return invalidAs("not_merged", map[string]any{"number": src.Number()}, "ticket %d was not merged", src.Number())
		}
		into := *src.MergedInto
		var keys []string
		if err := tx.Model(&store.ThreadKey{}).Where("ticket_id = ? OR origin_ticket_id = ?", into, from).Pluck("key", &keys).Error; err != nil {
			return fmt.Errorf("thread keys: %w", err)
		}
		if err := s.lockKeys(tx, keys...); err != nil {
			return err
		}
		dst, err := lockTicket(tx, into)
		if err != nil {
			return err
		}
		if err := s.unmergeTx(tx, src, dst, actorID); err != nil {
			return err
		}
		events = []Event{
			{Type: EventTicketUpdated, TicketID: into, AgentID: actorID, Changes: &TicketChanges{Unmerged: from}},
			{Type: EventTicketUpdated, TicketID: from, AgentID: actorID, Changes: &TicketChanges{UnmergedFrom: into,
				Status: &Change[string]{Old: src.Status, New: store.StatusOpen}}},
		}
		return s.recordEvents(tx, events)
	})
	if err != nil {
		return fmt.Errorf("inbox: unmerge ticket %d: %w", from, err)
	}
	s.publish(events...)
	return nil
}

// unmergeTx moves src's own rows back from wherever they are; src and dst
// (the ticket src was merged into) are locked.
func (s *Service) unmergeTx(tx *gorm.DB, src, dst *store.Ticket, actorID int64) error {
	// src's family: src and every ticket merged into it before it was
	// merged away (their rows carry their own origins and come back too).
	family := []int64{src.ID}
	for next := family; len(next) > 0; {
		var ids []int64
		if err := tx.Model(&store.Ticket{}).Where("merged_into IN ? AND id <> ?", next, src.ID).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("merged tickets: %w", err)
		}
		next = nil
		for _, id := range ids {
			if !slices.Contains(family, id) {
				family = append(family, id)
				next = append(next, id)
			}
		}
	}
	var moved []store.Message
	if err := tx.Select("id", "ticket_id", "text").Where("origin_ticket_id IN ?", family).Find(&moved).Error; err != nil {
		return fmt.Errorf("merged messages: %w", err)
	}
	holders := []int64{dst.ID}
	for _, m := range moved {
		if !slices.Contains(holders, m.TicketID) {
			holders = append(holders, m.TicketID)
		}
	}
	ts := now()
	for _, q := range []string{
		"UPDATE messages SET ticket_id = ?, origin_ticket_id = CASE WHEN origin_ticket_id = ? THEN NULL ELSE origin_ticket_id END WHERE origin_ticket_id IN ?",
		"UPDATE thread_keys SET ticket_id = ?, origin_ticket_id = CASE WHEN origin_ticket_id = ? THEN NULL ELSE origin_ticket_id END WHERE origin_ticket_id IN ?",
	} {
		if err := tx.Exec(q, src.ID, src.ID, family).Error; err != nil {
			return err
		}
	}
	if err := tx.Exec("UPDATE outboxes SET ticket_id = ? WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = ?)", src.ID, src.ID).Error; err != nil {
		return err
	}
	for _, m := range moved {
		if err := s.st.IndexMessage(tx, src.ID, m.ID, m.Text); err != nil {
			return err
		}
	}
	var contact store.Contact
	if err := tx.Select("id", "name", "email").Take(&contact, src.ContactID).Error; err != nil {
		return notFound(err)
	}
	if err := s.st.IndexTicket(tx, src.ID, src.Subject, contact.Name, contact.Email); err != nil {
		return err
	}
	if err := tx.Model(&store.Ticket{}).Where("id = ?", src.ID).Updates(map[string]any{
		"status": store.StatusOpen, "merged_into": nil, "version": gorm.Expr("version + 1"), "updated_at": ts,
	}).Error; err != nil {
		return err
	}
	if err := tx.Create(&store.Message{TicketID: src.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem, AuthorID: actorID,
		ChannelID: src.LastChannelID, Text: fmt.Sprintf("unmerged from #%d", dst.Number()), Meta: store.JSONMap{"unmerged_from": dst.ID}, CreatedAt: ts}).Error; err != nil {
		return err
	}
	if err := tx.Create(&store.Message{TicketID: dst.ID, Direction: store.DirSystem, AuthorType: store.AuthorSystem, AuthorID: actorID,
		ChannelID: dst.LastChannelID, Text: fmt.Sprintf("unmerged #%d", src.Number()), Meta: store.JSONMap{"unmerged_ticket": src.ID}, CreatedAt: ts}).Error; err != nil {
		return err
	}
	for _, id := range append(holders, src.ID) {
		if err := recount(tx, id); err != nil {
			return err
		}
	}
	return nil
}

// recount sets a ticket's message count and last message time from its rows.
func recount(tx *gorm.DB, ticketID int64) error {
	return tx.Exec(`UPDATE tickets SET message_count = (SELECT COUNT(*) FROM messages WHERE ticket_id = ? AND direction <> ?),
		last_message_at = COALESCE((SELECT MAX(created_at) FROM messages WHERE ticket_id = ? AND direction IN ?), last_message_at),
		version = version + 1 WHERE id = ?`, ticketID, store.DirSystem, ticketID, []string{store.DirInbound, store.DirOutbound}, ticketID).Error
}
