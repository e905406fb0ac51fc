package api_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store/storetest"
)

// TestEventStreamTouchesPresence: opening the event stream (an open web
// inbox) records the agent as seen, which presence-derived availability
// reads.
func TestEventStreamTouchesPresence(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			a, err := e.srv.Store.GetAgent(e.ctx, e.adminID)
			if err != nil || a.SeenAt != nil {
				t.Fatalf("before: %v %v", a.SeenAt, err)
			}
			ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+e.admin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "retry:") {
				t.Fatalf("stream start %q %v", line, err)
			}
			// The touch follows the stream's first bytes; wait for it (bounded).
			deadline := time.Now().Add(60 * time.Second)
			for {
				a, err = e.srv.Store.GetAgent(e.ctx, e.adminID)
				if err != nil {
					t.Fatal(err)
				}
				if a.SeenAt != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the open stream did not record the agent as seen")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if time.Since(*a.SeenAt) > time.Minute {
				t.Fatalf("seen at %v", a.SeenAt)
			}
		})
	}
}
