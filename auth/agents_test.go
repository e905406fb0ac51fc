package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// signedIn opens a cookie session and an API token for agent id.
func signedIn(t *testing.T, s *Service, id int64) (session, token string) {
	t.Helper()
	ctx := context.Background()
	session, err := s.CreateSession(ctx, id, store.SessionCookie, "")
	if err != nil {
		t.Fatal(err)
	}
	token, err = s.CreateSession(ctx, id, store.SessionToken, "ci")
	if err != nil {
		t.Fatal(err)
	}
	return session, token
}

func valid(s *Service, tok string) bool {
	_, _, err := s.Lookup(context.Background(), tok)
	return err == nil
}

func TestAdminResetRevokesSessionsAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, _, _ := testService(t, st)
		ctx := context.Background()
		admin, err := st.GetAgentByEmail(ctx, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		lee, err := s.CreateAgent(ctx, "lee@example.com", "Lee", store.RoleAgent, "lee's password")
		if err != nil {
			t.Fatal(err)
		}
		sess, tok := signedIn(t, s, lee.ID)
		pw := "a new password"
		if _, err := s.UpdateAgent(ctx, admin.ID, lee.ID, AgentChange{Password: &pw}); err != nil {
			t.Fatal(err)
		}
		if valid(s, sess) || valid(s, tok) {
			t.Fatalf("after an admin reset: session valid %v, API token valid %v; want both revoked", valid(s, sess), valid(s, tok))
		}
		// The command-line reset does the same.
		sess, tok = signedIn(t, s, lee.ID)
		if err := s.ResetPassword(ctx, lee.ID, "another new password"); err != nil {
			t.Fatal(err)
		}
		if valid(s, sess) || valid(s, tok) {
			t.Fatal("ResetPassword left a session or token")
		}
	})
}

func TestSelfChangeOffersToRevokeTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, _, _ := testService(t, st)
		ctx := context.Background()
		a, _ := st.GetAgentByEmail(ctx, "admin@example.com")
		current, _ := s.CreateSession(ctx, a.ID, store.SessionCookie, "")
		other, tok := signedIn(t, s, a.ID)
		err := s.ChangePassword(ctx, a, PasswordChange{Current: "the right password", New: "second password", KeepToken: current, Client: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if !valid(s, current) || valid(s, other) || !valid(s, tok) {
			t.Fatalf("kept session %v, other session %v, token %v; want true, false, true", valid(s, current), valid(s, other), valid(s, tok))
		}
		a, _ = st.GetAgentByEmail(ctx, "admin@example.com")
		err = s.ChangePassword(ctx, a, PasswordChange{Current: "second password", New: "third password", KeepToken: current, Client: "192.0.2.1", RevokeTokens: true})
		if err != nil {
			t.Fatal(err)
		}
		if !valid(s, current) || valid(s, tok) {
			t.Fatalf("with revoke_tokens: kept session %v, token %v; want true, false", valid(s, current), valid(s, tok))
		}
		a, _ = st.GetAgentByEmail(ctx, "admin@example.com")
		if err := s.ChangePassword(ctx, a, PasswordChange{Current: "wrong", New: "fourth password", Client: "192.0.2.1"}); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("wrong current password: %v", err)
		}
		if err := s.ChangePassword(ctx, a, PasswordChange{Current: "third password", New: "short", Client: "192.0.2.1"}); !errors.Is(err, ErrPasswordShort) {
			t.Fatalf("short new password: %v", err)
		}
	})
}

func TestAgentRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, _, _ := testService(t, st)
		ctx := context.Background()
		admin, _ := st.GetAgentByEmail(ctx, "admin@example.com")
		off := false
		if _, err := s.UpdateAgent(ctx, admin.ID, admin.ID, AgentChange{Active: &off}); !errors.Is(err, ErrSelfDeactivate) {
			t.Fatalf("self-deactivation: %v", err)
		}
		lee, _ := s.CreateAgent(ctx, "lee@example.com", "Lee", store.RoleAgent, "lee's password")
		sess, tok := signedIn(t, s, lee.ID)
		got, err := s.UpdateAgent(ctx, admin.ID, lee.ID, AgentChange{Active: &off})
		if err != nil || got.Active {
			t.Fatalf("deactivate: %v %+v", err, got)
		}
		if valid(s, sess) || valid(s, tok) {
			t.Fatal("a deactivated agent kept a session or token")
		}
		bad := "owner"
		if _, err := s.UpdateAgent(ctx, admin.ID, lee.ID, AgentChange{Role: &bad}); !errors.Is(err, ErrBadRole) {
			t.Fatalf("bad role: %v", err)
		}
		if _, err := s.UpdateAgent(ctx, admin.ID, 9999, AgentChange{Role: &bad}); !errors.Is(err, ErrBadRole) {
			t.Fatalf("bad role checked first: %v", err)
		}
		name := "Lee Minho"
		if _, err := s.UpdateAgent(ctx, admin.ID, 9999, AgentChange{Name: &name}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown agent: %v", err)
		}
		if _, err := s.CreateAgent(ctx, "LEE@example.com ", "Lee", store.RoleAgent, "lee's password"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		if _, err := s.CreateAgent(ctx, "no-at-sign", "X", store.RoleAgent, "a long password"); !errors.Is(err, ErrBadEmail) {
			t.Fatalf("bad email: %v", err)
		}
	})
}
