package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// Runtime runs one connector per enabled channel row: it builds them through
// the registry, starts them with the inbox as their Sink, restarts them with
// backoff when Start fails, routes webhook requests to them, and hands them
// to the outbox dispatcher (it implements inbox.Senders).
//
// The runtime is the one place under connectors/ that holds the store: it
// reads channel rows and records their status, and implements State and
// Locker for the connectors over it.
type Runtime struct {
	st   *store.Store
	svc  *inbox.Service
	opts RuntimeOptions
	log  *slog.Logger

	reloadMu sync.Mutex // one Reload at a time, so no channel starts twice
	mu       sync.RWMutex
	running  map[int64]*instance
	byKey    map[string]*instance
	ctx      context.Context
}

// RuntimeOptions configure a Runtime.
type RuntimeOptions struct {
	Logger     *slog.Logger
	BaseURL    string
	HTTPClient *http.Client
	// OnStatus, if set, observes every connector status change (metrics).
	OnStatus func(ch store.Channel, state string, err error)
}

type instance struct {
	ch     store.Channel
	conn   Connector
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	state   string
	lastErr string
}

// The inbox fills the optional doors connectors look for.
var (
	_ Identifier = (*inbox.Service)(nil)
	_ PageViewer = (*inbox.Service)(nil)
)

// NewRuntime returns a runtime; call Run to start channels.
func NewRuntime(st *store.Store, svc *inbox.Service, opts RuntimeOptions) *Runtime {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Runtime{st: st, svc: svc, opts: opts, log: opts.Logger,
		running: map[int64]*instance{}, byKey: map[string]*instance{}}
}

// Run starts every enabled channel and blocks until ctx ends, then stops them.
func (r *Runtime) Run(ctx context.Context) error {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
	if err := r.Reload(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	r.mu.Lock()
	insts := make([]*instance, 0, len(r.running))
	for _, in := range r.running {
		insts = append(insts, in)
	}
	r.mu.Unlock()
	for _, in := range insts {
		r.stop(in)
	}
	return nil
}

// Reload brings the running set in line with the channel rows: new or
// changed channels are (re)started, disabled or deleted ones stopped.
func (r *Runtime) Reload(ctx context.Context) error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	var chans []store.Channel
	if err := r.st.DB.WithContext(ctx).Order("id").Find(&chans).Error; err != nil {
		return fmt.Errorf("connectors: load channels: %w", err)
	}
	r.mu.Lock()
	runCtx := r.ctx
	r.mu.Unlock()
	if runCtx == nil {
		runCtx = ctx
	}
	want := map[int64]store.Channel{}
	for _, ch := range chans {
		if ch.Enabled {
			want[ch.ID] = ch
		}
	}
	r.mu.Lock()
	var toStop []*instance
	for id, in := range r.running {
		ch, ok := want[id]
		if !ok || !ch.UpdatedAt.Equal(in.ch.UpdatedAt) {
			toStop = append(toStop, in)
			delete(r.running, id)
			delete(r.byKey, in.ch.PublicKey)
		}
	}
	r.mu.Unlock()
	for _, in := range toStop {
		r.stop(in)
	}
	r.svc.SetHistoryChannels(hiddenFromHistory(chans))
	var notifiers []int64
	for _, ch := range chans {
		if !ch.Enabled {
			continue
		}
		r.mu.RLock()
		in, ok := r.running[ch.ID]
		r.mu.RUnlock()
		if !ok {
			var err error
			in, err = r.start(runCtx, ch)
			if err != nil {
				r.log.Error("channel not started", "channel_id", ch.ID, "kind", ch.Kind, "err", err)
				r.setStatus(ch, StateError, err)
				continue
			}
		}
		if _, ok := in.conn.(Notifier); ok {
			notifiers = append(notifiers, ch.ID)
		}
	}
	r.svc.SetNotifiers(notifiers)
	return nil
}

// Check builds a connector for ch without starting it and runs its
// Validator, so an admin's bad settings are refused with the connector's
// own message before they are saved.
func (r *Runtime) Check(ctx context.Context, ch store.Channel) error {
	f, ok := Lookup(ch.Kind)
	if !ok {
		return fmt.Errorf("unknown channel kind %q", ch.Kind)
	}
	in := &instance{ch: ch}
	conn, err := f(ToChannel(ch), r.deps(ch, in, true))
	if err != nil {
		return err
	}
	if c, ok := conn.(Closer); ok {
		defer c.Close()
	}
	if v, ok := conn.(Validator); ok {
		return v.Validate(ctx)
	}
	return nil
}

