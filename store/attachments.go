package store

import (
	"context"
	"fmt"
)

// GetAttachment returns attachment id's row; ErrNotFound when it does not exist.
func (s *Store) GetAttachment(ctx context.Context, id int64) (*Attachment, error) {
	var at Attachment
	if err := s.DB.WithContext(ctx).Take(&at, id).Error; err != nil {
		return nil, fmt.Errorf("store: get attachment %d: %w", id, notFound(err))
	}
	return &at, nil
}
