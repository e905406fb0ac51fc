package inbox

import (
	"context"
	"fmt"

	"github.com/hanbox/hanbox/store"
)

// ChannelCheck is the connector's own validation of a channel's settings,
// run before a channel is stored (connectors.Runtime.Check).
type ChannelCheck func(ctx context.Context, ch store.Channel) error

// CreateChannel stores a new channel once check accepts it. It fills the
// public key and empty settings and secrets.
func (s *Service) CreateChannel(ctx context.Context, ch *store.Channel, check ChannelCheck) error {
	if ch.PublicKey == "" {
		ch.PublicKey = NewPublicID()
	}
	if ch.Settings == nil {
		ch.Settings = store.JSONMap{}
	}
	if ch.Secrets == nil {
		ch.Secrets = store.JSONMap{}
	}
	if check != nil {
		if err := check(ctx, *ch); err != nil {
			return err
		}
	}
	if err := s.st.CreateChannel(ctx, ch); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// ChannelChange changes a channel; zero fields are left alone.
type ChannelChange struct {
	// Kind, when set, must be the channel's kind: a channel's kind never
	// changes (its history and settings belong to that kind).
	Kind     string
	Name     *string
	Settings map[string]any
	// Secrets are merged into the channel's secrets; a nil value removes one.
	Secrets map[string]any
	Enabled *bool
}

// UpdateChannel applies c to channel id once check accepts the result.
func (s *Service) UpdateChannel(ctx context.Context, id int64, c ChannelChange, check ChannelCheck) (*store.Channel, error) {
	ch, err := s.st.GetChannel(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if c.Kind != "" && c.Kind != ch.Kind {
		return nil, invalidAs("kind_fixed", nil, "a channel's kind cannot change")
	}
	if c.Name != nil && *c.Name != "" {
		ch.Name = *c.Name
	}
	if c.Settings != nil {
		ch.Settings = c.Settings
	}
	for k, v := range c.Secrets {
		if ch.Secrets == nil {
			ch.Secrets = store.JSONMap{}
		}
		if v == nil {
			delete(ch.Secrets, k)
		} else {
			ch.Secrets[k] = v
		}
	}
	if c.Enabled != nil {
		ch.Enabled = *c.Enabled
	}
	if check != nil {
		if err := check(ctx, *ch); err != nil {
			return nil, err
		}
	}
	if err := s.st.SaveChannel(ctx, ch); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return ch, nil
}

// RemoveChannel deletes channel id, or disables it when messages refer to
// it: tickets keep showing which channel each message came by, so a channel
// with history is never deleted. disabled reports which happened.
func (s *Service) RemoveChannel(ctx context.Context, id int64) (disabled bool, err error) {
	deleted, err := s.st.DeleteUnusedChannel(ctx, id)
	if err != nil {
		return false, fmt.Errorf("inbox: %w", err)
	}
	if deleted {
		return false, nil
	}
	if err := s.st.SetChannelEnabled(ctx, id, false); err != nil {
		return false, fmt.Errorf("inbox: %w", err)
	}
	return true, nil
}
