// Package auth authenticates agents: argon2id password hashes (with a
// process-wide bound on concurrent hashing), server-side sessions (HttpOnly
// SameSite cookie or bearer token, only hashes stored), API tokens, CSRF
// tokens bound to the session, the login throttle, and the rules for
// changing agents (auth/agents.go).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hanbox/hanbox/store"
)

// CookieName is the session cookie.
const CookieName = "hanbox_session"

// SessionTTL is how long an idle session lives.
const SessionTTL = 14 * 24 * time.Hour

// Errors.
var (
	ErrBadCredentials = errors.New("auth: wrong email or password")
	ErrNoSession      = errors.New("auth: not signed in")
)

// NewToken returns a random bearer token and its storage hash.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// GeneratePassword returns a random 20-character password (120 bits), for
// first admins and resets when none was given.
func GeneratePassword() string {
	tok, _ := NewToken()
	return tok[:20]
}

// HashToken returns the hex SHA-256 under which a token is stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Service checks credentials and sessions.
type Service struct {
	st       *store.Store
	log      *slog.Logger
	throttle *throttle
	hash     *hasher
	// revoked, when set, hears of every agent whose sessions or tokens were
	// ended or who was deactivated (open event streams check again).
	revoked func(agentID int64)
}

// OnRevoke sets f to be told, after the change, of every agent whose
// sessions or tokens were ended (logout, password change or reset,
// deactivation, Revoked). Set it once, before serving.
func (s *Service) OnRevoke(f func(agentID int64)) { s.revoked = f }

// Revoked reports that agentID lost sessions, tokens or access by other
// means (a token deleted).
func (s *Service) Revoked(agentID int64) {
	if s.revoked != nil && agentID > 0 {
		s.revoked(agentID)
	}
}

// Option configures a Service.
type Option func(*Service)

// WithLogger sets where the service logs store failures it recovers from.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns an auth service over st. Logins are throttled (see throttle).
func New(st *store.Store, opts ...Option) *Service {
	s := &Service{st: st, log: slog.New(slog.DiscardHandler), throttle: newThrottle(), hash: passwords}
	for _, o := range opts {
		o(s)
	}
	return s
}

// NormalizeEmail is the form agent emails are stored and looked up in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Login checks email and password from client (an IP address) and opens a
// session. The attempt is counted before the password is checked, so
// concurrent guesses cannot outrun the throttle; a refused attempt is a
// LimitError (ErrRateLimited) saying how long to wait; ErrBusy when no
// hashing slot came in time. An unknown email costs the same time as a
// wrong password without hashing.
func (s *Service) Login(ctx context.Context, email, password, client string) (string, *store.Agent, error) {
	email = NormalizeEmail(email)
	at, err := s.throttle.begin(email, client)
	if err != nil {
		return "", nil, err
	}
	a, err := s.st.GetAgentByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := s.hash.pretend(ctx, password); err != nil {
			at.cancel()
			return "", nil, err
		}
		return "", nil, ErrBadCredentials
	case err != nil:
		at.cancel()
		return "", nil, fmt.Errorf("auth: login: %w", err)
	}
	ok, stale, err := s.hash.verify(ctx, a.PasswordHash, password)
	if err != nil {
		at.cancel()
		return "", nil, err
	}
	if !ok || !a.Active {
		return "", nil, ErrBadCredentials
	}
	at.succeeded()
	if stale {
		s.rehash(ctx, a, password)
	}
	tok, err := s.CreateSession(ctx, a.ID, store.SessionCookie, "")
	if err != nil {
		return "", nil, err
	}
	return tok, a, nil
}

// rehash replaces a's password hash, made with older argon2id parameters,
// by one with the current ones, now that the password is known to be
// right. Only that hash is replaced (a password changed meanwhile stays);
// sessions are untouched. A failure is logged and the login goes on: the
// next one tries again.
func (s *Service) rehash(ctx context.Context, a *store.Agent, password string) {
	h, err := s.hash.hash(ctx, password)
	if err == nil {
		_, err = s.st.ReplacePasswordHash(ctx, a.ID, a.PasswordHash, h)
	}
	if err != nil {
		s.log.Warn("auth: rehash password with current parameters", "agent_id", a.ID, "err", err)
		return
	}
	a.PasswordHash = h
}

// CreateSession opens a session (store.SessionCookie, expiring) or an API
// token (store.SessionToken, named) and returns its token.
func (s *Service) CreateSession(ctx context.Context, agentID int64, kind, name string) (string, error) {
	tok, hash := NewToken()
	sess := store.Session{TokenHash: hash, AgentID: agentID, Kind: kind, Name: name}
	if kind == store.SessionCookie {
		exp := time.Now().UTC().Add(SessionTTL)
		sess.ExpiresAt = &exp
	}
	if err := s.st.CreateSession(ctx, &sess); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	return tok, nil
}

// Lookup returns the active agent and session for a token: ErrNoSession
// when there is none (unknown, expired, agent inactive), another error when
// the store failed.
func (s *Service) Lookup(ctx context.Context, token string) (*store.Agent, *store.Session, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, ErrNoSession
	}
	sess, err := s.st.GetSessionByHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, fmt.Errorf("auth: lookup: %w", err)
	}
	nowT := time.Now().UTC()
	if sess.ExpiresAt != nil && sess.ExpiresAt.Before(nowT) {
		if err := s.st.DeleteSession(ctx, sess.ID); err != nil {
			s.log.Warn("delete expired session", "session_id", sess.ID, "err", err)
		}
		return nil, nil, ErrNoSession
	}
	a, err := s.st.GetAgent(ctx, sess.AgentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, fmt.Errorf("auth: lookup: %w", err)
	}
	if !a.Active {
		return nil, nil, ErrNoSession
	}
	// Slide the expiry and record use at most once a minute per session.
	if sess.LastUsed == nil || nowT.Sub(*sess.LastUsed) > time.Minute {
		var exp *time.Time
		if sess.Kind == store.SessionCookie {
			e := nowT.Add(SessionTTL)
			exp = &e
		}
		if err := s.st.TouchSession(ctx, sess.ID, nowT, exp); err != nil {
			s.log.Warn("record session use", "session_id", sess.ID, "err", err)
		}
	}
	return a, sess, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	hash := HashToken(token)
	sess, err := s.st.GetSessionByHash(ctx, hash)
	if err != nil {
		return nil // no such session: nothing to end
	}
	if err := s.st.DeleteSessionByHash(ctx, hash); err != nil {
		return fmt.Errorf("auth: logout: %w", err)
	}
	s.Revoked(sess.AgentID)
	return nil
}

// CSRFToken derives the CSRF token of a session. It is bound to the session
// token, which lives in an HttpOnly cookie, so another site cannot learn it.
func CSRFToken(sessionToken string) string {
	sum := sha256.Sum256([]byte("hanbox-csrf:" + sessionToken))
	return hex.EncodeToString(sum[:16])
}

// CheckCSRF reports whether r carries the CSRF token of sessionToken in the
// X-CSRF-Token header or the csrf_token form field.
func CheckCSRF(r *http.Request, sessionToken string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") {
			got = r.FormValue("csrf_token")
		}
	}
	want := CSRFToken(sessionToken)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// SetCookie writes the session cookie.
func SetCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: int(SessionTTL.Seconds())})
}

// ClearCookie removes the session cookie.
func ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
