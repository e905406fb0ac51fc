package store

import "time"

// Event is one durable domain event, written in the transaction of the
// change it records (see inbox.Consumer). Payload is the event's JSON.
// XID is the PostgreSQL transaction that wrote the row (0 on SQLite); the
// database sets it.
type Event struct {
	ID        int64  `gorm:"primaryKey"`
	XID       int64  `gorm:"column:xid;->"`
	Type      string `gorm:"size:64;not null"`
	TicketID  int64  `gorm:"not null;default:0"`
	Payload   string `gorm:"not null"`
	CreatedAt time.Time
}

// EventConsumer is the progress of one named consumer: every event at or
// before (CursorXID, CursorID) has been handled (or handed to a delivery
// row). Owner holds the consumer until LockedUntil.
type EventConsumer struct {
	Name        string `gorm:"primaryKey;size:128"`
	CursorXID   int64  `gorm:"column:cursor_xid;not null;default:0"`
	CursorID    int64  `gorm:"not null;default:0"`
	Owner       string `gorm:"size:64;not null;default:''"`
	LockedUntil *time.Time
	UpdatedAt   time.Time
}

// Delivery states of an EventDelivery.
const (
	EventRetry  = "retry"  // waiting for its next attempt
	EventParked = "parked" // gave up; an admin may retry it
)

// EventDelivery is an event a consumer failed to handle: it is retried with
// backoff and parked after too many attempts.
type EventDelivery struct {
	ID            int64  `gorm:"primaryKey"`
	Consumer      string `gorm:"size:128;not null"`
	EventID       int64  `gorm:"not null"`
	Status        string `gorm:"size:16;not null"`
	Attempts      int    `gorm:"not null;default:0"`
	NextAttemptAt time.Time
	LockedUntil   *time.Time
	LastError     string `gorm:"not null;default:''"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// RelayBody is an event too large for one PostgreSQL notification, kept
// briefly so other instances can read it by id.
type RelayBody struct {
	ID        int64  `gorm:"primaryKey"`
	Body      string `gorm:"not null"`
	CreatedAt time.Time
}
