package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// BotMessage is one message the bot posts on behalf of a caller outside
// inbox (the generative answers of package assist).
type BotMessage struct {
	TicketID  int64
	ChannelID int64
	Text      string
	Meta      map[string]any
	// Note posts a private note for the agents instead of a customer
	// message (no outbox row).
	Note bool
}

// WantsPerson reports whether a customer's message asks for a person
// ("사람과 상담", "talk to a human", ...), as the flow bot reads it.
func WantsPerson(text string) bool { return wantsPerson(text) }

// BotPost says how PostBotMessages posts.
type BotPost struct {
	// Guard runs first in the transaction, with the ticket locked, and
	// decides: false posts nothing (the turn was taken already, an agent
	// answered meanwhile). It may write its own rows in tx. Required.
	Guard func(tx *gorm.DB, t *store.Ticket) (bool, error)
	// After learns the ids of the messages, once they exist (nil: none).
	After func(tx *gorm.DB, ids []int64) error
	// HandoffTeamID files the ticket to that team, in the same transaction,
	// when it has no team yet: the bot hands off and routing assigns it as
	// after a flow's department button (0, or a team since deleted: no
	// change).
	HandoffTeamID int64
}

// PostBotMessages posts msgs (author kind bot; customer messages queued
// through the outbox like a reply) in one transaction, guarded and routed
// as p says. It reports whether anything was posted.
func (s *Service) PostBotMessages(ctx context.Context, ticketID int64, msgs []BotMessage, p BotPost) (bool, error) {
	for i := range msgs {
		text, err := plaintext.Text(msgs[i].Text, MaxTextBytes)
		if err != nil || strings.TrimSpace(text) == "" {
			return false, invalidAs("message_empty", nil, "a bot message needs text")
		}
		msgs[i].Text = text
	}
	var events []Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		events = nil
		t, err := lockTicket(tx, ticketID)
		if err != nil {
			return err
		}
		if ok, err := p.Guard(tx, t); err != nil || !ok {
			return err
		}
		ts := now()
		var ids []int64
		outbound := 0
		for i, bm := range msgs {
			at := ts.Add(time.Duration(i) * time.Microsecond) // keeps the order in the thread
			meta := store.JSONMap{}
			for k, v := range bm.Meta {
				meta[k] = v
			}
			m := &store.Message{TicketID: t.ID, Direction: store.DirOutbound, AuthorType: store.AuthorBot, ChannelID: bm.ChannelID, Text: bm.Text,
				Meta: meta, DeliveryStatus: store.DeliveryQueued, CreatedAt: at}
			if bm.Note {
				m.Direction, m.DeliveryStatus = store.DirNote, ""
			}
			if err := tx.Create(m).Error; err != nil {
				return fmt.Errorf("create bot message: %w", err)
			}
			ids = append(ids, m.ID)
			if !bm.Note {
				outbound++
				mid := m.ID
				if err := tx.Create(&store.Outbox{ChannelID: bm.ChannelID, MessageID: &mid, TicketID: t.ID, Purpose: store.PurposeReply,
					Payload: store.JSONMap{"bot": true}, Status: store.OutboxPending, NextAttemptAt: at}).Error; err != nil {
					return fmt.Errorf("queue bot message: %w", err)
				}
			}
			events = append(events, Event{Type: EventMessageCreated, TicketID: t.ID, MessageID: m.ID, ChannelID: bm.ChannelID, ContactID: t.ContactID,
				Message: &MessageChanges{Direction: m.Direction}})
		}
		if outbound > 0 {
			if err := tx.Model(&store.Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
				"message_count": gorm.Expr("message_count + ?", outbound), "last_message_at": ts, "updated_at": ts}).Error; err != nil {
				return err
			}
		}
		if p.After != nil {
			if err := p.After(tx, ids); err != nil {
				return err
			}
		}
		if err := s.recordEvents(tx, events); err != nil {
			return err
		}
		if team := p.HandoffTeamID; team != 0 && t.TeamID == nil {
			evs, err := s.updateTicketTx(tx, t.ID, 0, TicketPatch{TeamID: &team}, nil)
			if err != nil && !errors.Is(err, ErrInvalid) { // ErrInvalid: the team is gone
				return err
			}
			events = append(events, evs...)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("inbox: bot messages on ticket %d: %w", ticketID, err)
	}
	s.publish(events...)
	return len(events) > 0, nil
}
