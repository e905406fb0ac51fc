package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// The ticket reports (volume, times, backlog, the heatmap, and every
// breakdown by ticket) read per-ticket facts instead of tickets: one narrow
// row per ticket (report_tickets) and one per resolution or reopening
// (report_status_facts), each carrying the ticket's channel, team,
// assignee and priority and the delays the times report takes percentiles
// of, with covering indexes on the time columns. A report then reads only
// index pages, and no timestamp is parsed for a delay. The rows are not
// counters: each is recomputed from tickets and ticket_status_changes, so
// recomputing twice is harmless and a recomputation repairs whatever came
// before. The durable consumer report.status recomputes a ticket's rows
// when an event may have changed them; the first report after the
// migration builds them all once (report_state remembers it).

// factsState names the report_state row of the first full build.
const factsState = "ticket_facts"

// Kinds of status facts.
const (
	kindResolve = "resolve"
	kindReopen  = "reopen"
)

type ticketFact struct {
	TicketID        int64 `gorm:"primaryKey;autoIncrement:false"`
	CreatedAt       time.Time
	CreatedQ        int64
	FirstResponseAt *time.Time
	FirstResponseQ  *int64
	FirstResponseS  *float64
	ChannelID       int64
	TeamID          *int64
	AssigneeID      *int64
	Priority        string
	Status          string
}

func (ticketFact) TableName() string { return "report_tickets" }

type statusFact struct {
	ChangeID   int64 `gorm:"primaryKey;autoIncrement:false"`
	TicketID   int64
	ChangedAt  time.Time
	ChangedQ   int64
	Kind       string
	OpenS      float64
	ChannelID  int64
	TeamID     *int64
	AssigneeID *int64
	Priority   string
}

func (statusFact) TableName() string { return "report_status_facts" }

type reportState struct {
	Name   string `gorm:"primaryKey"`
	DoneAt time.Time
}

func (reportState) TableName() string { return "report_state" }

// quarter is the quarter hour of t since the epoch (SlotSeconds slots).
func quarter(t time.Time) int64 {
	n := t.Unix()
	q := n / SlotSeconds
	if n%SlotSeconds < 0 {
		q--
	}
	return q
}

// factTicket is what the facts are computed from.
type factTicket struct {
	ID              int64
	CreatedAt       time.Time
	FirstResponseAt *time.Time
	ChannelID       int64
	TeamID          *int64
	AssigneeID      *int64
	Priority        string
	Status          string
}

const factTicketCols = "id, created_at, first_response_at, channel_id, team_id, assignee_id, priority, status"

// writeFacts replaces the facts of the tickets ids (those of them in ts
// exist) in tx.
func writeFacts(tx *gorm.DB, ids []int64, ts []factTicket) error {
	if len(ids) == 0 {
		return nil
	}
	var changes []store.StatusChange
	if err := tx.Where("ticket_id IN ?", ids).Order("id").Find(&changes).Error; err != nil {
		return fmt.Errorf("status changes: %w", err)
	}
	if err := tx.Where("ticket_id IN ?", ids).Delete(&statusFact{}).Error; err != nil {
		return fmt.Errorf("clear status facts: %w", err)
	}
	if err := tx.Where("ticket_id IN ?", ids).Delete(&ticketFact{}).Error; err != nil {
		return fmt.Errorf("clear ticket facts: %w", err)
	}
	byID := make(map[int64]*factTicket, len(ts))
	facts := make([]ticketFact, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		byID[t.ID] = t
		f := ticketFact{TicketID: t.ID, CreatedAt: t.CreatedAt.UTC(), CreatedQ: quarter(t.CreatedAt), ChannelID: t.ChannelID, TeamID: t.TeamID, AssigneeID: t.AssigneeID,
			Priority: t.Priority, Status: t.Status}
		if t.FirstResponseAt != nil {
			at := t.FirstResponseAt.UTC()
			d, q := at.Sub(t.CreatedAt).Seconds(), quarter(at)
			f.FirstResponseAt, f.FirstResponseQ, f.FirstResponseS = &at, &q, &d
		}
		facts = append(facts, f)
	}
	var sfs []statusFact
	for _, c := range changes {
		t := byID[c.TicketID]
		if t == nil {
			continue
		}
		kind := ""
		switch {
		case store.Done(c.NewStatus) && !store.Done(c.OldStatus):
			kind = kindResolve
		case store.Done(c.OldStatus) && !store.Done(c.NewStatus):
			kind = kindReopen
		default:
			continue
		}
		sfs = append(sfs, statusFact{ChangeID: c.ID, TicketID: c.TicketID, ChangedAt: c.ChangedAt.UTC(), ChangedQ: quarter(c.ChangedAt), Kind: kind,
			OpenS: c.ChangedAt.Sub(t.CreatedAt).Seconds(), ChannelID: t.ChannelID, TeamID: t.TeamID, AssigneeID: t.AssigneeID, Priority: t.Priority})
	}
	if len(facts) > 0 {
		if err := tx.CreateInBatches(&facts, 500).Error; err != nil {
			return fmt.Errorf("ticket facts: %w", err)
		}
	}
	if len(sfs) > 0 {
		if err := tx.CreateInBatches(&sfs, 500).Error; err != nil {
			return fmt.Errorf("status facts: %w", err)
		}
	}
	return nil
}

