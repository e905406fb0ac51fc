package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// eventStream is the agent's side of the live inbox: GET /api/v1/events,
// the server-sent event stream the web UI listens on. It records when each
// message.created event arrived, by message id.
type eventStream struct {
	mu      sync.Mutex
	arrived map[int64]time.Time
	changed chan struct{} // closed and replaced on every arrival
	done    chan struct{}
	err     error
}

// openEvents connects the stream and returns once the server has answered
// (its ": connected" comment), so nothing published afterwards is missed.
func openEvents(ctx context.Context, cl *client) (*eventStream, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", cl.base+"/api/v1/events", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cl.token)
	req.Header.Set("Accept", "text/event-stream")
	// The stream outlives any per-request timeout.
	resp, err := (&http.Client{Transport: cl.http.Transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("event stream: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("event stream: %s", resp.Status)
	}
	s := &eventStream{arrived: map[int64]time.Time{}, changed: make(chan struct{}), done: make(chan struct{})}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	connected := make(chan struct{})
	go func() {
		defer close(s.done)
		defer resp.Body.Close()
		var event string
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ": connected") && !signalled:
				signalled = true
				close(connected)
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "message.created":
				at := time.Now()
				var e struct {
					MessageID int64 `json:"message_id"`
				}
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e) == nil && e.MessageID > 0 {
					s.mu.Lock()
					if _, ok := s.arrived[e.MessageID]; !ok {
						s.arrived[e.MessageID] = at
					}
					close(s.changed)
					s.changed = make(chan struct{})
					s.mu.Unlock()
				}
			case line == "":
				event = ""
			}
		}
		s.mu.Lock()
		s.err = sc.Err()
		s.mu.Unlock()
		if !signalled {
			close(connected)
		}
	}()
	select {
	case <-connected:
		return s, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("event stream: %w", ctx.Err())
	}
}

// waitAll waits until every id has arrived, or ctx ends, and returns the
// arrival times it has and how many are missing. The server drops events for
// a stream that does not keep up (hanbox_bus_dropped_total), so a missing
// event is reported, not waited for forever.
func (s *eventStream) waitAll(ctx context.Context, ids []int64) (map[int64]time.Time, int, error) {
	for {
		s.mu.Lock()
		out := make(map[int64]time.Time, len(ids))
		for _, id := range ids {
			if at, ok := s.arrived[id]; ok {
				out[id] = at
			}
		}
		changed := s.changed
		s.mu.Unlock()
		missing := len(ids) - len(out)
		if missing == 0 {
			return out, 0, nil
		}
		select {
		case <-changed:
		case <-s.done:
			s.mu.Lock()
			err := s.err
			s.mu.Unlock()
			return out, missing, fmt.Errorf("event stream ended with %d message events missing: %v", missing, err)
		case <-ctx.Done():
			return out, missing, nil
		}
	}
}
