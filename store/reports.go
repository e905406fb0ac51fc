package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// StatusChange is one change of a ticket's status, kept for reports
// (resolutions, reopenings, backlog). EventID is the durable event that
// recorded it (nil for rows backfilled by the migration); it is unique, so
// recording an event twice is a no-op.
type StatusChange struct {
	ID        int64 `gorm:"primaryKey"`
	EventID   *int64
	TicketID  int64  `gorm:"not null"`
	OldStatus string `gorm:"size:16;not null"`
	NewStatus string `gorm:"size:16;not null"`
	ChangedAt time.Time
}

// TableName implements gorm's tabler.
func (StatusChange) TableName() string { return "ticket_status_changes" }

// Done reports whether status counts as finished work (resolved or
// closed): a change into it is a resolution, a change out of it a reopening.
func Done(status string) bool { return status == StatusResolved || status == StatusClosed }

// RecordStatusChange stores c unless its event was recorded before.
func (s *Store) RecordStatusChange(ctx context.Context, c *StatusChange) error {
	c.ChangedAt = c.ChangedAt.UTC().Truncate(time.Microsecond)
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "event_id"}}, DoNothing: true}).
		Create(c).Error
	if err != nil {
		return fmt.Errorf("store: record status change of ticket %d: %w", c.TicketID, err)
	}
	return nil
}