// RefreshTicket recomputes the report facts of one ticket.
func RefreshTicket(ctx context.Context, st *store.Store, ticketID int64) error {
	err := st.Tx(ctx, func(tx *gorm.DB) error {
		var ts []factTicket
		if err := tx.Model(&store.Ticket{}).Select(factTicketCols).Where("id = ?", ticketID).Scan(&ts).Error; err != nil {
			return fmt.Errorf("ticket: %w", err)
		}
		return writeFacts(tx, []int64{ticketID}, ts)
	})
	if err != nil {
		return fmt.Errorf("report: facts of ticket %d: %w", ticketID, err)
	}
	return nil
}

// RebuildFacts recomputes the facts of every ticket, in batches of their
// own transactions, counts every ticket's messages per hour again, and
// records the build.
func (s *Service) RebuildFacts(ctx context.Context) error {
	const batch = 2000
	for after := int64(0); ; {
		var ts []factTicket
		err := s.st.Tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Model(&store.Ticket{}).Select(factTicketCols).Where("id > ?", after).Order("id").Limit(batch).Scan(&ts).Error; err != nil {
				return fmt.Errorf("tickets: %w", err)
			}
			if len(ts) == 0 {
				// Facts of tickets no longer there.
				if err := tx.Where("ticket_id > ?", after).Delete(&statusFact{}).Error; err != nil {
					return err
				}
				return tx.Where("ticket_id > ?", after).Delete(&ticketFact{}).Error
			}
			last := ts[len(ts)-1].ID
			ids := make([]int64, 0, len(ts))
			for _, t := range ts {
				ids = append(ids, t.ID)
			}
			// Facts of ids between the tickets (none in practice: tickets
			// are not deleted) go too.
			if err := tx.Where("ticket_id > ? AND ticket_id <= ? AND ticket_id NOT IN ?", after, last, ids).Delete(&statusFact{}).Error; err != nil {
				return err
			}
			if err := tx.Where("ticket_id > ? AND ticket_id <= ? AND ticket_id NOT IN ?", after, last, ids).Delete(&ticketFact{}).Error; err != nil {
				return err
			}
			after = last
			return writeFacts(tx, ids, ts)
		})
		if err != nil {
			return fmt.Errorf("report: rebuild facts: %w", err)
		}
		if len(ts) == 0 {
			break
		}
	}
	if err := s.rebuildTicketMessages(ctx); err != nil {
		return err
	}
	err := s.st.DB.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoUpdates: clause.AssignmentColumns([]string{"done_at"})}).
		Create(&reportState{Name: factsState, DoneAt: time.Now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("report: record facts build: %w", err)
	}
	s.factsReady.Store(true)
	return nil
}

// Rebuild recomputes every rollup and fact from the tables (for data
// written around the inbox, as tests and imports do).
func (s *Service) Rebuild(ctx context.Context) error {
	if err := s.RebuildMessageHours(ctx); err != nil {
		return err
	}
	return s.RebuildFacts(ctx)
}

// EnsureFacts builds the facts once if they never were (an existing
// database after the migration). The server calls it at start, in the
// background, so the first report does not wait for the build; a report
// asked for before it is done waits for it (one build at a time per
// Service).
func (s *Service) EnsureFacts(ctx context.Context) error {
	return s.ensureFacts(ctx)
}

