package inbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// A visitor who leaves in the middle of a flow must not hold the ticket
// from auto-assignment for ever. Every held ticket has one durable job
// (JobBotHoldTimeout, key "ticket:<id>"): written with the hold, moved to
// the flow's hold time (store.BotFlow.HoldMinutes, DefaultBotHoldTimeout
// unless an admin changed it) after each customer message the bot acts on,
// in the same transaction. A changed hold time applies from the next
// message on. When it comes due the bot lets the ticket go as a handoff
// does (state handed_off, a note with what it collected, bot.released, so
// routing assigns it). A ticket already handed off makes the job a no-op.

// JobBotHoldTimeout releases a ticket the bot held when the visitor stopped
// answering.
const JobBotHoldTimeout = "bot.hold_timeout"

// DefaultBotHoldTimeout is how long the bot holds a ticket without a
// customer message before it hands off by itself, unless the flow says
// otherwise (MinBotHoldMinutes to MaxBotHoldMinutes).
const DefaultBotHoldTimeout = 10 * time.Minute

// Bounds of a flow's hold time, in minutes.
const (
	MinBotHoldMinutes = 1
	MaxBotHoldMinutes = 24 * 60
)

// botHold is flow f's hold time.
func botHold(f *store.BotFlow) time.Duration {
	if f == nil || f.HoldMinutes <= 0 {
		return DefaultBotHoldTimeout
	}
	return time.Duration(f.HoldMinutes) * time.Minute
}

func botTimeoutKey(ticketID int64) string { return "ticket:" + strconv.FormatInt(ticketID, 10) }

type botTimeoutJob struct {
	TicketID int64 `json:"ticket_id"`
}

// EnableBotHoldTimeout registers JobBotHoldTimeout on sched; from then on
// every bot hold is bounded by its flow's hold time. Call it once, before
// sched.Run and before tickets arrive.
func (s *Service) EnableBotHoldTimeout(sched *jobs.Scheduler) {
	s.botSched = sched
	sched.Handle(JobBotHoldTimeout, s.runBotTimeout)
}

// moveBotTimeoutTx (re)sets ticketID's hold timeout to hold from now,
// inside tx.
func (s *Service) moveBotTimeoutTx(tx *gorm.DB, ticketID int64, hold time.Duration) error {
	if s.botSched == nil {
		return nil
	}
	_, err := s.botSched.MoveTx(tx, jobs.Spec{Kind: JobBotHoldTimeout, Key: botTimeoutKey(ticketID),
		Due: s.botSched.Now().Add(hold), Payload: botTimeoutJob{TicketID: ticketID}})
	return err
}

func (s *Service) runBotTimeout(ctx context.Context, j *jobs.Job) error {
	var p botTimeoutJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	var events []Event
	var later time.Time
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		events, later = nil, time.Time{}
		t, err := lockTicket(tx, p.TicketID)
		if errors.Is(err, ErrNotFound) {
			return j.Done(tx)
		}
		if err != nil {
			return err
		}
		// A customer message moved the job while it was claimed: wait on.
		var due []time.Time
		if err := tx.Model(&store.Job{}).Where("id = ?", j.ID).Pluck("due_at", &due).Error; err != nil {
			return err
		}
		if len(due) == 1 && due[0].After(j.Due) {
			later = due[0]
			return nil
		}
		var st store.BotState
		if err := tx.Take(&st, t.ID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return j.Done(tx)
			}
			return fmt.Errorf("load bot state: %w", err)
		}
		if st.Status == store.BotHandedOff {
			return j.Done(tx) // handed off already: nothing to let go
		}
		var flows []store.BotFlow
		if err := tx.Where("id = ?", st.FlowID).Limit(1).Find(&flows).Error; err != nil {
			return fmt.Errorf("load bot flow: %w", err)
		}
		hold := DefaultBotHoldTimeout
		if len(flows) == 1 {
			hold = botHold(&flows[0])
		}
		ts := now()
		if err := tx.Model(&store.BotState{}).Where("ticket_id = ?", t.ID).Updates(map[string]any{
			"status": store.BotHandedOff, "updated_at": ts}).Error; err != nil {
			return fmt.Errorf("release bot state: %w", err)
		}
		note := &store.Message{TicketID: t.ID, Direction: store.DirNote, AuthorType: store.AuthorBot, ChannelID: t.LastChannelID,
			Text: botNote(st.Answers) + "\n(응답 없음 — no answer for " + hold.String() + ")",
			Meta: store.JSONMap{"bot_answers": st.Answers, "bot_timeout": true}, CreatedAt: ts}
		if err := tx.Create(note).Error; err != nil {
			return fmt.Errorf("create bot note: %w", err)
		}
		events = []Event{
			{Type: EventBotReleased, TicketID: t.ID, ChannelID: t.LastChannelID},
			{Type: EventMessageCreated, TicketID: t.ID, MessageID: note.ID, ChannelID: t.LastChannelID, Message: &MessageChanges{Direction: store.DirNote}},
		}
		if err := s.recordEvents(tx, events); err != nil {
			return err
		}
		return j.Done(tx)
	})
	if err != nil {
		events = nil
		return fmt.Errorf("inbox: bot hold timeout of ticket %d: %w", p.TicketID, err)
	}
	if !later.IsZero() {
		return jobs.Postpone(later)
	}
	s.publish(events...)
	return nil
}
