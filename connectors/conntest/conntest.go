// Package conntest runs a whole Hanbox core (store, inbox, connector runtime
// and outbox dispatcher) inside a test, so connectors are tested through the
// same path as in production.
package conntest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// Env is a running core.
type Env struct {
	T       testing.TB
	Store   *store.Store
	Inbox   *inbox.Service
	Runtime *connectors.Runtime
	Ctx     context.Context
	cancel  context.CancelFunc
	started bool
	// Dispatch tunes the dispatcher; set before Start.
	Dispatch inbox.DispatchOptions
	// HTTPClient is handed to connectors; set before Start.
	HTTPClient *http.Client
	BaseURL    string
}

// New opens a store of the given dialect and an inbox over it. Call Start
// after adding channels.
func New(t testing.TB, dialect string) *Env {
	t.Helper()
	return NewWith(t, dialect, inbox.Options{})
}

// NewWith is New with inbox options (a free-disk floor, a fake disk);
// Logger and BaseURL are set by the Env.
func NewWith(t testing.TB, dialect string, opts inbox.Options) *Env {
	t.Helper()
	st := storetest.Open(t, dialect)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Logger, opts.BaseURL = log, "http://hanbox.test"
	svc := inbox.New(st, opts)
	ctx, cancel := context.WithCancel(context.Background())
	e := &Env{T: t, Store: st, Inbox: svc, Ctx: ctx, cancel: cancel, BaseURL: "http://hanbox.test",
		Dispatch: inbox.DispatchOptions{BaseBackoff: 50 * time.Millisecond, MaxBackoff: time.Second, Poll: 50 * time.Millisecond}}
	t.Cleanup(e.Stop)
	return e
}

// AddChannel inserts an enabled channel row. token, when not empty, becomes
// the channel's inbound bearer token.
func (e *Env) AddChannel(kind, name string, settings, secrets map[string]any, token string) store.Channel {
	e.T.Helper()
	ch := store.Channel{Kind: kind, Name: name, PublicKey: inbox.NewPublicID(), Settings: settings, Secrets: secrets, Enabled: true}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		ch.TokenHash = hex.EncodeToString(sum[:])
	}
	if err := e.Store.DB.Create(&ch).Error; err != nil {
		e.T.Fatalf("conntest: add channel: %v", err)
	}
	if e.started {
		if err := e.Runtime.Reload(e.Ctx); err != nil {
			e.T.Fatalf("conntest: reload: %v", err)
		}
	}
	return ch
}

// Start runs the connector runtime and the dispatcher in the background.
func (e *Env) Start() {
	e.T.Helper()
	e.Runtime = connectors.NewRuntime(e.Store, e.Inbox, connectors.RuntimeOptions{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), BaseURL: e.BaseURL, HTTPClient: e.HTTPClient})
	go e.Runtime.Run(e.Ctx)
	go e.Inbox.RunDispatcher(e.Ctx, e.Runtime, e.Dispatch)
	// Run loads channels asynchronously; wait until it has.
	e.started = true
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := e.Runtime.Reload(e.Ctx); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the runtime and dispatcher.
func (e *Env) Stop() {
	if e.cancel != nil {
		e.cancel()
		time.Sleep(20 * time.Millisecond)
	}
}

// Eventually polls cond until it holds or 15s pass.
func (e *Env) Eventually(what string, cond func() bool) {
	e.T.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.T.Fatalf("conntest: timed out waiting for %s", what)
}

// Tickets returns all tickets, oldest first.
func (e *Env) Tickets() []store.Ticket {
	var ts []store.Ticket
	if err := e.Store.DB.Preload("Contact").Order("id").Find(&ts).Error; err != nil {
		e.T.Fatalf("conntest: tickets: %v", err)
	}
	return ts
}

// Messages returns a ticket's messages in order.
func (e *Env) Messages(ticketID int64) []store.Message {
	ms, err := e.Inbox.Messages(context.Background(), ticketID)
	if err != nil {
		e.T.Fatalf("conntest: messages: %v", err)
	}
	return ms
}

// Agent creates an active agent.
func (e *Env) Agent(email, name string) store.Agent {
	a := store.Agent{Email: email, Name: name, Role: store.RoleAgent, Active: true}
	if err := e.Store.DB.Create(&a).Error; err != nil {
		e.T.Fatalf("conntest: agent: %v", err)
	}
	return a
}
