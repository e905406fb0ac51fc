package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hanbox/hanbox/store"
)

// Errors of agent changes.
var (
	ErrSelfDeactivate = errors.New("auth: agents cannot deactivate themselves")
	ErrWrongPassword  = errors.New("auth: current password is wrong")
	ErrBadRole        = errors.New("auth: role must be agent or admin")
	ErrBadEmail       = errors.New("auth: not an email address")
)

func checkRole(role string) error {
	if role != store.RoleAgent && role != store.RoleAdmin {
		return ErrBadRole
	}
	return nil
}

// CreateAgent adds an active agent with a password; store.ErrConflict when
// the email is taken.
func CreateAgent(ctx context.Context, st *store.Store, email, name, role, password string) error {
	_, err := createAgent(ctx, st, passwords, email, name, role, password)
	return err
}

// CreateAgent adds an active agent with a password and returns it.
func (s *Service) CreateAgent(ctx context.Context, email, name, role, password string) (*store.Agent, error) {
	return createAgent(ctx, s.st, s.hash, email, name, role, password)
}

func createAgent(ctx context.Context, st *store.Store, h *hasher, email, name, role, password string) (*store.Agent, error) {
	email = NormalizeEmail(email)
	if !strings.Contains(email, "@") {
		return nil, ErrBadEmail
	}
	if err := checkRole(role); err != nil {
		return nil, err
	}
	hash, err := h.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	a := &store.Agent{Email: email, Name: name, Role: role, PasswordHash: hash, Active: true}
	if err := st.CreateAgent(ctx, a); err != nil {
		return nil, fmt.Errorf("auth: agent %s: %w", email, err)
	}
	return a, nil
}

// EnsureAdmin creates the first admin when no agent exists. It returns the
// generated password when password was empty (to print once), or "".
func EnsureAdmin(ctx context.Context, st *store.Store, email, password string) (created bool, generated string, err error) {
	n, err := st.CountAgents(ctx)
	if err != nil {
		return false, "", err
	}
	if n > 0 {
		return false, "", nil
	}
	if email == "" {
		email = "admin@localhost"
	}
	if password == "" {
		password = GeneratePassword()
		generated = password
	}
	if err := CreateAgent(ctx, st, email, "Admin", store.RoleAdmin, password); err != nil {
		return false, "", err
	}
	return true, generated, nil
}

// AgentChange is an admin's change to an agent; nil fields are left alone.
type AgentChange struct {
	Name   *string
	Role   *string
	Active *bool
	// Password resets the agent's password.
	Password *string
}

// UpdateAgent applies c to agent id on behalf of admin actorID, in one
// transaction, by these rules: nobody deactivates themselves; deactivating
// an agent ends all their sessions and API tokens; a password reset is the
// case of a compromised account, so it ends all their sessions and API
// tokens too (the admin's own as well, when they reset their own).
func (s *Service) UpdateAgent(ctx context.Context, actorID, id int64, c AgentChange) (*store.Agent, error) {
	u := store.AgentUpdate{Name: c.Name, Role: c.Role, Active: c.Active}
	if c.Role != nil {
		if err := checkRole(*c.Role); err != nil {
			return nil, err
		}
	}
	if c.Active != nil && !*c.Active {
		if id == actorID {
			return nil, ErrSelfDeactivate
		}
		u.EndSessions = &store.SessionScope{Tokens: true}
	}
	if c.Password != nil {
		hash, err := s.hash.hash(ctx, *c.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = &hash
		u.EndSessions = &store.SessionScope{Tokens: true}
	}
	if err := s.st.UpdateAgent(ctx, id, u); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if u.EndSessions != nil {
		s.Revoked(id) // open event streams of the agent end
	}
	a, err := s.st.GetAgent(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return a, nil
}

// ResetPassword sets agent id's password as an admin does (also
// `hanbox admin reset-password`): all their sessions and API tokens end.
func (s *Service) ResetPassword(ctx context.Context, id int64, password string) error {
	hash, err := s.hash.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.st.UpdateAgent(ctx, id, store.AgentUpdate{PasswordHash: &hash, EndSessions: &store.SessionScope{Tokens: true}}); err != nil {
		return fmt.Errorf("auth: reset password: %w", err)
	}
	s.Revoked(id)
	return nil
}

// PasswordChange is an agent changing their own password.
type PasswordChange struct {
	Current string
	New     string
	// Client is the address the change comes from: checks of the current
	// password count against the login throttle.
	Client string
	// KeepToken is the session the change is made from; it stays signed in.
	KeepToken string
	// RevokeTokens ends the agent's API tokens too.
	RevokeTokens bool
}

// ChangePassword changes agent a's own password: the current one must
// match (ErrWrongPassword); the agent's other sessions end, and their API
// tokens when asked.
func (s *Service) ChangePassword(ctx context.Context, a *store.Agent, c PasswordChange) error {
	if err := checkRules(c.New); err != nil {
		return err
	}
	at, err := s.throttle.begin(a.Email, c.Client)
	if err != nil {
		return err
	}
	ok, err := s.hash.check(ctx, a.PasswordHash, c.Current)
	if err != nil {
		at.cancel()
		return err
	}
	if !ok {
		return ErrWrongPassword
	}
	at.succeeded()
	hash, err := s.hash.hash(ctx, c.New)
	if err != nil {
		return err
	}
	scope := &store.SessionScope{Tokens: c.RevokeTokens, KeepHash: HashToken(c.KeepToken)}
	if err := s.st.UpdateAgent(ctx, a.ID, store.AgentUpdate{PasswordHash: &hash, EndSessions: scope}); err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	s.Revoked(a.ID) // streams of the ended sessions close; the kept one stays valid
	return nil
}
