package store

import "time"

// Job states.
const (
	JobPending   = "pending"   // waiting for its due time (or its next attempt)
	JobDone      = "done"      // ran to completion; never runs again
	JobFailed    = "failed"    // gave up after too many attempts; an admin may retry it
	JobCancelled = "cancelled" // withdrawn before it ran
)

// Job is one durable unit of work due at a time (see package jobs).
type Job struct {
	ID          int64  `gorm:"primaryKey"`
	Kind        string `gorm:"size:64;not null"`
	Key         string `gorm:"column:job_key;size:255;not null"`
	Payload     string `gorm:"not null;default:''"`
	Status      string `gorm:"size:16;not null"`
	DueAt       time.Time
	Attempts    int    `gorm:"not null;default:0"`
	LeaseToken  string `gorm:"size:32;not null;default:''"`
	LockedUntil *time.Time
	LastError   string `gorm:"not null;default:''"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  *time.Time
}
