package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// memState is an in-memory connectors.State.
type memState struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memState) Get(_ context.Context, k string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		return "", store.ErrNotFound
	}
	return v, nil
}

func (s *memState) Put(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

// gateSink holds the first `hold` Ingest calls until release is closed.
type gateSink struct {
	mu      sync.Mutex
	hold    int
	started chan struct{}
	release chan struct{}
	got     []string
}

func (s *gateSink) Ingest(_ context.Context, in *inbox.Inbound) (inbox.IngestResult, error) {
	s.mu.Lock()
	wait := s.hold > 0
	s.hold--
	s.mu.Unlock()
	if wait {
		s.started <- struct{}{}
		<-s.release
	}
	s.mu.Lock()
	s.got = append(s.got, in.ExternalID)
	s.mu.Unlock()
	return inbox.IngestResult{TicketID: 1, MessageID: 1}, nil
}

// TestAcceptedEventsDrainOnStop: events accepted before the channel stops
// are still stored, and nothing is accepted afterwards.
func TestAcceptedEventsDrainOnStop(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/auth.test", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"ok":true,"team_id":"T0HANBOX1","user_id":"U0HANBOTX","bot_id":"B0HANBOTX"}`)
	})
	mux.HandleFunc("/users.info", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"ok":true,"user":{"id":"U0CUSTMR1","team_id":"T0CUSTOMR","name":"minsu","profile":{"real_name":"김민수","email":"minsu@customer.kr"}}}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	conn, err := New(connectors.Channel{ID: 7, Kind: Kind,
		Settings: map[string]any{"api_url": srv.URL + "/", "customer_channels": []any{"C0CUSTOMR"}},
		Secrets:  map[string]any{"bot_token": "xoxb-t", "signing_secret": "s"}},
		connectors.Deps{State: &memState{m: map[string]string{}}})
	if err != nil {
		t.Fatal(err)
	}
	c := conn
	sink := &gateSink{hold: workers, started: make(chan struct{}, workers), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx, sink) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c.mu.Lock()
		ok := c.accepting
		c.mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("channel never started accepting")
		}
		time.Sleep(10 * time.Millisecond)
	}

	raw, err := os.ReadFile("testdata/event_customer_message.json")
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	for i := range n {
		var env map[string]any
		_ = json.Unmarshal(raw, &env)
		ev := env["event"].(map[string]any)
		env["event_id"] = fmt.Sprintf("Ev%d", i)
		ev["ts"], ev["subtype"] = fmt.Sprintf("1764000200.00000%d", i), ""
		delete(ev, "files")
		b, _ := json.Marshal(env)
		if res := c.accept(job{kind: jobEvent, id: fmt.Sprintf("Ev%d", i), raw: b}); res != acceptQueued {
			t.Fatalf("event %d: accept = %v", i, res)
		}
	}
	for range workers {
		<-sink.started // both workers are busy; the rest waits in the queue
	}
	cancel()
	// Stopping: new events are refused (Slack will retry them elsewhere).
	deadline = time.Now().Add(10 * time.Second)
	for i := 0; c.accept(job{kind: jobEvent, id: fmt.Sprint("late", i), raw: []byte(`{}`)}) != acceptBusy; i++ {
		if time.Now().After(deadline) {
			t.Fatal("still accepting after stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(sink.release)
	if err := <-done; err != nil {
		t.Fatalf("Start returned %v", err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.got) != n {
		t.Fatalf("ingested %d of %d accepted events: %v", len(sink.got), n, sink.got)
	}
	for _, id := range sink.got {
		if !strings.HasPrefix(id, "C0CUSTOMR:1764000200.00000") {
			t.Fatalf("external id %q", id)
		}
	}
}
