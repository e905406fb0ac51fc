package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/auth"
	_ "github.com/hanbox/hanbox/connectors/all"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestRunAgainstAServer runs a small load against a real server on loopback
// on every store, with replies delivered both ways, and checks the report
// (not its numbers).
func TestRunAgainstAServer(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			dsn := ""
			if d == store.Postgres {
				dsn = storetest.PostgresDSN(t)
			}
			ctx, cancel := context.WithCancel(context.Background())
			srv, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "error", DatabaseURL: dsn})
			if err != nil {
				t.Fatal(err)
			}
			srv.Start(ctx)
			hs := httptest.NewServer(srv.Handler())
			t.Cleanup(func() { cancel(); hs.Close(); srv.Close() })
			if err := auth.CreateAgent(ctx, srv.Store, "admin@example.com", "Admin", store.RoleAdmin, "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			for _, via := range []string{"api", "email"} {
				var out bytes.Buffer
				c := Config{URL: hs.URL, Email: "admin@example.com", Password: "correct horse battery", Messages: 40, Concurrency: 4,
					PerThread: 4, Replies: 3, ReplyVia: via}
				rctx, stop := context.WithTimeout(ctx, 2*time.Minute) // bounds a hang only
				err := Run(rctx, c, &out)
				stop()
				if err != nil {
					t.Fatalf("%s: %v\n%s", via, err, out.String())
				}
				for _, want := range []string{"inbound: 40 messages", "replies (" + via + "): 3", "server after: RSS"} {
					if !strings.Contains(out.String(), want) {
						t.Fatalf("report lacks %q:\n%s", want, out.String())
					}
				}
			}
		})
	}
}

func TestOnlyLoopback(t *testing.T) {
	base := Config{Email: "a@b", Password: "x", Messages: 1, Concurrency: 1, PerThread: 1, Replies: 1, ReplyVia: "api"}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"http://192.0.2.1:8080", false},
		{"http://10.0.0.1", false},
		{"ftp://127.0.0.1", false},
	} {
		c := base
		c.URL = tc.url
		if err := c.validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.url, err)
		}
	}
	c := base
	c.URL, c.Concurrency = "http://127.0.0.1", maxConcurrency+1
	if c.validate() == nil {
		t.Error("unbounded concurrency accepted")
	}
}
