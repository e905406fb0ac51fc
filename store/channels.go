package store

import (
	"context"
	"fmt"
)

// ListChannels returns every channel, oldest first.
func (s *Store) ListChannels(ctx context.Context) ([]Channel, error) {
	var out []Channel
	if err := s.DB.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list channels: %w", err)
	}
	return out, nil
}

// GetChannel returns channel id; ErrNotFound when it does not exist.
func (s *Store) GetChannel(ctx context.Context, id int64) (*Channel, error) {
	var ch Channel
	if err := s.DB.WithContext(ctx).Take(&ch, id).Error; err != nil {
		return nil, fmt.Errorf("store: get channel %d: %w", id, notFound(err))
	}
	return &ch, nil
}

// CreateChannel inserts ch and sets its id.
func (s *Store) CreateChannel(ctx context.Context, ch *Channel) error {
	if err := s.DB.WithContext(ctx).Create(ch).Error; err != nil {
		return fmt.Errorf("store: create channel: %w", err)
	}
	return nil
}

// SaveChannel writes every field of ch.
func (s *Store) SaveChannel(ctx context.Context, ch *Channel) error {
	if err := s.DB.WithContext(ctx).Save(ch).Error; err != nil {
		return fmt.Errorf("store: save channel %d: %w", ch.ID, err)
	}
	return nil
}

// SetChannelEnabled turns channel id on or off.
func (s *Store) SetChannelEnabled(ctx context.Context, id int64, enabled bool) error {
	return s.updateChannel(ctx, id, map[string]any{"enabled": enabled})
}

// SetChannelToken replaces the hash of channel id's inbound token.
func (s *Store) SetChannelToken(ctx context.Context, id int64, tokenHash string) error {
	return s.updateChannel(ctx, id, map[string]any{"token_hash": tokenHash})
}

func (s *Store) updateChannel(ctx context.Context, id int64, up map[string]any) error {
	res := s.DB.WithContext(ctx).Model(&Channel{}).Where("id = ?", id).Updates(up)
	if res.Error != nil {
		return fmt.Errorf("store: update channel %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update channel %d: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteUnusedChannel deletes channel id when no message refers to it, in
// one statement (a message arriving meanwhile keeps the channel). deleted is
// false when messages refer to it; ErrNotFound when it does not exist.
func (s *Store) DeleteUnusedChannel(ctx context.Context, id int64) (deleted bool, err error) {
	res := s.DB.WithContext(ctx).Exec(
		"DELETE FROM channels WHERE id = ? AND NOT EXISTS (SELECT 1 FROM messages WHERE channel_id = ?)", id, id)
	if res.Error != nil {
		return false, fmt.Errorf("store: delete channel %d: %w", id, res.Error)
	}
	if res.RowsAffected > 0 {
		return true, nil
	}
	if _, err := s.GetChannel(ctx, id); err != nil {
		return false, err
	}
	return false, nil
}
