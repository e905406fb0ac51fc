package connectors_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

func TestRegisterPanicsOnBadKinds(t *testing.T) {
	f := func(connectors.Channel, connectors.Deps) (connectors.Connector, error) { return nil, nil }
	connectors.Register("test-once", f)
	for name, fn := range map[string]func(){
		"empty":     func() { connectors.Register("", f) },
		"nil":       func() { connectors.Register[connectors.Connector]("test-nil", nil) },
		"duplicate": func() { connectors.Register("test-once", f) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			fn()
		})
	}
}

// A secret set over the API must never make Hanbox read a host file (issue
// 10 item 5): file references are refused, naming the secret to fix.
func TestSecretNeverReadsFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(p, []byte("s3cret\n"), 0o600)
	ch := connectors.Channel{Secrets: map[string]any{"password_file": p, "token": "file:" + p, "upper": " FILE:" + p, "plain": "x"}}
	for key, want := range map[string]string{"password": "", "token": "", "upper": "", "plain": "x", "missing": ""} {
		got, err := ch.Secret(key)
		if got != want || strings.Contains(got, "s3cret") {
			t.Errorf("%s = %q; want %q", key, got, want)
		}
		if refused := err != nil; refused != (want == "" && key != "missing") {
			t.Errorf("%s: err %v", key, err)
		} else if err != nil && !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %q does not name the secret", key, err)
		}
	}
	for _, bad := range []map[string]any{{"token": "file:/etc/passwd"}, {"token_file": "/etc/passwd"}, {"token": 42}} {
		if err := connectors.CheckSecrets(bad); err == nil {
			t.Errorf("CheckSecrets(%v) accepted", bad)
		}
	}
	if err := connectors.CheckSecrets(map[string]any{"token": "xoxb-1", "gone": nil}); err != nil {
		t.Errorf("CheckSecrets refused plain values: %v", err)
	}
}

// flaky fails its first Start calls, then runs; it answers HTTP with its name.
type flaky struct {
	starts *atomic.Int32
	fails  int32
	status connectors.StatusReporter
}

func (f *flaky) Kind() string { return "flaky" }
func (f *flaky) Start(ctx context.Context, _ connectors.Sink) error {
	if n := f.starts.Add(1); n <= f.fails {
		return errors.New("server said no")
	}
	f.status(connectors.StateConnected, nil)
	<-ctx.Done()
	return nil
}
func (f *flaky) Send(context.Context, *inbox.Outbound) (inbox.ExternalRef, error) {
	return inbox.ExternalRef{}, nil
}
func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "flaky:"+r.URL.Path)
}

var starts atomic.Int32

func init() {
	connectors.Register("flaky", func(ch connectors.Channel, d connectors.Deps) (connectors.Connector, error) {
		return &flaky{starts: &starts, fails: 1, status: d.Status}, nil
	})
}

func TestRuntimeRestartsAndRoutes(t *testing.T) {
	env := conntest.New(t, store.SQLite)
	ch := env.AddChannel("flaky", "Flaky", nil, nil, "")
	env.Start()
	// The first Start fails; the runtime records the error and starts it again.
	// The stored status follows the in-memory one (it is written just
	// after), so both are waited for.
	env.Eventually("restart after failure, recorded", func() bool {
		state, _, _ := env.Runtime.Status(ch.ID)
		var row store.Channel
		env.Store.DB.Take(&row, ch.ID)
		return starts.Load() >= 2 && state == connectors.StateConnected && row.Status == connectors.StateConnected
	})
	// Webhook routing by kind and public key, with the prefix stripped.
	srv := httptest.NewServer(env.Runtime)
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/connectors/flaky/" + ch.PublicKey + "/events"); code != 200 || body != "flaky:/events" {
		t.Fatalf("routed: %d %q", code, body)
	}
	if code, _ := get("/connectors/slack/" + ch.PublicKey + "/events"); code != 404 {
		t.Fatalf("wrong kind: %d", code)
	}
	if code, _ := get("/connectors/flaky/nope/events"); code != 404 {
		t.Fatalf("unknown key: %d", code)
	}
	// Disabling the channel stops it.
	env.Store.DB.Model(&store.Channel{}).Where("id = ?", ch.ID).Updates(map[string]any{"enabled": false, "updated_at": time.Now()})
	if err := env.Runtime.Reload(env.Ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.Runtime.Sender(ch.ID); ok {
		t.Fatal("disabled channel still running")
	}
}
