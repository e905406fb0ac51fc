package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/api"
	"github.com/hanbox/hanbox/inbox"
)

func TestSendClassifiesAnswers(t *testing.T) {
	cases := []struct {
		status    int
		header    string
		permanent bool
		retryMin  time.Duration
		ok        bool
	}{
		{200, "", false, 0, true},
		{503, "", false, 0, false},
		{429, "7", false, 7 * time.Second, false},
		{400, "", true, 0, false},
		{410, "", true, 0, false},
		{408, "", false, 0, false},
	}
	for _, c := range cases {
		var gotSig, gotBody string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			gotBody, gotSig = string(b), r.Header.Get("X-Hanbox-Signature")
			if c.header != "" {
				w.Header().Set("Retry-After", c.header)
			}
			w.WriteHeader(c.status)
			w.Write([]byte(`{"id":"remote-9"}`))
		}))
		conn, err := api.New(connectors.Channel{ID: 3, Settings: map[string]any{"webhook_url": srv.URL}, Secrets: map[string]any{"webhook_secret": "k"}},
			connectors.Deps{HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := conn.Send(context.Background(), &inbox.Outbound{OutboxID: 1, MessageID: 2, Text: "답변", ThreadKeys: []string{api.ThreadKey(3, "ord-1")}})
		srv.Close()
		if c.ok {
			if err != nil || ref.ID != "remote-9" {
				t.Fatalf("%d: %v %+v", c.status, err, ref)
			}
			if gotSig != api.Sign("k", []byte(gotBody)) {
				t.Fatalf("signature %q does not sign the body", gotSig)
			}
			continue
		}
		if err == nil {
			t.Fatalf("%d: no error", c.status)
		}
		if connectors.IsPermanent(err) != c.permanent {
			t.Fatalf("%d: permanent=%v", c.status, connectors.IsPermanent(err))
		}
		var ra *inbox.RetryAfterError
		if c.retryMin > 0 && (!errors.As(err, &ra) || ra.After < c.retryMin) {
			t.Fatalf("%d: want retry after %s, got %v", c.status, c.retryMin, err)
		}
	}
}

func TestSendWithoutWebhookIsPermanent(t *testing.T) {
	conn, _ := api.New(connectors.Channel{ID: 1}, connectors.Deps{HTTPClient: http.DefaultClient})
	_, err := conn.Send(context.Background(), &inbox.Outbound{Text: "x"})
	if !connectors.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	bad, _ := api.New(connectors.Channel{ID: 1, Settings: map[string]any{"webhook_url": "ftp://x"}}, connectors.Deps{})
	if err := bad.Validate(context.Background()); err == nil {
		t.Fatal("ftp webhook accepted")
	}
}