func (r *Runtime) deps(ch store.Channel, in *instance, dry bool) Deps {
	return Deps{
		Logger:     r.log.With("channel_id", ch.ID, "kind", ch.Kind),
		State:      channelState{st: r.st, id: ch.ID},
		Quarantine: r.svc,
		Status: func(state string, err error) {
			if dry {
				return
			}
			in.mu.Lock()
			in.state = state
			if err != nil {
				in.lastErr = err.Error()
			} else if state == StateConnected {
				in.lastErr = ""
			}
			in.mu.Unlock()
			r.setStatus(ch, state, err)
		},
		// Each door is the inbox itself; these assignments are the
		// compile-time check that it opens every one.
		Sink:       r.svc,
		Desk:       r.svc,
		Edits:      r.svc,
		Messages:   r.svc,
		Bounces:    r.svc,
		Visitors:   r.svc,
		Pages:      r.svc,
		Links:      r.svc,
		Tickets:    r.svc,
		Bus:        r.svc.Bus(),
		BaseURL:    r.opts.BaseURL,
		Locker:     r.st,
		Clustered:  r.st.Dialect == store.Postgres,
		HTTPClient: r.opts.HTTPClient,
	}
}

func (r *Runtime) start(ctx context.Context, ch store.Channel) (*instance, error) {
	f, ok := Lookup(ch.Kind)
	if !ok {
		return nil, fmt.Errorf("unknown channel kind %q", ch.Kind)
	}
	cctx, cancel := context.WithCancel(ctx)
	in := &instance{ch: ch, cancel: cancel, done: make(chan struct{}), state: StateConnecting}
	deps := r.deps(ch, in, false)
	conn, err := f(ToChannel(ch), deps)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("build %s channel %d: %w", ch.Kind, ch.ID, err)
	}
	if v, ok := conn.(Validator); ok {
		if err := v.Validate(cctx); err != nil {
			cancel()
			return nil, fmt.Errorf("invalid %s channel %d: %w", ch.Kind, ch.ID, err)
		}
	}
	in.conn = conn
	r.mu.Lock()
	r.running[ch.ID] = in
	r.byKey[ch.PublicKey] = in
	r.mu.Unlock()
	go r.loop(cctx, in, deps)
	return in, nil
}

// loop runs Start, restarting it with backoff (1s doubling to 5m) until ctx
// ends: a channel is never silently disabled by an error.
func (r *Runtime) loop(ctx context.Context, in *instance, deps Deps) {
	defer close(in.done)
	backoff := time.Second
	for {
		startedAt := time.Now()
		err := in.conn.Start(ctx, r.svc)
		if ctx.Err() != nil {
			deps.Status(StateStopped, nil)
			return
		}
		if err == nil {
			err = errors.New("connector stopped unexpectedly")
		}
		if time.Since(startedAt) > 5*time.Minute {
			backoff = time.Second
		}
		deps.Status(StateError, err)
		deps.Logger.Warn("channel stopped; restarting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			deps.Status(StateStopped, nil)
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Minute)
	}
}

func (r *Runtime) stop(in *instance) {
	in.cancel()
	select {
	case <-in.done:
	case <-time.After(10 * time.Second):
		r.log.Warn("channel did not stop in time", "channel_id", in.ch.ID)
	}
	if c, ok := in.conn.(Closer); ok {
		if err := c.Close(); err != nil {
			r.log.Warn("channel close", "channel_id", in.ch.ID, "err", err)
		}
	}
}

func (r *Runtime) setStatus(ch store.Channel, state string, err error) {
	up := map[string]any{"status": state}
	if err != nil {
		up["last_error"] = err.Error()
	} else if state == StateConnected {
		up["last_error"] = ""
	}
	// UpdateColumns leaves updated_at alone, so a status change is not a config change.
	if e := r.st.DB.Model(&store.Channel{}).Where("id = ?", ch.ID).UpdateColumns(up).Error; e != nil {
		r.log.Warn("record channel status", "channel_id", ch.ID, "err", e)
	}
	if r.opts.OnStatus != nil {
		r.opts.OnStatus(ch, state, err)
	}
}

// Sender returns the running connector of a channel (inbox.Senders).
func (r *Runtime) Sender(channelID int64) (inbox.Sender, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	in, ok := r.running[channelID]
	if !ok {
		return nil, false
	}
	return in.conn, true
}

