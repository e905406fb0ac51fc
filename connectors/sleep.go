package connectors

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends and reports whether the whole of d passed.
// Connectors use it for backoff and rate-limit waits so that shutting down
// never waits out a delay. A d of zero or less returns at once (true unless
// ctx has already ended).
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
