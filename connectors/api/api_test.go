package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/api"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/signing"
)

// TestSendClassifiesAnswers is issue 10 item 11: 408, 425, 429 and 5xx are
// retried on every attempt (after Retry-After when given); other 4xx are
// retried too and fail for good only on attempt api.PermanentAfter.
func TestSendClassifiesAnswers(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		status    int
		header    string
		attempt   int
		permanent bool
		retryMin  time.Duration // a RetryAfter of at least this
		retryMax  time.Duration
		ok        bool
	}{
		{status: 200, attempt: 1, ok: true},
		{status: 204, attempt: 9, ok: true},
		{status: 503, attempt: 1},
		{status: 503, attempt: 10},
		{status: 500, attempt: 50},
		{status: 502, header: "12", attempt: 3, retryMin: 12 * time.Second, retryMax: 12 * time.Second},
		{status: 429, header: "7", attempt: 1, retryMin: 7 * time.Second, retryMax: 7 * time.Second},
		{status: 429, header: "7", attempt: 10, retryMin: 7 * time.Second, retryMax: 7 * time.Second},
		{status: 429, header: date, attempt: 1, retryMin: 80 * time.Second, retryMax: 91 * time.Second},
		{status: 429, header: "99999999", attempt: 1, retryMin: api.MaxRetryAfter, retryMax: api.MaxRetryAfter},
		{status: 429, header: "soon", attempt: 1},
		{status: 408, attempt: 10},
		{status: 425, attempt: 10},
		{status: 400, attempt: 1},
		{status: 400, attempt: api.PermanentAfter - 1},
		{status: 400, attempt: api.PermanentAfter, permanent: true},
		{status: 410, attempt: 1},
		{status: 410, attempt: api.PermanentAfter + 5, permanent: true},
		{status: 404, header: "30", attempt: 1, retryMin: 30 * time.Second, retryMax: 30 * time.Second},
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
			if c.ok {
				w.Write([]byte(`{"id":"remote-9"}`))
			} else {
				w.Write([]byte("no\x00 \xff thanks")) // bytes PostgreSQL refuses in last_error
			}
		}))
		conn, err := api.New(connectors.Channel{ID: 3, Settings: map[string]any{"webhook_url": srv.URL}, Secrets: map[string]any{"webhook_secret": "k"}},
			connectors.Deps{HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := conn.Send(context.Background(), &inbox.Outbound{OutboxID: 1, Attempt: c.attempt, MessageID: 2, Text: "답변", ThreadKeys: []string{api.ThreadKey(3, "ord-1")}})
		srv.Close()
		name := fmt.Sprintf("%d %q attempt %d", c.status, c.header, c.attempt)
		if c.ok {
			if err != nil || (c.status == 200 && ref.ID != "remote-9") {
				t.Fatalf("%s: %v %+v", name, err, ref)
			}
			if gotSig != signing.Sign("k", []byte(gotBody)) {
				t.Fatalf("signature %q does not sign the body", gotSig)
			}
			continue
		}
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		if !utf8.ValidString(err.Error()) || strings.ContainsRune(err.Error(), 0) {
			t.Fatalf("%s: error %q would not store on PostgreSQL", name, err)
		}
		if connectors.IsPermanent(err) != c.permanent {
			t.Fatalf("%s: permanent=%v (%v)", name, connectors.IsPermanent(err), err)
		}
		var ra *inbox.RetryAfterError
		hasRA := errors.As(err, &ra)
		if c.retryMin > 0 && (!hasRA || ra.After < c.retryMin || ra.After > c.retryMax) {
			t.Fatalf("%s: want retry after %s..%s, got %v", name, c.retryMin, c.retryMax, err)
		}
		if c.retryMin == 0 && hasRA {
			t.Fatalf("%s: unexpected retry after %s", name, ra.After)
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

// TestSendSurveyRequested: a survey request goes out as a signed
// survey.requested webhook with the rating page and one URL per score.
func TestSendSurveyRequested(t *testing.T) {
	var body []byte
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		sig = r.Header.Get("X-Hanbox-Signature")
		w.WriteHeader(204)
	}))
	defer srv.Close()
	conn, err := api.New(connectors.Channel{ID: 3, Settings: map[string]any{"webhook_url": srv.URL}, Secrets: map[string]any{"webhook_secret": "k"}},
		connectors.Deps{HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	sv := &inbox.SurveyRequest{PublicID: "pub1", Kind: "csat", Scale: 5, Question: "만족하셨나요?", Thanks: "감사합니다", Locale: "ko",
		URL: "https://help.shop.test/s/pub1.1a.sig"}
	if _, err := conn.Send(context.Background(), &inbox.Outbound{OutboxID: 1, Attempt: 1, MessageID: 2, Text: "만족하셨나요?\n\n" + sv.URL,
		Ticket: inbox.TicketRef{PublicID: "t1", Number: 1001}, Survey: sv}); err != nil {
		t.Fatal(err)
	}
	if sig != signing.Sign("k", body) {
		t.Fatal("survey webhook not signed")
	}
	var wh api.Webhook
	if err := json.Unmarshal(body, &wh); err != nil {
		t.Fatal(err)
	}
	if wh.Event != api.EventSurveyRequested || wh.Survey == nil || wh.Survey.URL != sv.URL || wh.Survey.Question != "만족하셨나요?" ||
		len(wh.Survey.ScoreURLs) != 5 || wh.Survey.ScoreURLs[4] != sv.URL+"?score=5" || wh.Survey.Kind != "csat" || wh.TicketID != "t1" {
		t.Fatalf("webhook = %s", body)
	}
}
