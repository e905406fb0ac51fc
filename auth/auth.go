// Package auth authenticates agents: argon2id password hashes, server-side
// sessions (HttpOnly SameSite cookie or bearer token, only hashes stored),
// API tokens, CSRF tokens bound to the session, and a login rate limit.
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
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"gorm.io/gorm"

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

// argon2id parameters (RFC 9106 second recommendation, memory-constrained).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash of password.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("auth: password must be at least 8 characters")
	}
	if len(password) > 1024 {
		return "", errors.New("auth: password is too long")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash from HashPassword.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 20 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the email is unknown, so a login for a
// missing account costs as much as one for a real account.
var dummyHash, _ = HashPassword("not-a-real-password")

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
	st      *store.Store
	limiter *Limiter
	// revoked, when set, hears of every agent whose sessions or tokens were
	// ended or who was deactivated (open event streams check again).
	revoked func(agentID int64)
}

// OnRevoke sets f to be told, after the change, of every agent whose
// sessions or tokens were ended (logout, password change) or who was
// deactivated (through Revoked). Set it once, before serving.
func (s *Service) OnRevoke(f func(agentID int64)) { s.revoked = f }

// Revoked reports that agentID lost sessions, tokens or access by other
// means (an admin deactivating them, a token deleted).
func (s *Service) Revoked(agentID int64) {
	if s.revoked != nil && agentID > 0 {
		s.revoked(agentID)
	}
}

// New returns an auth service. Logins are limited to 10 failures per 15
// minutes per address and client.
func New(st *store.Store) *Service {
	return &Service{st: st, limiter: NewLimiter(10, 15*time.Minute)}
}

// Login checks email and password and opens a session.
func (s *Service) Login(ctx context.Context, email, password, client string) (string, *store.Agent, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	key := client + "|" + email
	if !s.limiter.Allow(key) {
		return "", nil, ErrRateLimited
	}
	var a store.Agent
	err := s.st.DB.WithContext(ctx).Where("email = ?", email).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		CheckPassword(dummyHash, password)
		s.limiter.Fail(key)
		return "", nil, ErrBadCredentials
	}
	if err != nil {
		return "", nil, fmt.Errorf("auth: login: %w", err)
	}
	if !a.Active || !CheckPassword(a.PasswordHash, password) {
		s.limiter.Fail(key)
		return "", nil, ErrBadCredentials
	}
	s.limiter.Reset(key)
	tok, err := s.CreateSession(ctx, a.ID, "session", "")
	if err != nil {
		return "", nil, err
	}
	return tok, &a, nil
}

// CreateSession opens a session ("session", expiring) or an API token ("api").
func (s *Service) CreateSession(ctx context.Context, agentID int64, kind, name string) (string, error) {
	tok, hash := NewToken()
	sess := store.Session{TokenHash: hash, AgentID: agentID, Kind: kind, Name: name}
	if kind == "session" {
		exp := time.Now().UTC().Add(SessionTTL)
		sess.ExpiresAt = &exp
	}
	if err := s.st.DB.WithContext(ctx).Create(&sess).Error; err != nil {
		return "", fmt.Errorf("auth: create session: %w", err)
	}
	return tok, nil
}

// Lookup returns the active agent and session for a token.
func (s *Service) Lookup(ctx context.Context, token string) (*store.Agent, *store.Session, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, ErrNoSession
	}
	var sess store.Session
	err := s.st.DB.WithContext(ctx).Where("token_hash = ?", HashToken(token)).Take(&sess).Error
	if err != nil {
		return nil, nil, ErrNoSession
	}
	nowT := time.Now().UTC()
	if sess.ExpiresAt != nil && sess.ExpiresAt.Before(nowT) {
		s.st.DB.WithContext(ctx).Delete(&sess)
		return nil, nil, ErrNoSession
	}
	var a store.Agent
	if err := s.st.DB.WithContext(ctx).Take(&a, sess.AgentID).Error; err != nil || !a.Active {
		return nil, nil, ErrNoSession
	}
	// Slide the expiry and record use at most once a minute per session.
	if sess.LastUsed == nil || nowT.Sub(*sess.LastUsed) > time.Minute {
		up := map[string]any{"last_used": nowT}
		if sess.Kind == "session" {
			up["expires_at"] = nowT.Add(SessionTTL)
		}
		s.st.DB.WithContext(ctx).Model(&sess).UpdateColumns(up)
	}
	return &a, &sess, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	var sess store.Session
	db := s.st.DB.WithContext(ctx)
	if db.Where("token_hash = ?", HashToken(token)).Take(&sess).Error != nil {
		return nil
	}
	if err := db.Delete(&sess).Error; err != nil {
		return err
	}
	s.Revoked(sess.AgentID)
	return nil
}

// SetPassword changes an agent's password and ends their other sessions.
func (s *Service) SetPassword(ctx context.Context, agentID int64, password, keepToken string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&store.Agent{}).Where("id = ?", agentID).Update("password_hash", hash).Error; err != nil {
			return err
		}
		return tx.Where("agent_id = ? AND kind = ? AND token_hash <> ?", agentID, "session", HashToken(keepToken)).Delete(&store.Session{}).Error
	})
	if err == nil {
		s.Revoked(agentID)
	}
	return err
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

// EnsureAdmin creates the first admin when no agent exists. It returns the
// generated password when password was empty (to print once), or "".
func EnsureAdmin(ctx context.Context, st *store.Store, email, password string) (created bool, generated string, err error) {
	var n int64
	if err := st.DB.WithContext(ctx).Model(&store.Agent{}).Count(&n).Error; err != nil {
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

// CreateAgent adds an agent with a password.
func CreateAgent(ctx context.Context, st *store.Store, email, name, role, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	a := store.Agent{Email: strings.ToLower(strings.TrimSpace(email)), Name: name, Role: role, PasswordHash: hash, Active: true}
	if err := st.DB.WithContext(ctx).Create(&a).Error; err != nil {
		if store.IsDuplicate(err) {
			return fmt.Errorf("auth: agent %s exists: %w", email, store.ErrConflict)
		}
		return fmt.Errorf("auth: create agent: %w", err)
	}
	return nil
}
