package inbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hanbox/hanbox/store"
)

// QueuePlace is where a ticket waits: its team and its place in the team's
// queue (open, unassigned tickets, oldest arrival first: the order
// auto-assignment takes them in), 1 for the next one; 0 when it is not
// waiting (assigned, not open, or without a team).
type QueuePlace struct {
	TeamID   int64
	Position int
	// Wait is the expected wait for a first answer (see QueuePace); 0
	// when there is not enough data to say.
	Wait time.Duration
}

// Queue pace: how fast a team's queue moves, from its recent first
// responses. The gaps between consecutive first responses of the team's
// tickets over the last QueuePaceWindow are its pace of answering; their
// median is the time one place in the queue takes (the median, so a night
// or a lunch break between two answers does not count as the pace). A
// ticket at place n then waits about n such gaps. With fewer than
// QueuePaceMinAnswers answers in the window, or no member of the team
// online to take the queue, there is no estimate: nothing is said rather
// than a guess.
const (
	QueuePaceWindow     = 24 * time.Hour
	QueuePaceMinAnswers = 5
	queuePaceMaxAnswers = 100
)

// QueuePace is the median gap between the team's recent first responses up
// to at; ok is false when there is not enough data or nobody in the team
// is online.
func (s *Service) QueuePace(ctx context.Context, teamID int64, at time.Time) (gap time.Duration, ok bool, err error) {
	db := s.st.DB.WithContext(ctx)
	var online int64
	if err := db.Model(&store.Agent{}).Joins("JOIN team_members ON team_members.agent_id = agents.id").
		Where("team_members.team_id = ? AND agents.active = ? AND agents.availability = ?", teamID, true, AvailabilityOnline).
		Count(&online).Error; err != nil {
		return 0, false, fmt.Errorf("inbox: queue pace of team %d: %w", teamID, err)
	}
	if online == 0 {
		return 0, false, nil
	}
	var times []time.Time
	if err := db.Model(&store.Ticket{}).Where("team_id = ? AND first_response_at > ? AND first_response_at <= ?", teamID, at.Add(-QueuePaceWindow), at).
		Order("first_response_at DESC").Limit(queuePaceMaxAnswers).Pluck("first_response_at", &times).Error; err != nil {
		return 0, false, fmt.Errorf("inbox: queue pace of team %d: %w", teamID, err)
	}
	if len(times) < QueuePaceMinAnswers {
		return 0, false, nil
	}
	gaps := make([]time.Duration, 0, len(times)-1)
	for i := 1; i < len(times); i++ {
		gaps = append(gaps, times[i-1].Sub(times[i]))
	}
	slices.Sort(gaps)
	n := len(gaps)
	gap = gaps[n/2]
	if n%2 == 0 {
		gap = (gaps[n/2-1] + gaps[n/2]) / 2
	}
	return gap, true, nil
}

// QueueWait is the expected wait at place position for a team whose pace
// is gap: at least a minute.
func QueueWait(position int, gap time.Duration) time.Duration {
	return max(time.Minute, time.Duration(position)*gap)
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
	gap, ok, err := s.QueuePace(ctx, *t.TeamID, now())
	if err != nil {
		return QueuePlace{}, err
	}
	if ok {
		p.Wait = QueueWait(p.Position, gap)
	}
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
