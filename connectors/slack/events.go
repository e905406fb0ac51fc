package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

// MaxRequestBytes bounds an Events API or interactivity request.
const MaxRequestBytes = 1 << 20

// Job kinds.
const (
	jobEvent       = "event"
	jobInteraction = "interaction"
)

// job is one accepted Slack payload waiting for a worker.
type job struct {
	kind string
	id   string // event_id or action ts, for logs and quarantine
	raw  []byte // the event_callback JSON or the interaction payload JSON
}

// errBadInput marks payloads that cannot be processed however often they are
// retried; they are quarantined at once.
var errBadInput = errors.New("slack: malformed payload")

// ServeHTTP implements connectors.Handler: POST /events (Events API) and
// POST /interactions (button clicks). Requests must carry a valid Slack
// signature no older than five minutes; they are answered at once and
// processed in the background.
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/events" && r.URL.Path != "/interactions" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	if err := c.verify(r.Header, body); err != nil {
		c.log.Warn("slack request rejected", "path", r.URL.Path, "err", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	if r.URL.Path == "/interactions" {
		c.serveInteraction(w, body)
		return
	}
	c.serveEvent(w, r, body)
}

// verify checks X-Slack-Signature and X-Slack-Request-Timestamp.
func (c *Channel) verify(h http.Header, body []byte) error {
	if c.secret == "" {
		return errors.New("no signing_secret configured")
	}
	sv, err := slackgo.NewSecretsVerifier(h, c.secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

// outer is the part of an Events API envelope needed to route it.
type outer struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	TeamID    string `json:"team_id"`
	Event     struct {
		Type string `json:"type"`
	} `json:"event"`
}

func (c *Channel) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var o outer
	if err := json.Unmarshal(body, &o); err != nil {
		c.quarantine(r.Context(), "", body, "events api body is not JSON: "+err.Error())
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	switch o.Type {
	case slackevents.URLVerification:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": o.Challenge})
		return
	case slackevents.AppRateLimited:
		c.log.Warn("slack is rate limiting this app's events")
		w.WriteHeader(http.StatusOK)
		return
	case slackevents.CallbackEvent:
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	if retry := r.Header.Get("X-Slack-Retry-Num"); retry != "" {
		c.log.Info("slack event redelivered", "event_id", o.EventID, "retry", retry, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	switch c.accept(job{kind: jobEvent, id: o.EventID, raw: body}) {
	case acceptQueued, acceptDuplicate:
		w.WriteHeader(http.StatusOK)
	default:
		// Slack retries: the event is not lost.
		w.Header().Set("Retry-After", "10")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}
}

func (c *Channel) serveInteraction(w http.ResponseWriter, body []byte) {
	vals, err := url.ParseQuery(string(body))
	payload := vals.Get("payload")
	if err != nil || payload == "" {
		http.Error(w, "payload missing", http.StatusBadRequest)
		return
	}
	var probe struct {
		TriggerID string `json:"trigger_id"` // one per click: dedupes redeliveries
	}
	_ = json.Unmarshal([]byte(payload), &probe)
	if c.accept(job{kind: jobInteraction, id: probe.TriggerID, raw: []byte(payload)}) == acceptBusy {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

type acceptResult int

const (
	acceptQueued acceptResult = iota
	acceptDuplicate
	acceptBusy
)

// accept queues j for the workers unless its id was seen before.
func (c *Channel) accept(j job) acceptResult {
	if j.id != "" && !c.seen.add(j.kind+":"+j.id) {
		return acceptDuplicate
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.accepting {
		select {
		case c.queue <- j:
			return acceptQueued
		default:
		}
	}
	if j.id != "" {
		c.seen.remove(j.kind + ":" + j.id)
	}
	return acceptBusy
}

func (c *Channel) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-c.queue:
			c.run(ctx, j)
		}
	}
}

// drain processes what was accepted before shutdown, each job with a
// bounded context of its own.
func (c *Channel) drain() {
	for {
		select {
		case j := <-c.queue:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c.run(ctx, j)
			cancel()
		default:
			return
		}
	}
}

// run processes j, retrying transient failures a few times; what still
// fails is quarantined so an admin sees it.
func (c *Channel) run(ctx context.Context, j job) {
	var err error
	for attempt := 0; ; attempt++ {
		if err = c.process(ctx, j); err == nil {
			return
		}
		if errors.Is(err, errBadInput) || errors.Is(err, inbox.ErrInvalid) || connectors.IsPermanent(err) || attempt == 2 {
			break
		}
		c.log.Warn("slack event failed; retrying", "id", j.id, "attempt", attempt+1, "err", err)
		if !connectors.Sleep(ctx, time.Duration(1<<attempt)*time.Second) {
			break
		}
	}
	if ctx.Err() != nil && !errors.Is(err, errBadInput) {
		// Interrupted by shutdown, not broken: one more try on its own clock.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = c.process(dctx, j)
		cancel()
		if err == nil {
			return
		}
	}
	c.log.Error("slack event not processed", "id", j.id, "kind", j.kind, "err", err)
	c.quarantine(context.WithoutCancel(ctx), j.id, j.raw, fmt.Sprintf("slack %s: %v", j.kind, err))
}

func (c *Channel) quarantine(ctx context.Context, id string, raw []byte, reason string) {
	if c.deps.Quarantine == nil {
		return
	}
	if err := c.deps.Quarantine.Quarantine(ctx, c.ch.ID, id, raw, reason); err != nil {
		c.log.Error("slack quarantine", "err", err)
	}
}

// process handles one payload.
func (c *Channel) process(ctx context.Context, j job) error {
	if j.kind == jobInteraction {
		var ic slackgo.InteractionCallback
		if err := json.Unmarshal(j.raw, &ic); err != nil {
			return fmt.Errorf("%w: interaction: %v", errBadInput, err)
		}
		return c.onInteraction(ctx, &ic)
	}
	var o outer
	if err := json.Unmarshal(j.raw, &o); err != nil {
		return fmt.Errorf("%w: event: %v", errBadInput, err)
	}
	if o.Event.Type != "message" {
		return nil // the app subscribes to message events only
	}
	ev, err := slackevents.ParseEvent(j.raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		return fmt.Errorf("%w: event: %v", errBadInput, err)
	}
	msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		return nil
	}
	team := o.TeamID
	if team == "" {
		team = c.identity().TeamID
	}
	return c.onMessage(ctx, team, msg)
}