func (s *Service) ensureFacts(ctx context.Context) error {
	if s.factsReady.Load() {
		return nil
	}
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	if s.factsReady.Load() {
		return nil
	}
	var st reportState
	err := s.st.DB.WithContext(ctx).Take(&st, "name = ?", factsState).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return s.RebuildFacts(ctx)
	}
	if err != nil {
		return fmt.Errorf("report: facts state: %w", err)
	}
	s.factsReady.Store(true)
	return nil
}

// factsEvent reports whether e may have changed a ticket's facts: a new
// ticket, a status, priority, assignee or team change (or a ticket.updated
// that does not say), or a message on a ticket without a first response.
func factsEvent(ctx context.Context, st *store.Store, e inbox.Event) (bool, error) {
	if e.TicketID == 0 {
		return false, nil
	}
	switch e.Type {
	case inbox.EventTicketCreated:
		return true, nil
	case inbox.EventTicketUpdated:
		c := e.Changes
		return c == nil || c.Status != nil || c.Priority != nil || c.Assignee != nil || c.TeamID != nil || c.Team != nil ||
			c.MergedFrom != 0 || c.MergedInto != 0 || c.Unmerged != 0 || c.UnmergedFrom != 0, nil
	case inbox.EventMessageCreated:
		var n int64
		err := st.DB.WithContext(ctx).Model(&ticketFact{}).Where("ticket_id = ? AND first_response_at IS NOT NULL", e.TicketID).Count(&n).Error
		if err != nil {
			return false, fmt.Errorf("report: facts of ticket %d: %w", e.TicketID, err)
		}
		return n == 0, nil
	}
	return false, nil
}

// hourExpr is the SQL for a timestamp column's UTC hour since the epoch.
func hourExpr(dialect, col string) string {
	if dialect == store.Postgres {
		return "CAST(FLOOR(EXTRACT(EPOCH FROM " + col + ") / 3600) AS BIGINT)"
	}
	return "CAST(strftime('%s', substr(" + col + ", 1, 19)) AS INTEGER) / 3600"
}

// recountTicketMessages counts the messages of a ticket again per hour: of
// the one hour given, or of every hour (hour < 0).
func recountTicketMessages(ctx context.Context, st *store.Store, ticketID, hour int64) error {
	err := st.Tx(ctx, func(tx *gorm.DB) error {
		del := tx.Where("ticket_id = ?", ticketID)
		cond, args := "m.ticket_id = ?", []any{ticketID}
		if hour >= 0 {
			from := time.Unix(hour*3600, 0).UTC()
			del = del.Where("hour = ?", hour)
			cond, args = cond+" AND m.created_at >= ? AND m.created_at < ?", append(args, from, from.Add(time.Hour))
		}
		if err := del.Delete(&ticketMessageHour{}).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO report_ticket_message_hours (ticket_id, hour, inbound, outbound)
			SELECT m.ticket_id, `+hourExpr(st.Dialect, "m.created_at")+`, SUM(CASE WHEN m.direction = 'inbound' THEN 1 ELSE 0 END),
			SUM(CASE WHEN m.direction = 'outbound' THEN 1 ELSE 0 END)
			FROM messages m WHERE `+cond+` AND m.direction IN ('inbound', 'outbound') GROUP BY 1, 2`, args...).Error
	})
	if err != nil {
		return fmt.Errorf("report: recount messages of ticket %d: %w", ticketID, err)
	}
	return nil
}

type ticketMessageHour struct {
	TicketID int64 `gorm:"primaryKey;autoIncrement:false"`
	Hour     int64 `gorm:"primaryKey;autoIncrement:false"`
	Inbound  int64
	Outbound int64
}

func (ticketMessageHour) TableName() string { return "report_ticket_message_hours" }

// rebuildTicketMessages counts every ticket's messages per hour again.
func (s *Service) rebuildTicketMessages(ctx context.Context) error {
	return s.st.Tx(ctx, func(tx *gorm.DB) error {
		for _, q := range []string{"DELETE FROM report_ticket_message_hours",
			`INSERT INTO report_ticket_message_hours (ticket_id, hour, inbound, outbound)
			SELECT m.ticket_id, ` + hourExpr(s.st.Dialect, "m.created_at") + `, SUM(CASE WHEN m.direction = 'inbound' THEN 1 ELSE 0 END),
			SUM(CASE WHEN m.direction = 'outbound' THEN 1 ELSE 0 END)
			FROM messages m WHERE m.direction IN ('inbound', 'outbound') GROUP BY 1, 2`} {
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("report: rebuild ticket message hours: %w", err)
			}
		}
		return nil
	})
}
