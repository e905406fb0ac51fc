package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
)

// events streams bus events to an agent as server-sent events. Each event is
// one "data:" line of JSON with its type as the SSE event name; a comment
// line every 25 s keeps proxies from closing an idle stream. A client that
// reconnects re-fetches what it shows: events are not replayed.
func (a *API) events(w http.ResponseWriter, r *http.Request) (int, any, error) {
	fl, ok := w.(http.Flusher)
	if !ok {
		return 0, nil, errf(http.StatusInternalServerError, "internal", "streaming unsupported")
	}
	ctx := r.Context()
	ch := a.Inbox.Bus().Subscribe(ctx, 256, nil)
	if a.SSEClients != nil {
		a.SSEClients.Add(1)
		defer a.SSEClients.Add(-1)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n: connected\n\n")
	fl.Flush()
	me := principal(r).Agent.ID
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0, nil, nil
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return 0, nil, nil
			}
			fl.Flush()
		case e, ok := <-ch:
			if !ok {
				return 0, nil, nil
			}
			if (e.Type == inbox.EventAgentTyping || e.Type == inbox.EventAgentViewing) && e.AgentID == me {
				continue // an agent's own presence is not news to them
			}
			b, err := json.Marshal(e)
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, b); err != nil {
				return 0, nil, nil
			}
			fl.Flush()
		}
	}
}
