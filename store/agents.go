package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ListAgents returns every agent, oldest first.
func (s *Store) ListAgents(ctx context.Context) ([]Agent, error) {
	var out []Agent
	if err := s.DB.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	return out, nil
}

// GetAgent returns agent id; ErrNotFound when it does not exist.
func (s *Store) GetAgent(ctx context.Context, id int64) (*Agent, error) {
	var a Agent
	if err := s.DB.WithContext(ctx).Take(&a, id).Error; err != nil {
		return nil, fmt.Errorf("store: get agent %d: %w", id, notFound(err))
	}
	return &a, nil
}

// GetAgentByEmail returns the agent with this (already lower-cased) email;
// ErrNotFound when there is none.
func (s *Store) GetAgentByEmail(ctx context.Context, email string) (*Agent, error) {
	var a Agent
	if err := s.DB.WithContext(ctx).Where("email = ?", email).Take(&a).Error; err != nil {
		return nil, fmt.Errorf("store: get agent by email: %w", notFound(err))
	}
	return &a, nil
}

// CountAgents returns the number of agents.
func (s *Store) CountAgents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Agent{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count agents: %w", err)
	}
	return n, nil
}

// CreateAgent inserts a and sets its id; ErrConflict when the email is taken.
func (s *Store) CreateAgent(ctx context.Context, a *Agent) error {
	if err := s.DB.WithContext(ctx).Create(a).Error; err != nil {
		if IsDuplicate(err) {
			return fmt.Errorf("store: create agent: %w", ErrConflict)
		}
		return fmt.Errorf("store: create agent: %w", err)
	}
	return nil
}

// ReplacePasswordHash sets agent id's password hash to next if it is still
// old (a rehash with newer parameters after a login) and reports whether it
// did; sessions are not touched.
func (s *Store) ReplacePasswordHash(ctx context.Context, id int64, old, next string) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&Agent{}).Where("id = ? AND password_hash = ?", id, old).
		Updates(map[string]any{"password_hash": next, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("store: replace password hash of agent %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// AgentUpdate changes an agent; nil fields are left alone.
type AgentUpdate struct {
	Name   *string
	Role   *string
	Active *bool
	// PasswordHash, when set, replaces the password.
	PasswordHash *string
	// EndSessions, when set, is applied in the same transaction.
	EndSessions *SessionScope
}

// SessionScope selects an agent's sessions to end: cookie sessions, and API
// tokens too when Tokens is set; KeepHash, when set, spares one session.
type SessionScope struct {
	Tokens   bool
	KeepHash string
}

// UpdateAgent applies u to agent id in one transaction; ErrNotFound when the
// agent does not exist.
func (s *Store) UpdateAgent(ctx context.Context, id int64, u AgentUpdate) error {
	up := map[string]any{}
	if u.Name != nil {
		up["name"] = *u.Name
	}
	if u.Role != nil {
		up["role"] = *u.Role
	}
	if u.Active != nil {
		up["active"] = *u.Active
	}
	if u.PasswordHash != nil {
		up["password_hash"] = *u.PasswordHash
	}
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		up["updated_at"] = time.Now().UTC()
		res := tx.Model(&Agent{}).Where("id = ?", id).Updates(up)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if u.EndSessions != nil {
			return endSessions(tx, id, *u.EndSessions)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: update agent %d: %w", id, err)
	}
	return nil
}