// PageHostPath returns the path of the first running channel that serves
// the live part of conversation pages (see PageHost); ok is false when none
// runs, and pages are then read-only.
func (r *Runtime) PageHostPath() (path string, ok bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var best *instance
	for _, in := range r.running {
		if _, is := in.conn.(PageHost); is && (best == nil || in.ch.ID < best.ch.ID) {
			best = in
		}
	}
	if best == nil {
		return "", false
	}
	return best.conn.(PageHost).PageHostPath(), true
}

// HistoryKey is the channel setting that shows or hides a channel's
// messages in customers' history (the widget, conversation pages). A kind
// whose description has a field of that key defaults to its Default; other
// kinds are always shown.
const HistoryKey = "customer_history"

// hiddenFromHistory lists the channels whose messages customers never see
// in their history.
func hiddenFromHistory(chans []store.Channel) []int64 {
	var out []int64
	for _, ch := range chans {
		show := true
		if d, ok := Describe(ch.Kind); ok {
			if f, ok := d.Field(HistoryKey); ok {
				show, _ = f.Default.(bool)
			}
		}
		if v, ok := ch.Settings[HistoryKey].(bool); ok {
			show = v
		}
		if !show {
			out = append(out, ch.ID)
		}
	}
	return out
}

// Connector returns the running connector of a channel.
func (r *Runtime) Connector(channelID int64) (Connector, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	in, ok := r.running[channelID]
	if !ok {
		return nil, false
	}
	return in.conn, true
}

// Status returns a channel's live state and last error.
func (r *Runtime) Status(channelID int64) (state, lastErr string, running bool) {
	r.mu.RLock()
	in, ok := r.running[channelID]
	r.mu.RUnlock()
	if !ok {
		return StateStopped, "", false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.state, in.lastErr, true
}

// ServeHTTP routes /connectors/{kind}/{public key}/... to the channel's
// Handler with that prefix stripped.
func (r *Runtime) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rest := strings.TrimPrefix(req.URL.Path, "/connectors/")
	kind, rest, _ := strings.Cut(rest, "/")
	key, rest, _ := strings.Cut(rest, "/")
	r.mu.RLock()
	in, ok := r.byKey[key]
	r.mu.RUnlock()
	if !ok || in.ch.Kind != kind {
		http.Error(w, `{"error":{"code":"not_found","message":"no such channel"}}`, http.StatusNotFound)
		return
	}
	h, ok := in.conn.(Handler)
	if !ok {
		http.Error(w, `{"error":{"code":"not_found","message":"channel takes no requests"}}`, http.StatusNotFound)
		return
	}
	req2 := req.Clone(req.Context())
	req2.URL.Path = "/" + rest
	req2.URL.RawPath = ""
	h.ServeHTTP(w, req2)
}

// ServeChannel routes a request to the handler of the channel with id,
// at path (used for /api/v1/channels/{id}/inbound).
func (r *Runtime) ServeChannel(w http.ResponseWriter, req *http.Request, id int64, path string) bool {
	r.mu.RLock()
	in, ok := r.running[id]
	r.mu.RUnlock()
	if !ok {
		return false
	}
	h, ok := in.conn.(Handler)
	if !ok {
		return false
	}
	req2 := req.Clone(req.Context())
	req2.URL.Path = path
	req2.URL.RawPath = ""
	h.ServeHTTP(w, req2)
	return true
}

// ToChannel converts a channel row to what a connector sees.
func ToChannel(ch store.Channel) Channel {
	return Channel{ID: ch.ID, Kind: ch.Kind, Name: ch.Name, PublicKey: ch.PublicKey, TokenHash: ch.TokenHash,
		Settings: map[string]any(ch.Settings), Secrets: map[string]any(ch.Secrets)}
}

var _ inbox.Senders = (*Runtime)(nil)

type channelState struct {
	st *store.Store
	id int64
}

func (c channelState) Get(ctx context.Context, key string) (string, error) {
	return c.st.GetState(ctx, c.id, key)
}

func (c channelState) Put(ctx context.Context, key, value string) error {
	return c.st.PutState(ctx, c.id, key, value)
}

// ErrCannotReprocess is returned when a channel cannot take quarantined input back.
var ErrCannotReprocess = errors.New("connectors: this channel is not running or cannot re-import quarantined input")

// Reprocess hands quarantined raw input back to the channel that received it.
func (r *Runtime) Reprocess(ctx context.Context, channelID int64, raw []byte, externalID string) error {
	r.mu.RLock()
	in, ok := r.running[channelID]
	r.mu.RUnlock()
	if !ok {
		return ErrCannotReprocess
	}
	rp, ok := in.conn.(Reprocessor)
	if !ok {
		return ErrCannotReprocess
	}
	return rp.Reprocess(ctx, raw, externalID)
}
