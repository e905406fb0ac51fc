package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one line of the audit log. Changes holds what the action
// changed or was asked to change, with secrets already redacted (package
// audit writes entries; nothing else should).
type AuditEntry struct {
	ID         int64     `gorm:"primaryKey"`
	At         time.Time `gorm:"not null;index:ix_audit_at;index:ix_audit_actor,priority:2;index:ix_audit_action,priority:2"`
	ActorID    *int64    `gorm:"index:ix_audit_actor,priority:1"`
	ActorEmail string    `gorm:"size:320;not null;default:''"`
	Action     string    `gorm:"size:96;not null;index:ix_audit_action,priority:1"`
	TargetType string    `gorm:"size:64;not null;default:''"`
	TargetID   string    `gorm:"size:64;not null;default:''"`
	RemoteIP   string    `gorm:"column:remote_ip;size:64;not null;default:''"`
	UserAgent  string    `gorm:"size:512;not null;default:''"`
	Changes    JSONMap   `gorm:"not null"`
}

// AuditFilter selects audit entries. Zero fields do not filter. Action
// matches exactly, or as a prefix when it ends in "." ("channels.").
type AuditFilter struct {
	ActorID  int64
	Action   string
	From, To time.Time // To is exclusive
	// Before pages back: entries with a smaller id.
	Before int64
	Limit  int // default 100, at most 5000
}

// CreateAuditEntry appends an entry.
func (s *Store) CreateAuditEntry(ctx context.Context, e *AuditEntry) error {
	if e.Changes == nil {
		e.Changes = JSONMap{}
	}
	if err := s.DB.WithContext(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("store: audit entry %s: %w", e.Action, err)
	}
	return nil
}

// AuditEntries lists entries, newest first.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 5000)
	q := s.DB.WithContext(ctx).Model(&AuditEntry{})
	if f.ActorID > 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			q = q.Where("action LIKE ? ESCAPE '!'", strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(f.Action)+"%")
		} else {
			q = q.Where("action = ?", f.Action)
		}
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	var out []AuditEntry
	if err := q.Order("id DESC").Limit(f.Limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: audit entries: %w", err)
	}
	return out, nil
}

// AuditActions lists the distinct actions recorded, for the viewer's filter.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.DB.WithContext(ctx).Model(&AuditEntry{}).Distinct("action").Order("action").Pluck("action", &out).Error; err != nil {
		return nil, fmt.Errorf("store: audit actions: %w", err)
	}
	return out, nil
}

// DeleteAuditEntriesBefore deletes the entries recorded before t and says
// how many went.
func (s *Store) DeleteAuditEntriesBefore(ctx context.Context, t time.Time) (int64, error) {
	res := s.DB.WithContext(ctx).Where("at < ?", t.UTC()).Delete(&AuditEntry{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune audit entries: %w", res.Error)
	}
	return res.RowsAffected, nil
}
