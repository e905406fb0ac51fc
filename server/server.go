package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/hanbox/hanbox/api"
	"github.com/hanbox/hanbox/assist"
	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/egress"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/report"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
	"github.com/hanbox/hanbox/webhook"
)

// Version is set at build time with -ldflags "-X github.com/hanbox/hanbox/server.Version=...".
var Version = "dev"

// Server is an assembled Hanbox.
type Server struct {
	Config  Config
	Log     *slog.Logger
	Store   *store.Store
	Inbox   *inbox.Service
	Auth    *auth.Service
	Runtime *connectors.Runtime
	API     *api.API
	// Reports computes the reports (the API's), and builds their facts.
	Reports *report.Service
	// Jobs is the durable scheduler; features register their handlers on
	// it before Start.
	Jobs *jobs.Scheduler
	// Webhooks delivers events to admins' subscribed endpoints.
	Webhooks *webhook.Service
	// Audit records admin actions and sign-ins (see package audit).
	Audit *audit.Recorder
	// NPS holds the NPS survey definitions and their jobs.
	NPS *inbox.NPS
	// Campaigns holds the life-cycle messages and their jobs.
	Campaigns *inbox.Campaigns
	Registry  *prometheus.Registry
	// Dispatch tunes the outbox dispatcher and Consume the durable event
	// consumers; set them before Start.
	Dispatch inbox.DispatchOptions
	Consume  inbox.ConsumeOptions

	handler      http.Handler
	relayDropped *prometheus.CounterVec
	// done is closed when everything Start started has stopped.
	done    chan struct{}
	stopErr error
}

// Mounter adds routes to the server's mux: the web UI and the widget script
// are mounted this way by cmd/hanbox, so this package does not depend on them.
type Mounter func(mux *http.ServeMux, s *Server)

