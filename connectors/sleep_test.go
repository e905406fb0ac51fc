package connectors_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hanbox/hanbox/connectors"
)

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if !connectors.Sleep(context.Background(), time.Minute) || time.Since(start) != time.Minute {
			t.Fatalf("Sleep returned after %s, want a full minute", time.Since(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start = time.Now()
		if connectors.Sleep(ctx, time.Hour) || time.Since(start) != time.Second {
			t.Fatalf("Sleep did not end with its context (after %s)", time.Since(start))
		}
		if connectors.Sleep(ctx, 0) {
			t.Fatal("Sleep(0) on an ended context reported success")
		}
		if !connectors.Sleep(context.Background(), 0) {
			t.Fatal("Sleep(0) should return true at once")
		}
	})
}
