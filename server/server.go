package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hanbox/hanbox/api"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// Version is set at build time with -ldflags "-X github.com/hanbox/hanbox/server.Version=...".
var Version = "dev"

// Server is an assembled Hanbox.
type Server struct {
	Config   Config
	Log      *slog.Logger
	Store    *store.Store
	Inbox    *inbox.Service
	Auth     *auth.Service
	Runtime  *connectors.Runtime
	API      *api.API
	Registry *prometheus.Registry
	// Dispatch tunes the outbox dispatcher; set before Run.
	Dispatch inbox.DispatchOptions

	handler http.Handler
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
	st, err := store.Open(ctx, store.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, Logger: log})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := inbox.NewMetrics(reg)
	svc := inbox.New(st, inbox.Options{Logger: log, BaseURL: cfg.BaseURL, Metrics: metrics})
	chState := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hanbox_channel_up", Help: "1 when a channel's connector is connected."}, []string{"channel", "kind"})
	chErrors := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hanbox_channel_errors_total", Help: "Connector errors per channel."}, []string{"channel", "kind"})
	sse := prometheus.NewGauge(prometheus.GaugeOpts{Name: "hanbox_sse_clients", Help: "Live agent event streams."})
	reg.MustRegister(chState, chErrors, sse)
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
	s := &Server{Config: cfg, Log: log, Store: st, Inbox: svc, Auth: au, Runtime: rt, Registry: reg}
	s.API = api.New(api.Options{Inbox: svc, Store: st, Runtime: rt, Auth: au, Logger: log, Version: Version, SSEClients: sse, BaseURL: cfg.BaseURL})
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hanbox_outbox_pending", Help: "Outbox rows waiting for delivery."}, func() float64 {
		p, _, _ := svc.OutboxDepth(context.Background())
		return float64(p)
	}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hanbox_outbox_failed", Help: "Outbox rows that failed for good."}, func() float64 {
		_, f, _ := svc.OutboxDepth(context.Background())
		return float64(f)
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
	return h
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

// Start runs the connector runtime, the dispatcher, the snooze waker and (on
// PostgreSQL) the cross-instance event relay in the background until ctx ends.
func (s *Server) Start(ctx context.Context) {
	if s.Store.Dialect == store.Postgres {
		go runRelay(ctx, s.Store, s.Inbox.Bus(), s.Log)
		// Another instance changed channel settings: run the same set here.
		changed := s.Inbox.Bus().Subscribe(ctx, 16, func(e inbox.Event) bool { return e.Remote && e.Type == inbox.EventChannelsChanged })
		go func() {
			for range changed {
				if err := s.Runtime.Reload(ctx); err != nil && ctx.Err() == nil {
					s.Log.Warn("reload channels after a change elsewhere", "err", err)
				}
			}
		}()
	}
	go func() {
		if err := s.Runtime.Run(ctx); err != nil {
			s.Log.Error("connector runtime", "err", err)
		}
	}()
	go func() {
		if err := s.Inbox.RunDispatcher(ctx, s.Runtime, s.Dispatch); err != nil {
			s.Log.Error("dispatcher", "err", err)
		}
	}()
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := s.Inbox.WakeSnoozed(ctx); err != nil && ctx.Err() == nil {
					s.Log.Warn("wake snoozed tickets", "err", err)
				}
			}
		}
	}()
}

// Serve listens on the configured address and serves until ctx ends, then
// shuts down gracefully (in-flight requests get 10 s; SSE streams end).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// Close releases the store.
func (s *Server) Close() error { return s.Store.Close() }
