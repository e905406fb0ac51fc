package store

import (
	"context"
	"fmt"
)

// Lookups loads every agent and channel by id. Both tables are small (a
// team, its channels), and one query each beats a join per row when a page
// or list names many of them.
func (s *Store) Lookups(ctx context.Context) (map[int64]*Agent, map[int64]*Channel, error) {
	var agents []Agent
	var chans []Channel
	db := s.DB.WithContext(ctx)
	if err := db.Find(&agents).Error; err != nil {
		return nil, nil, fmt.Errorf("store: load agents: %w", err)
	}
	if err := db.Find(&chans).Error; err != nil {
		return nil, nil, fmt.Errorf("store: load channels: %w", err)
	}
	am := make(map[int64]*Agent, len(agents))
	for i := range agents {
		am[agents[i].ID] = &agents[i]
	}
	cm := make(map[int64]*Channel, len(chans))
	for i := range chans {
		cm[chans[i].ID] = &chans[i]
	}
	return am, cm, nil
}
