package email

import (
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestIMAPSingleOwnerAcrossInstances: on PostgreSQL two instances of one
// channel share the mailbox through an advisory lock; the standby takes over
// when the owner stops.
func TestIMAPSingleOwnerAcrossInstances(t *testing.T) {
	if !contains(storetest.Dialects(), store.Postgres) {
		t.Skip("needs HANBOX_TEST_POSTGRES (SQLite has one process per file)")
	}
	old := lockRetry
	lockRetry = 100 * time.Millisecond
	t.Cleanup(func() { lockRetry = old })
	env := conntest.New(t, store.Postgres)
	srv := newMemIMAP(t, nil)
	row := env.AddChannel(Kind, "mail", settingsFor(srv, nil), secretsFor(), "")
	instance := func(states *[]string, mu *sync.Mutex) *Channel {
		c := directChannel(t, env, row, func(s string, _ error) { mu.Lock(); *states = append(*states, s); mu.Unlock() })
		c.deps.Locker = env.Store
		return c
	}
	var mu sync.Mutex
	var s1, s2 []string
	sink1 := &countingSink{inner: env.Inbox, calls: map[string]int{}}
	sink2 := &countingSink{inner: env.Inbox, calls: map[string]int{}}
	stop1 := runStart(instance(&s1, &mu), sink1)
	env.Eventually("owner connected", func() bool { mu.Lock(); defer mu.Unlock(); return contains(s1, connectors.StateConnected) })
	stop2 := runStart(instance(&s2, &mu), sink2)
	defer stop2()
	srv.deliver(t, "INBOX", customerMail("a@example.net", "support@example.com", "a", "own1@example.net", "a"))
	env.Eventually("owner ingests", func() bool { return len(sink1.snapshot()) == 1 })
	mu.Lock()
	if contains(s2, connectors.StateConnected) || len(sink2.snapshot()) != 0 {
		t.Errorf("standby connected while the owner held the lock: %v", s2)
	}
	mu.Unlock()
	if err := stop1(); err != nil {
		t.Fatal(err)
	}
	env.Eventually("standby takes over", func() bool { mu.Lock(); defer mu.Unlock(); return contains(s2, connectors.StateConnected) })
	srv.deliver(t, "INBOX", customerMail("b@example.net", "support@example.com", "b", "own2@example.net", "b"))
	env.Eventually("standby ingests", func() bool { return sink2.snapshot()["own2@example.net"] == 1 })
	if n := sink2.snapshot()["own1@example.net"]; n != 0 {
		t.Errorf("standby re-offered the owner's message %d times", n)
	}
}
