package inbox

import (
	"context"
	"fmt"

	"github.com/hanbox/hanbox/store"
)

// QueuePlace is where a ticket waits: its team and its place in the team's
// queue (open, unassigned tickets, oldest arrival first: the order
// auto-assignment takes them in), 1 for the next one; 0 when it is not
// waiting (assigned, not open, or without a team).
type QueuePlace struct {
	TeamID   int64
	Position int
}

// TicketQueuePlace computes ticket id's place in its team's queue from the
// queue itself.
func (s *Service) TicketQueuePlace(ctx context.Context, id int64) (QueuePlace, error) {
	db := s.st.DB.WithContext(ctx)
	var t store.Ticket
	if err := db.Select("id", "team_id", "assignee_id", "status", "merged_into", "created_at").Take(&t, id).Error; err != nil {
		return QueuePlace{}, fmt.Errorf("inbox: queue place of ticket %d: %w", id, notFound(err))
	}
	if t.TeamID == nil {
		return QueuePlace{}, nil
	}
	p := QueuePlace{TeamID: *t.TeamID}
	if t.AssigneeID != nil || t.Status != store.StatusOpen || t.MergedInto != nil {
		return p, nil
	}
	var ahead int64
	// The partial index ix_ticket_team_queue's own conditions.
	if err := db.Raw(`SELECT COUNT(*) FROM tickets WHERE team_id = ? AND assignee_id IS NULL AND status = 'open' AND merged_into IS NULL
		AND (created_at < ? OR (created_at = ? AND id < ?))`, *t.TeamID, t.CreatedAt, t.CreatedAt, t.ID).Scan(&ahead).Error; err != nil {
		return QueuePlace{}, fmt.Errorf("inbox: queue place of ticket %d: %w", id, err)
	}
	p.Position = int(ahead) + 1
	return p, nil
}

// TeamQueue returns up to limit ids of a team's waiting tickets, the next
// one first.
func (s *Service) TeamQueue(ctx context.Context, teamID int64, limit int) ([]int64, error) {
	ids, err := s.st.TeamQueue(ctx, teamID, limit)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return ids, nil
}