// New opens the store (migrating it) and wires everything, without serving.
func New(ctx context.Context, cfg Config, mounts ...Mounter) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger()
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := inbox.NewMetrics(reg)
	svc := inbox.New(st, inbox.Options{Logger: log, BaseURL: cfg.BaseURL, Metrics: metrics, ContactFallback: cfg.ContactFallback})
	chState := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hanbox_channel_up", Help: "1 when a channel's connector is connected."}, []string{"channel", "kind"})
	chErrors := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hanbox_channel_errors_total", Help: "Connector errors per channel."}, []string{"channel", "kind"})
	sse := prometheus.NewGauge(prometheus.GaugeOpts{Name: "hanbox_sse_clients", Help: "Live agent event streams."})
	relayDropped := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hanbox_relay_dropped_total",
		Help: "Events not carried to other instances, by reason (backlog, encode, notify, decode, read)."}, []string{"reason"})
	reg.MustRegister(chState, chErrors, sse, relayDropped)
	rt := connectors.NewRuntime(st, svc, connectors.RuntimeOptions{Logger: log, BaseURL: cfg.BaseURL,
		OnStatus: func(ch store.Channel, state string, err error) {
			id := fmt.Sprint(ch.ID)
			up := 0.0
			if state == connectors.StateConnected {
				up = 1
			}
			chState.WithLabelValues(id, ch.Kind).Set(up)
			if err != nil {
				chErrors.WithLabelValues(id, ch.Kind).Inc()
			}
		}})
	au := auth.New(st, auth.WithLogger(log))
	// Open event streams re-check their credentials when an agent loses
	// sessions or access, here and (through the relay) on other instances.
	au.OnRevoke(func(id int64) { svc.Bus().Publish(inbox.Event{Type: inbox.EventAuthChanged, AgentID: id}) })
	sched := jobs.New(st, jobs.Options{Logger: log, Drain: cfg.ShutdownTimeout})
	// Auto-assignment runs on the durable event path: every committed
	// arrival, resolution, availability or cap change drains team queues.
	if err := svc.AddConsumer(ctx, svc.Routing()); err != nil {
		st.Close()
		return nil, err
	}
	// Queues that waited outside a team's business hours drain when they
	// open, from a durable job.
	svc.EnableRoutingHours(sched)
	// Reports keep every status change (resolutions, reopenings, backlog)
	// and recount the hours of new messages.
	for _, c := range []inbox.Consumer{report.StatusConsumer(st), report.MessageConsumer(st)} {
		if err := svc.AddConsumer(ctx, c); err != nil {
			st.Close()
			return nil, err
		}
	}
	// CSAT after a resolved ticket: a durable consumer schedules the job.
	if err := svc.EnableSurveys(ctx, sched); err != nil {
		st.Close()
		return nil, err
	}
	// SLA due times and their warning and breach timers: a durable consumer
	// applies policies, the scheduler fires the timers.
	if err := svc.EnableSLA(ctx, sched, inbox.SLAOptions{}); err != nil {
		st.Close()
		return nil, err
	}
	// Presence: online agents with no open inbox for a while become away.
	if err := svc.EnablePresence(ctx, sched, inbox.PresenceOptions{Idle: cfg.AwayAfter}); err != nil {
		st.Close()
		return nil, err
	}
	// Automation rules, on the durable event path too (no-reply timers on
	// the scheduler).
	if err := svc.EnableRules(ctx, sched); err != nil {
		st.Close()
		return nil, err
	}
	rec := audit.New(st, audit.Options{Logger: log})
	if err := rec.EnablePruning(ctx, sched, cfg.AuditRetention); err != nil {
		st.Close()
		return nil, err
	}
	// Event webhooks: a durable consumer queues deliveries, jobs send them.
	// Admins' URLs are called through a client that refuses this host's
	// and its networks' addresses unless allowed.
	hooks := webhook.New(st, svc, sched, webhook.Options{Logger: log,
		Client: egress.Client(egress.Options{Timeout: 10 * time.Second, AllowPrivate: cfg.AllowPrivateWebhooks})})
	if err := hooks.Enable(ctx); err != nil {
		st.Close()
		return nil, err
	}
	// NPS rounds: a planner job per definition schedules one send job per
	// contact and round.
	nps := svc.EnableNPS(sched)
	// Life-cycle messages (campaigns): a durable consumer turns events,
	// milestones and replies into send jobs; planners page the audiences
	// of schedule, milestone and inactivity triggers.
	campaigns, err := svc.EnableCampaigns(ctx, sched)
	if err != nil {
		st.Close()
		return nil, err
	}
	// The answer bot acts on customer messages from the durable event path.
	if err := svc.EnableBot(ctx); err != nil {
		st.Close()
		return nil, err
	}
	// A visitor who leaves mid-flow does not hold the ticket for ever.
	svc.EnableBotHoldTimeout(sched)
	// Help articles on new email tickets (per email channel, off by default).
	if err := svc.AddConsumer(ctx, kb.New(st).AckConsumer(svc, cfg.BaseURL)); err != nil {
		st.Close()
		return nil, err
	}
	// Generative answers on channels that opt in (off until an admin sets
	// a provider).
	knowledge := kb.New(st)
	// Bytes of deleted article files kept for being recent go after the grace.
	knowledge.EnableBlobCollection(sched)
	helper := assist.New(st, knowledge, svc, cfg.BaseURL)
	if err := svc.AddConsumer(ctx, helper.AnswerConsumer()); err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{Config: cfg, Log: log, Store: st, Inbox: svc, Auth: au, Runtime: rt, Jobs: sched, Webhooks: hooks, Audit: rec, NPS: nps, Campaigns: campaigns, Registry: reg, relayDropped: relayDropped}
	s.Dispatch.Drain = cfg.ShutdownTimeout
	// Rule webhooks: the same guard.
	s.Dispatch.HTTPClient = egress.Client(egress.Options{Timeout: 60 * time.Second, AllowPrivate: cfg.AllowPrivateWebhooks})
	s.Consume.Drain = cfg.ShutdownTimeout
	s.Reports = report.New(st)
	s.API = api.New(api.Options{Reports: s.Reports, Inbox: svc, Store: st, Runtime: rt, Auth: au, Jobs: sched, Logger: log, Version: Version, SSEClients: sse, BaseURL: cfg.BaseURL, Webhooks: hooks, Audit: rec, NPS: nps, ImportMaxRows: cfg.ImportMaxRows, Campaigns: campaigns, KB: knowledge, Assist: helper})
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hanbox_outbox_pending", Help: "Outbox rows waiting for delivery."}, func() float64 {
		p, _, _ := svc.OutboxDepth(context.Background())
		return float64(p)
	}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hanbox_outbox_failed", Help: "Outbox rows that failed for good."}, func() float64 {
		_, f, _ := svc.OutboxDepth(context.Background())
		return float64(f)
	}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hanbox_events_parked", Help: "Durable events a consumer gave up on."}, func() float64 {
		n, _ := svc.ParkedCount(context.Background())
		return float64(n)
	}))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hanbox_bus_dropped_total",
		Help: "Live events dropped for slow subscribers (live screens re-fetch on reconnect)."}, func() float64 {
		return float64(svc.Bus().Dropped())
	}))
	s.handler = s.routes(mounts)
	return s, nil
}

func (s *Server) routes(mounts []Mounter) http.Handler {
	mux := http.NewServeMux()
	s.API.Mount(mux)
	mux.Handle("/connectors/", s.Runtime)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain")
		if err := s.Store.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "database unreachable")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	for _, m := range mounts {
		m(mux, s)
	}
	var h http.Handler = mux
	h = s.Auth.Identify(h)
	h = securityHeaders(h)
	h = compress(h)
	// Validate has checked the list.
	trusted, _ := web.ParsePrefixes(s.Config.TrustedProxies)
	return web.ForwardedFor(trusted, h)
}

// Handler returns the HTTP handler of the whole server.
func (s *Server) Handler() http.Handler { return s.handler }

