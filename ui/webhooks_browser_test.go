package ui_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/signing"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// eventReceiver is a local endpoint for event webhooks: it checks each
// request's signature with the secret the admin copied from the page.
type eventReceiver struct {
	mu     sync.Mutex
	secret map[string]string // path → secret
	got    []eventHit
	srv    *httptest.Server
}

type eventHit struct {
	path, event, delivery string
	verified              bool
}

func newEventReceiver(t *testing.T) *eventReceiver {
	r := &eventReceiver{secret: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		ok := signing.VerifyAt(r.secret[req.URL.Path], req.Header.Get("X-Hanbox-Signature"), req.Header.Get("X-Hanbox-Timestamp"), body,
			time.Now(), signing.DefaultReplayWindow) == nil
		var p struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(body, &p)
		if p.Type != req.Header.Get("X-Hanbox-Event") {
			ok = false
		}
		r.got = append(r.got, eventHit{path: req.URL.Path, event: p.Type, delivery: req.Header.Get("X-Hanbox-Delivery"), verified: ok})
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *eventReceiver) hits(path, event string) []eventHit {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []eventHit
	for _, h := range r.got {
		if h.path == path && h.event == event {
			out = append(out, h)
		}
	}
	return out
}

// TestBrowserWebhooks: an admin working in Korean adds a subscription on
// the Webhooks screen (a remote http:// URL is refused in Korean), copies
// the secret shown once, a new ticket reaches the local receiver signed
// with it, and the delivery log shows 200; redeliver sends it again. Then
// the same in English for message.created.
func TestBrowserWebhooks(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserWebhooks(t, d) })
	}
}

func testBrowserWebhooks(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	rcv := newEventReceiver(t)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")

	for i, lang := range []struct {
		code, title, refusal, delivered, event, label string
	}{
		{"ko", "웹훅", "주소는 https:// 로 시작해야 합니다 (http:// 는 localhost 만).", "전송됨", "ticket.created", "티켓 생성"},
		{"en", "Webhooks", "The URL must start with https:// (http:// only for localhost).", "Delivered", "message.created", "New message"},
	} {
		path := "/" + lang.code
		a.do(lang.code, chromedp.Navigate(e.ts.URL+"/lang/"+lang.code+"?next=/admin/webhooks"), chromedp.WaitVisible(chromedp.ID("webhook-new")))
		a.ready()
		if got := a.text("h1"); got != lang.title {
			t.Fatalf("%s title %q", lang.code, got)
		}
		box := fmt.Sprintf(`#webhook-new input[name=event][value="%s"]`, lang.event)
		if got := a.text(fmt.Sprintf(`#webhook-new label:has(input[value="%s"])`, lang.event)); !strings.Contains(got, lang.label) {
			t.Fatalf("%s: event label %q, want %q", lang.code, got, lang.label)
		}
		a.do("remote http URL", chromedp.SetValue(chromedp.ID("wh-new-url"), "http://hooks.example.com/x"), chromedp.Click(chromedp.CSS(box)),
			chromedp.Click(chromedp.CSS(`#webhook-new button[type=submit]`)))
		a.waitJS("refusal", `!document.querySelector('#webhook-new [data-error]').hidden`)
		if got := a.text("#webhook-new [data-error]"); got != lang.refusal {
			t.Fatalf("%s refusal %q", lang.code, got)
		}
		a.do("add", chromedp.SendKeys(chromedp.ID("wh-new-name"), "주문 시스템 "+lang.code), chromedp.SetValue(chromedp.ID("wh-new-url"), rcv.srv.URL+path),
			chromedp.Click(chromedp.CSS(`#webhook-new button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("webhook-created")))
		secret := a.text("#webhook-secret")
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("secret shown %q", secret)
		}
		rcv.mu.Lock()
		rcv.secret[path] = secret
		rcv.mu.Unlock()

		e.ingest(map[string]any{"external_id": "wh-" + lang.code, "contact": map[string]any{"external_id": "c-" + lang.code}, "text": "주문 확인 부탁드려요"})
		eventually(t, lang.event+" at the receiver", func() bool { return len(rcv.hits(path, lang.event)) == 1 })
		if h := rcv.hits(path, lang.event)[0]; !h.verified {
			t.Fatalf("%s: signature did not verify with the secret from the page", lang.code)
		}
		var subs struct {
			Items []struct {
				ID  int64  `json:"id"`
				URL string `json:"url"`
			} `json:"items"`
		}
		e.call("GET", "/api/v1/webhooks", e.adminTok, nil, http.StatusOK, &subs)
		if len(subs.Items) != i+1 {
			t.Fatalf("%d subscriptions", len(subs.Items))
		}
		id := subs.Items[i].ID
		eventually(t, "the delivery logged", func() bool {
			var log struct {
				Items []struct {
					Status string `json:"status"`
				} `json:"items"`
			}
			e.call("GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", id), e.adminTok, nil, http.StatusOK, &log)
			return len(log.Items) == 1 && log.Items[0].Status == store.WebhookDelivered
		})
		a.do("log", chromedp.Click(chromedp.ID("webhook-open")), chromedp.WaitVisible(chromedp.ID("webhook-log")))
		a.ready()
		row := `#webhook-log tbody tr`
		if got := a.text(row + ` [data-code]`); got != "200" {
			t.Fatalf("%s: log shows code %q", lang.code, got)
		}
		// The delivery's details list its one attempt.
		if got := eval[string](a, `[...document.querySelectorAll('#webhook-log .attempt-log tbody tr')].map(r => r.dataset.attempt + ':' + r.cells[2].textContent).join(',')`); got != "1:200" {
			t.Fatalf("%s: attempt log %q", lang.code, got)
		}
		if got := a.text(row); !strings.Contains(got, lang.delivered) || !strings.Contains(got, lang.label) {
			t.Fatalf("%s: log row %q", lang.code, got)
		}
		a.do("redeliver", chromedp.Click(chromedp.CSS(row+` [data-redeliver]`)))
		eventually(t, "the redelivery", func() bool { return len(rcv.hits(path, lang.event)) == 2 })
		hs := rcv.hits(path, lang.event)
		if !hs[1].verified || hs[1].delivery == hs[0].delivery {
			t.Fatalf("%s: redelivery %+v after %+v", lang.code, hs[1], hs[0])
		}
	}
}
