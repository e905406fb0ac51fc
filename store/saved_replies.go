package store

import (
	"context"
	"fmt"
	"time"
)

// ListSavedReplies returns every saved reply by name.
func (s *Store) ListSavedReplies(ctx context.Context) ([]SavedReply, error) {
	var out []SavedReply
	if err := s.DB.WithContext(ctx).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list saved replies: %w", err)
	}
	return out, nil
}

// CreateSavedReply inserts r and sets its id.
func (s *Store) CreateSavedReply(ctx context.Context, r *SavedReply) error {
	if err := s.DB.WithContext(ctx).Create(r).Error; err != nil {
		return fmt.Errorf("store: create saved reply: %w", err)
	}
	return nil
}

// DeleteSavedReply deletes saved reply id; ErrNotFound when it does not exist.
func (s *Store) DeleteSavedReply(ctx context.Context, id int64) error {
	res := s.DB.WithContext(ctx).Delete(&SavedReply{}, id)
	if res.Error != nil {
		return fmt.Errorf("store: delete saved reply %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: delete saved reply %d: %w", id, ErrNotFound)
	}
	return nil
}

// UpdateSavedReply changes saved reply r.ID's name and body; ErrNotFound
// when it does not exist.
func (s *Store) UpdateSavedReply(ctx context.Context, r *SavedReply) error {
	res := s.DB.WithContext(ctx).Model(&SavedReply{}).Where("id = ?", r.ID).
		Updates(map[string]any{"name": r.Name, "body": r.Body, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("store: update saved reply %d: %w", r.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update saved reply %d: %w", r.ID, ErrNotFound)
	}
	return nil
}
