package email

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// runUntil runs c.Start until stop says so or it returns.
func runStart(c *Channel, sink connectors.Sink) (cancel func() error) {
	ctx, cancelCtx := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx, sink) }()
	return func() error {
		cancelCtx()
		return <-done
	}
}

func TestIMAPRestartMidMailboxExactlyOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		old := batchMessages
		batchMessages = 4
		t.Cleanup(func() { batchMessages = old })

		env := conntest.New(t, dialect)
		srv := newMemIMAP(t, nil)
		row := env.AddChannel(Kind, "mail", settingsFor(srv, nil), secretsFor(), "")
		const total = 23
		for i := 1; i <= total; i++ {
			srv.deliver(t, "INBOX", customerMail(fmt.Sprintf("c%d@example.net", i%5), "support@example.com",
				fmt.Sprintf("question %d", i), fmt.Sprintf("m%d@example.net", i), fmt.Sprintf("body %d", i)))
		}
		// First run: the 10th ingest fails (a database hiccup); Start must
		// return an error with the checkpoint at the last whole batch.
		c := directChannel(t, env, row, nil)
		sink := &flakySink{inner: env.Inbox, after: func(n int) error {
			if n == 10 {
				return errInjected
			}
			return nil
		}}
		err := c.Start(context.Background(), sink)
		if err == nil || !strings.Contains(err.Error(), "injected") {
			t.Fatalf("Start = %v, want the injected failure", err)
		}
		if n := countMessages(t, env, "channel_id = ?", row.ID); n != 9 {
			t.Fatalf("after failure: %d messages, want 9", n)
		}
		last, _ := env.Store.GetState(context.Background(), row.ID, "imap:INBOX:last_uid")
		if last != "9" {
			t.Fatalf("checkpoint = %q, want 9 (only ingested UIDs)", last)
		}
		// Second run is cancelled part way, third run finishes.
		var mu sync.Mutex
		cancelAt := make(chan struct{})
		c2 := directChannel(t, env, row, nil)
		stop := runStart(c2, &flakySink{inner: env.Inbox, after: func(n int) error {
			mu.Lock()
			defer mu.Unlock()
			if n == 5 {
				close(cancelAt)
			}
			return nil
		}})
		<-cancelAt
		if err := stop(); err != nil {
			t.Fatalf("cancelled Start = %v, want nil", err)
		}
		c3 := directChannel(t, env, row, nil)
		stop = runStart(c3, env.Inbox)
		env.Eventually("all messages", func() bool { return countMessages(t, env, "channel_id = ?", row.ID) >= total })
		// One more message while idling proves the IDLE wake-up.
		srv.deliver(t, "INBOX", customerMail("late@example.net", "support@example.com", "late", "late@example.net", "late"))
		env.Eventually("late message", func() bool { return ticketOf(t, env, row.ID, "late@example.net") != 0 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		var dupes int64
		env.Store.DB.Raw("SELECT COUNT(*) FROM (SELECT external_id FROM messages WHERE channel_id = ? GROUP BY external_id HAVING COUNT(*) > 1) d", row.ID).Scan(&dupes)
		if n := countMessages(t, env, "channel_id = ?", row.ID); n != total+1 || dupes != 0 {
			t.Fatalf("%d messages (%d duplicated), want %d exactly once", n, dupes, total+1)
		}
		last, _ = env.Store.GetState(context.Background(), row.ID, "imap:INBOX:last_uid")
		if last != fmt.Sprint(total+1) {
			t.Fatalf("checkpoint = %q", last)
		}
	})
}

func TestIMAPUIDValidityChangeResyncs(t *testing.T) {
	env := conntest.New(t, store.SQLite)
	srv := newMemIMAP(t, nil)
	row := env.AddChannel(Kind, "mail", settingsFor(srv, nil), secretsFor(), "")
	a := customerMail("a@example.net", "support@example.com", "a", "a@example.net", "a")
	b := customerMail("b@example.net", "support@example.com", "b", "b@example.net", "b")
	srv.deliver(t, "INBOX", a)
	c := directChannel(t, env, row, nil)
	stop := runStart(c, env.Inbox)
	env.Eventually("a", func() bool { return ticketOf(t, env, row.ID, "a@example.net") != 0 })
	stop()
	v1, _ := env.Store.GetState(context.Background(), row.ID, "imap:INBOX:uidvalidity")

	// The server renumbers: the mailbox is recreated with a new UIDVALIDITY
	// and b gets UID 1, at or below the old checkpoint.
	if err := srv.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := srv.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, "INBOX", b)
	srv.deliver(t, "INBOX", a)
	stop = runStart(directChannel(t, env, row, nil), env.Inbox)
	env.Eventually("b", func() bool { return ticketOf(t, env, row.ID, "b@example.net") != 0 })
	stop()
	v2, _ := env.Store.GetState(context.Background(), row.ID, "imap:INBOX:uidvalidity")
	if v1 == v2 || v2 == "" {
		t.Fatalf("uidvalidity %q -> %q", v1, v2)
	}
	if n := countMessages(t, env, "channel_id = ?", row.ID); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}
}

