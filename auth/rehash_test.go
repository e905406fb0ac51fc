package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// legacyHash is a hash as main made it before issue 18: argon2id with
// m=64 MiB, t=3, p=2.
func legacyHash(t *testing.T, password string) string {
	t.Helper()
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, 3, 64*1024, 2, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, 64*1024, 3, 2,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// TestLoginRehashesOldParameters: a hash with the old parameters still
// verifies; the first successful login replaces it with one with the current
// parameters (sessions kept), a wrong password changes nothing, and a current
// hash is not rehashed again. Real argon2id.
func TestLoginRehashesOldParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := New(st)
		const pw = "correct horse battery"
		a, err := s.CreateAgent(ctx, "old@example.com", "Old", store.RoleAgent, pw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(a.PasswordHash, fmt.Sprintf("$m=%d,t=%d,p=%d$", 19*1024, 2, 1)) {
			t.Fatalf("new hash %q lacks m=19456,t=2,p=1", a.PasswordHash)
		}
		old := legacyHash(t, pw)
		if err := st.UpdateAgent(ctx, a.ID, store.AgentUpdate{PasswordHash: &old}); err != nil {
			t.Fatal(err)
		}
		session, _ := signedIn(t, s, a.ID)
		hashOf := func() string {
			got, err := st.GetAgent(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.PasswordHash
		}
		if _, _, err := s.Login(ctx, "old@example.com", "wrong horse battery", "192.0.2.1"); err == nil {
			t.Fatal("wrong password accepted")
		}
		if hashOf() != old {
			t.Fatal("a failed login changed the hash")
		}
		if _, _, err := s.Login(ctx, "old@example.com", pw, "192.0.2.1"); err != nil {
			t.Fatalf("login with an old-parameter hash: %v", err)
		}
		rehashed := hashOf()
		if rehashed == old || !strings.Contains(rehashed, "$m=19456,t=2,p=1$") {
			t.Fatalf("hash after login %q, want the current parameters", rehashed)
		}
		if !CheckPassword(rehashed, pw) || CheckPassword(rehashed, "wrong horse battery") {
			t.Fatal("the new hash does not verify the password")
		}
		if !valid(s, session) {
			t.Fatal("rehashing ended a session")
		}
		if _, _, err := s.Login(ctx, "old@example.com", pw, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if hashOf() != rehashed {
			t.Fatal("a current hash was rehashed again")
		}
	})
}

// TestRehashKeepsAChangedPassword: the rehash replaces only the hash it
// verified, so a password changed in between is not overwritten.
func TestRehashKeepsAChangedPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := New(st)
		a, err := s.CreateAgent(ctx, "race@example.com", "Race", store.RoleAgent, "first password")
		if err != nil {
			t.Fatal(err)
		}
		stale := *a
		changed := "$argon2id$v=19$m=19456,t=2,p=1$changed$changed"
		if err := st.UpdateAgent(ctx, a.ID, store.AgentUpdate{PasswordHash: &changed}); err != nil {
			t.Fatal(err)
		}
		s.rehash(ctx, &stale, "first password")
		got, _ := st.GetAgent(ctx, a.ID)
		if got.PasswordHash != changed {
			t.Fatalf("rehash overwrote a changed password: %q", got.PasswordHash)
		}
	})
}