// securityHeaders sets headers every response should carry. Pages set their
// own Content-Security-Policy; API responses get a deny-all one.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		next.ServeHTTP(w, r)
	})
}

// Start runs the background work until ctx ends: the connector runtime,
// the outbox dispatcher, the durable event consumers, the job scheduler, the snooze waker and
// (on PostgreSQL) the cross-instance event relay. When ctx ends it stops
// them in order: the dispatcher and consumers stop taking work and finish
// what is in flight (up to Config.ShutdownTimeout), then the connectors and
// the relay stop. Wait (or Close) returns once all of it has.
func (s *Server) Start(ctx context.Context) { s.start(ctx, nil) }

// start is Start; when held is not nil the connectors keep running until it
// is closed as well (Run closes it once HTTP requests have finished).
func (s *Server) start(ctx context.Context, held <-chan struct{}) {
	connCtx, stopConns := context.WithCancel(context.WithoutCancel(ctx))
	var work, conns errgroup.Group
	conns.Go(func() error {
		if err := s.Runtime.Run(connCtx); err != nil {
			s.Log.Error("connector runtime", "err", err)
		}
		return nil
	})
	if s.Store.Dialect == store.Postgres {
		rl := newRelay(s.Store, s.Inbox, s.Log, s.relayDropped)
		conns.Go(func() error { return rl.run(connCtx) })
		// Another instance changed channel settings: run the same set here.
		changed := s.Inbox.Bus().Subscribe(ctx, 16, func(e inbox.Event) bool { return e.Remote && e.Type == inbox.EventChannelsChanged })
		work.Go(func() error {
			for range changed {
				if err := s.Runtime.Reload(ctx); err != nil && ctx.Err() == nil {
					s.Log.Warn("reload channels after a change elsewhere", "err", err)
				}
			}
			return nil
		})
	}
	work.Go(func() error { return s.Inbox.RunDispatcher(ctx, s.Runtime, s.Dispatch) })
	work.Go(func() error { return s.Inbox.RunConsumers(ctx, s.Consume) })
	work.Go(func() error { return s.Jobs.Run(ctx) })
	work.Go(func() error {
		// The reports' per-ticket facts, built once after the upgrade
		// that added them (a no-op afterwards).
		if err := s.Reports.EnsureFacts(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("build report facts", "err", err)
		}
		return nil
	})
	work.Go(func() error {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if _, err := s.Inbox.WakeSnoozed(ctx); err != nil && ctx.Err() == nil {
					s.Log.Warn("wake snoozed tickets", "err", err)
				}
			}
		}
	})
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		<-ctx.Done()
		err := work.Wait()
		if held != nil {
			<-held
		}
		stopConns()
		s.stopErr = errors.Join(err, conns.Wait())
	}()
}

// Wait blocks until everything Start started has stopped (which begins when
// Start's context ends) and returns the first error. Without Start it
// returns at once.
func (s *Server) Wait() error {
	if s.done == nil {
		return nil
	}
	<-s.done
	return s.stopErr
}

// Run serves HTTP on ln and runs the background work until ctx ends, then
// shuts down in order: intake stops (no new connections; event streams and
// widget polls end; requests in flight finish within
// Config.ShutdownTimeout), deliveries and event handlers in flight finish,
// the connectors stop, and Run returns. Closing the store is left to Close.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	g, gctx := errgroup.WithContext(ctx)
	served := make(chan struct{})
	s.start(gctx, served)
	g.Go(func() error {
		defer close(served)
		return s.Serve(gctx, ln)
	})
	err := g.Wait()
	return errors.Join(err, s.Wait())
}

// Serve listens on ln and serves until ctx ends, then shuts down gracefully:
// it stops accepting, ends event streams and long polls at once, and gives
// requests in flight Config.ShutdownTimeout (their context is cancelled
// after that). It returns nil after a shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hard, kill := context.WithCancel(context.WithoutCancel(ctx))
	defer kill()
	streams, endStreams := context.WithCancel(hard)
	defer endStreams()
	srv := &http.Server{
		Handler:           endStreamsOn(streams, s.handler),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return hard },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	endStreams()
	timeout := s.Config.ShutdownTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.Log.Warn("requests still running at the shutdown deadline were cut off", "timeout", timeout)
		err = srv.Close()
	}
	<-errc
	return err
}

// endStreamsOn ends long-lived requests (the agent event stream, widget
// sockets and long polls) when streams ends, so a shutdown does not wait
// them out; other requests keep their context until they finish.
func endStreamsOn(streams context.Context, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/api/v1/events" || strings.HasPrefix(p, "/connectors/widget/") && (strings.HasSuffix(p, "/poll") || strings.HasSuffix(p, "/ws")) {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(streams, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// Close waits for the background work to stop (its context must have
// ended; see Start) and then closes the store, so nothing uses the database
// after it is closed.
func (s *Server) Close() error {
	err := s.Wait()
	return errors.Join(err, s.Store.Close())
}
