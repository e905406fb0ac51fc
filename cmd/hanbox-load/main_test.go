package main

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http/httptest"
	"net/mail"
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

// TestModes runs the widget, list/search (mixed with inbound) and IMAP
// modes with small counts against a real server on loopback, on every
// store, and checks that the report's counts add up (not its timings).
func TestModes(t *testing.T) {
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
			base := Config{URL: hs.URL, Email: "admin@example.com", Password: "correct horse battery", Concurrency: 2, PerThread: 2, ReplyVia: "api"}
			for _, tc := range []struct {
				name string
				set  func(*Config)
				want []string
			}{
				{"widget", func(c *Config) { c.Widget, c.WidgetMessages = 3, 3 },
					[]string{"widget: 3 sessions, 9 messages sent, 9 events arrived"}},
				{"mixed", func(c *Config) { c.Messages, c.Lists, c.ListConcurrency = 20, 20, 3 },
					[]string{"inbound: 20 messages", "lists: 20 calls (10 list, 10 search), 3 agents, during the inbound phase"}},
				{"lists alone", func(c *Config) { c.Lists, c.ListConcurrency = 6, 2 },
					[]string{"lists: 6 calls (3 list, 3 search), 2 agents, alone"}},
				{"imap", func(c *Config) { c.IMAP = 12 },
					[]string{"imap: 12 mails", "12 stored, 12 tickets"}},
			} {
				c := base
				tc.set(&c)
				var out bytes.Buffer
				rctx, stop := context.WithTimeout(ctx, 2*time.Minute) // bounds a hang only
				err := Run(rctx, c, &out)
				stop()
				if err != nil {
					t.Fatalf("%s: %v\n%s", tc.name, err, out.String())
				}
				t.Logf("%s:\n%s", tc.name, out.String())
				for _, want := range append(tc.want, "server after: RSS") {
					if !strings.Contains(out.String(), want) {
						t.Fatalf("%s: report lacks %q:\n%s", tc.name, want, out.String())
					}
				}
			}
		})
	}
}

func TestMailsParse(t *testing.T) {
	for i := 0; i < 16; i++ {
		raw := generateMail("r", i, "support@hanbox-load.test")
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("mail %d: %v", i, err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil || !strings.Contains(subject, fmt.Sprint(300000+i)) {
			t.Fatalf("mail %d subject %q: %v", i, subject, err)
		}
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