func TestIMAPOversizeAndMalformedQuarantined(t *testing.T) {
	env := conntest.New(t, store.SQLite)
	srv := newMemIMAP(t, nil)
	st := settingsFor(srv, nil)
	st["max_message_bytes"] = 4000
	row := env.AddChannel(Kind, "mail", st, secretsFor(), "")
	srv.deliver(t, "INBOX", customerMail("big@example.net", "support@example.com", "big", "big@example.net", strings.Repeat("x", 10000)))
	srv.deliver(t, "INBOX", readCorpus(t, "malformed-garbage.eml"))
	srv.deliver(t, "INBOX", readCorpus(t, "malformed-no-sender.eml"))
	srv.deliver(t, "INBOX", customerMail("ok@example.net", "support@example.com", "ok", "ok@example.net", "fine"))
	var states []string
	var mu sync.Mutex
	c := directChannel(t, env, row, func(s string, err error) { mu.Lock(); states = append(states, s); mu.Unlock() })
	stop := runStart(c, env.Inbox)
	env.Eventually("ok message", func() bool { return ticketOf(t, env, row.ID, "ok@example.net") != 0 })
	stop()
	var qs []store.Quarantine
	env.Store.DB.Where("channel_id = ?", row.ID).Order("id").Find(&qs)
	if len(qs) != 3 {
		t.Fatalf("%d quarantined, want 3", len(qs))
	}
	if !strings.Contains(qs[0].Reason, "over the 4000 byte limit") || !strings.Contains(string(qs[0].Raw), "Message-ID: <big@example.net>") || len(qs[0].Raw) > 4000 {
		t.Errorf("oversize quarantine: reason %q, %d bytes", qs[0].Reason, len(qs[0].Raw))
	}
	if !strings.Contains(qs[2].Reason, "no sender") {
		t.Errorf("no-sender reason %q", qs[2].Reason)
	}
	if n := countMessages(t, env, "channel_id = ?", row.ID); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(states) < 2 || states[0] != connectors.StateConnecting || !contains(states, connectors.StateConnected) {
		t.Errorf("status sequence %v", states)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestIMAPAfterImport(t *testing.T) {
	for _, action := range []string{AfterSeen, AfterMove} {
		t.Run(action, func(t *testing.T) {
			env := conntest.New(t, store.SQLite)
			srv := newMemIMAP(t, nil)
			if err := srv.user.Create("Processed", nil); err != nil {
				t.Fatal(err)
			}
			st := settingsFor(srv, nil)
			st["imap"].(map[string]any)["after_import"] = action
			st["imap"].(map[string]any)["move_to"] = "Processed"
			row := env.AddChannel(Kind, "mail", st, secretsFor(), "")
			srv.deliver(t, "INBOX", customerMail("a@example.net", "support@example.com", "a", "a@example.net", "a"))
			srv.deliver(t, "INBOX", customerMail("b@example.net", "support@example.com", "b", "b@example.net", "b"))
			stop := runStart(directChannel(t, env, row, nil), env.Inbox)
			env.Eventually("b", func() bool { return ticketOf(t, env, row.ID, "b@example.net") != 0 })
			cl, err := imapclient.DialInsecure(fmt.Sprintf("%s:%d", srv.host, srv.port), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if err := cl.Login("support", "imap-secret").Wait(); err != nil {
				t.Fatal(err)
			}
			env.Eventually("after-import action", func() bool {
				inboxSt, err := cl.Status("INBOX", &imap.StatusOptions{NumMessages: true, NumUnseen: true}).Wait()
				if err != nil {
					t.Fatal(err)
				}
				procSt, err := cl.Status("Processed", &imap.StatusOptions{NumMessages: true}).Wait()
				if err != nil {
					t.Fatal(err)
				}
				if action == AfterSeen {
					return *inboxSt.NumMessages == 2 && *inboxSt.NumUnseen == 0 && *procSt.NumMessages == 0
				}
				return *inboxSt.NumMessages == 0 && *procSt.NumMessages == 2
			})
			stop()
		})
	}
}

func TestIMAPPollsWithoutIdle(t *testing.T) {
	env := conntest.New(t, store.SQLite)
	srv := newMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}})
	st := settingsFor(srv, nil)
	st["imap"].(map[string]any)["poll_interval"] = "1s"
	row := env.AddChannel(Kind, "mail", st, secretsFor(), "")
	c := directChannel(t, env, row, nil)
	stop := runStart(c, env.Inbox)
	defer stop()
	srv.deliver(t, "INBOX", customerMail("p@example.net", "support@example.com", "poll", "p@example.net", "polled"))
	env.Eventually("polled message", func() bool { return ticketOf(t, env, row.ID, "p@example.net") != 0 })
}

func TestIMAPBadLoginReportsError(t *testing.T) {
	env := conntest.New(t, store.SQLite)
	srv := newMemIMAP(t, nil)
	row := env.AddChannel(Kind, "mail", settingsFor(srv, nil), map[string]any{"imap_password": "wrong"}, "")
	var last error
	c := directChannel(t, env, row, func(s string, err error) {
		if s == connectors.StateError {
			last = err
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Start(ctx, env.Inbox)
	if err == nil || last == nil || !strings.Contains(err.Error(), "login") {
		t.Fatalf("Start = %v, status error %v", err, last)
	}
}
