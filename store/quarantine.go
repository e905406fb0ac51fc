package store

import (
	"context"
	"fmt"
)

// ListQuarantine returns the newest limit quarantined items without their
// raw bytes.
func (s *Store) ListQuarantine(ctx context.Context, limit int) ([]Quarantine, error) {
	var out []Quarantine
	if err := s.DB.WithContext(ctx).Omit("raw").Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list quarantine: %w", err)
	}
	return out, nil
}

// GetQuarantine returns quarantined item id with its raw bytes; ErrNotFound
// when it does not exist.
func (s *Store) GetQuarantine(ctx context.Context, id int64) (*Quarantine, error) {
	var q Quarantine
	if err := s.DB.WithContext(ctx).Take(&q, id).Error; err != nil {
		return nil, fmt.Errorf("store: get quarantine %d: %w", id, notFound(err))
	}
	return &q, nil
}

// ResolveQuarantine marks item id as imported.
func (s *Store) ResolveQuarantine(ctx context.Context, id int64) error {
	if err := s.DB.WithContext(ctx).Model(&Quarantine{}).Where("id = ?", id).Update("resolved", true).Error; err != nil {
		return fmt.Errorf("store: resolve quarantine %d: %w", id, err)
	}
	return nil
}
