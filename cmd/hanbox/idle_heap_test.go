package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/server"
)

// TestIdleHeapProfile writes the heap profile of an idle server as `hanbox
// serve` builds it (UI and widget mounts, empty SQLite store, the first admin
// created, one login, the inbox page rendered once) to the file named by
// HANBOX_HEAP_PROFILE, after a GC, and logs the heap in use; skipped without
// it. Read it with `go tool pprof -sample_index=inuse_space -top`.
func TestIdleHeapProfile(t *testing.T) {
	path := os.Getenv("HANBOX_HEAP_PROFILE")
	if path == "" {
		t.Skip("HANBOX_HEAP_PROFILE not set")
	}
	runtime.MemProfileRate = 1024
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "error"}
	srv, err := server.New(ctx, cfg, mounts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); srv.Close() }()
	if _, _, err := auth.EnsureAdmin(ctx, srv.Store, "admin@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	srv.Start(ctx)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	resp, err := http.Post(hs.URL+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"admin@example.com","password":"correct horse battery"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("heap in use %.1f MiB, heap objects %d, stacks %.1f MiB, sys %.1f MiB",
		float64(ms.HeapInuse)/(1<<20), ms.HeapObjects, float64(ms.StackInuse)/(1<<20), float64(ms.Sys)/(1<<20))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}
