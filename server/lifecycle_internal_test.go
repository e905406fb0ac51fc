package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hanbox/hanbox/store"
)

// TestRelayBackoffResetsOnConnect: the relay's reconnect delay doubles while
// connecting fails and starts again from one second after a session was
// established, so a second short outage is not waited out at the cap.
func TestRelayBackoffResetsOnConnect(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// What each listen attempt does: fail before listening, or listen and
	// then lose the connection.
	script := []bool{false, false, false, true, false, false, true, false}
	var waits []time.Duration
	attempt := 0
	r := &relay{log: slog.New(slog.DiscardHandler)}
	r.listen = func(ctx context.Context, connected func()) error {
		if attempt == len(script) {
			cancel()
			return ctx.Err()
		}
		ok := script[attempt]
		attempt++
		if ok {
			connected()
			return errors.New("connection reset by peer")
		}
		return errors.New("connection refused")
	}
	r.sleep = func(ctx context.Context, d time.Duration) bool {
		waits = append(waits, d)
		return ctx.Err() == nil
	}
	r.listenLoop(ctx)
	s := time.Second
	want := []time.Duration{s, 2 * s, 4 * s, s, 2 * s, 4 * s, s, 2 * s}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
}

// TestRetryOpenWaitsForTheDatabase: an unreachable database is tried again
// with a doubling, capped delay, each attempt logged, until it answers or
// the wait is over; other errors are not retried.
func TestRetryOpenWaitsForTheDatabase(t *testing.T) {
	unreachable := &pgconn.ConnectError{Config: &pgconn.Config{}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	cases := []struct {
		name     string
		errs     []error // errors of the first attempts; then it opens
		wait     time.Duration
		opened   bool
		waits    []time.Duration
		attempts int
	}{
		{name: "comes back", errs: []error{refused, unreachable, refused, refused, refused, refused, refused}, wait: 10 * time.Minute, opened: true,
			waits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}, attempts: 8},
		{name: "gives up at the deadline", errs: []error{refused, refused, refused, refused, refused}, wait: 5 * time.Second,
			waits: []time.Duration{time.Second, 2 * time.Second, 2 * time.Second}, attempts: 4},
		{name: "starting up", errs: []error{&pgconn.PgError{Code: "57P03"}}, wait: time.Minute, opened: true, waits: []time.Duration{time.Second}, attempts: 2},
		{name: "wrong password", errs: []error{&pgconn.PgError{Code: "28P01"}}, wait: time.Minute, attempts: 1},
		{name: "no wait configured", errs: []error{refused}, wait: 0, attempts: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var waits []time.Duration
			attempts := 0
			var logs strings.Builder
			log := slog.New(slog.NewTextHandler(&logs, nil))
			open := func(context.Context) (*store.Store, error) {
				attempts++
				if attempts <= len(c.errs) {
					return nil, fmt.Errorf("store: open postgres: %w", c.errs[attempts-1])
				}
				return &store.Store{}, nil
			}
			sleep := func(_ context.Context, d time.Duration) bool {
				waits = append(waits, d)
				clock = clock.Add(d)
				return true
			}
			st, err := retryOpen(context.Background(), open, c.wait, log, sleep, func() time.Time { return clock })
			if (st != nil) != c.opened || (err == nil) != c.opened {
				t.Fatalf("store %v, err %v", st, err)
			}
			if attempts != c.attempts || !slices.Equal(waits, c.waits) {
				t.Fatalf("%d attempts with waits %v, want %d and %v", attempts, waits, c.attempts, c.waits)
			}
			if n := strings.Count(logs.String(), "database unavailable; retrying"); n != len(c.waits) {
				t.Fatalf("%d retries logged, want %d:\n%s", n, len(c.waits), logs.String())
			}
		})
	}
}
