package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/store"
)

// opener opens the store once.
type opener func(ctx context.Context) (*store.Store, error)

// retryOpen opens the store, trying again while the database is unavailable
// (store.IsUnavailable) for up to wait, with a delay doubling from 1 s to
// 30 s. Every failed attempt is logged. Other errors (a wrong password, a
// failed migration) return at once. sleep and now are the clock.
func retryOpen(ctx context.Context, open opener, wait time.Duration, log *slog.Logger,
	sleep func(context.Context, time.Duration) bool, now func() time.Time) (*store.Store, error) {
	deadline := now().Add(wait)
	delay := time.Second
	for attempt := 1; ; attempt++ {
		st, err := open(ctx)
		if err == nil {
			if attempt > 1 {
				log.Info("database reachable", "attempts", attempt)
			}
			return st, nil
		}
		left := deadline.Sub(now())
		if !store.IsUnavailable(err) || left <= 0 || ctx.Err() != nil {
			if attempt > 1 {
				return nil, fmt.Errorf("database unavailable after %d attempts: %w", attempt, err)
			}
			return nil, err
		}
		d := min(delay, left)
		log.Warn("database unavailable; retrying", "attempt", attempt, "in", d, "gives_up_in", left.Round(time.Second), "err", err)
		if !sleep(ctx, d) {
			return nil, fmt.Errorf("database unavailable; start-up cancelled: %w", err)
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// openStore opens the configured store, waiting for an unavailable database
// for up to cfg.DatabaseWait.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.Store, error) {
	open := func(ctx context.Context) (*store.Store, error) {
		return store.Open(ctx, store.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, Logger: log})
	}
	return retryOpen(ctx, open, cfg.DatabaseWait, log, connectors.Sleep, time.Now)
}
