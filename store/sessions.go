package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Session kinds.
const (
	SessionCookie = "session" // a signed-in browser or login token; expires
	SessionToken  = "api"     // a named API token; lives until revoked
)

// CreateSession inserts sess and sets its id.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	if err := s.DB.WithContext(ctx).Create(sess).Error; err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// GetSessionByHash returns the session whose token has this hash;
// ErrNotFound when there is none.
func (s *Store) GetSessionByHash(ctx context.Context, tokenHash string) (*Session, error) {
	var sess Session
	if err := s.DB.WithContext(ctx).Where("token_hash = ?", tokenHash).Take(&sess).Error; err != nil {
		return nil, fmt.Errorf("store: get session: %w", notFound(err))
	}
	return &sess, nil
}

// TouchSession records use of session id at t and, when expires is set,
// moves its expiry.
func (s *Store) TouchSession(ctx context.Context, id int64, t time.Time, expires *time.Time) error {
	up := map[string]any{"last_used": t}
	if expires != nil {
		up["expires_at"] = *expires
	}
	if err := s.DB.WithContext(ctx).Model(&Session{}).Where("id = ?", id).UpdateColumns(up).Error; err != nil {
		return fmt.Errorf("store: touch session %d: %w", id, err)
	}
	return nil
}

// DeleteSession ends session id.
func (s *Store) DeleteSession(ctx context.Context, id int64) error {
	if err := s.DB.WithContext(ctx).Delete(&Session{}, id).Error; err != nil {
		return fmt.Errorf("store: delete session %d: %w", id, err)
	}
	return nil
}

// DeleteSessionByHash ends the session whose token has this hash.
func (s *Store) DeleteSessionByHash(ctx context.Context, tokenHash string) error {
	if err := s.DB.WithContext(ctx).Where("token_hash = ?", tokenHash).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// EndSessions ends agent id's sessions in scope.
func (s *Store) EndSessions(ctx context.Context, agentID int64, scope SessionScope) error {
	if err := endSessions(s.DB.WithContext(ctx), agentID, scope); err != nil {
		return fmt.Errorf("store: end sessions of agent %d: %w", agentID, err)
	}
	return nil
}

func endSessions(db *gorm.DB, agentID int64, scope SessionScope) error {
	q := db.Where("agent_id = ?", agentID)
	if !scope.Tokens {
		q = q.Where("kind = ?", SessionCookie)
	}
	if scope.KeepHash != "" {
		q = q.Where("token_hash <> ?", scope.KeepHash)
	}
	return q.Delete(&Session{}).Error
}

// ListTokens returns agent id's API tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context, agentID int64) ([]Session, error) {
	var out []Session
	if err := s.DB.WithContext(ctx).Where("agent_id = ? AND kind = ?", agentID, SessionToken).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	return out, nil
}

// DeleteToken revokes API token id of agent agentID; ErrNotFound when the
// agent has no such token.
func (s *Store) DeleteToken(ctx context.Context, agentID, id int64) error {
	res := s.DB.WithContext(ctx).Where("id = ? AND agent_id = ? AND kind = ?", id, agentID, SessionToken).Delete(&Session{})
	if res.Error != nil {
		return fmt.Errorf("store: delete token %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: delete token %d: %w", id, ErrNotFound)
	}
	return nil
}
