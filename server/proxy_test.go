package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
)

// TestLoginThrottleFollowsTrustedProxy: behind a trusted reverse proxy the
// login throttle counts the client named by X-Forwarded-For, so one
// guessing client is held while another client of the same account still
// signs in; a header from an untrusted peer changes nothing.
func TestLoginThrottleFollowsTrustedProxy(t *testing.T) {
	for _, tc := range []struct {
		name, trusted string
		otherAllowed  bool
	}{
		{"trusted proxy", "127.0.0.1/32, ::1", true},
		{"no trusted proxy", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "error", TrustedProxies: tc.trusted})
			if err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(srv.Handler())
			defer func() { hs.Close(); _ = srv.Close() }()
			if err := auth.CreateAgent(ctx, srv.Store, "lead@example.com", "팀장", store.RoleAdmin, "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			login := func(client, password string) int {
				t.Helper()
				req, _ := http.NewRequest("POST", hs.URL+"/api/v1/auth/login",
					strings.NewReader(`{"email":"lead@example.com","password":"`+password+`"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", client)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			limited := false
			for i := 0; i < 20 && !limited; i++ {
				limited = login("203.0.113.7", "wrong guess") == http.StatusTooManyRequests
			}
			if !limited {
				t.Fatal("20 wrong passwords from one client were never throttled")
			}
			got := login("198.51.100.20", "correct horse battery")
			if tc.otherAllowed && got != http.StatusOK {
				t.Fatalf("another client behind the proxy: status %d, want 200", got)
			}
			if !tc.otherAllowed && got != http.StatusTooManyRequests {
				t.Fatalf("X-Forwarded-For from an untrusted peer was believed: status %d, want 429", got)
			}
		})
	}
}

func TestConfigRefusesBadTrustedProxies(t *testing.T) {
	c := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "info", TrustedProxies: "10.0.0.0/40"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "HANBOX_TRUSTED_PROXIES") {
		t.Fatalf("validate: %v", err)
	}
}
