package api_test

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

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/signing"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// hookReceiver is a local webhook endpoint that checks signatures and hands
// each verified payload to the test.
type hookReceiver struct {
	mu     sync.Mutex
	secret string
	got    chan hookHit
	srv    *httptest.Server
}

type hookHit struct {
	delivery string
	event    string
	payload  struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Version int    `json:"version"`
		Data    struct {
			TicketID int64 `json:"ticket_id"`
		} `json:"data"`
	}
	verified bool
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{got: make(chan hookHit, 64)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		secret := h.secret
		h.mu.Unlock()
		hit := hookHit{delivery: r.Header.Get("X-Hanbox-Delivery"), event: r.Header.Get("X-Hanbox-Event")}
		hit.verified = signing.VerifyAt(secret, r.Header.Get("X-Hanbox-Signature"), r.Header.Get("X-Hanbox-Timestamp"), body, time.Now(), signing.DefaultReplayWindow) == nil
		_ = json.Unmarshal(body, &hit.payload)
		_, _ = io.WriteString(w, "수신 완료")
		h.got <- hit
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) next(t *testing.T) hookHit {
	t.Helper()
	select {
	case hit := <-h.got:
		return hit
	case <-time.After(60 * time.Second):
		t.Fatal("no webhook delivery within 60 s")
	}
	return hookHit{}
}

type webhookOut struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	URL     string   `json:"url"`
	Events  []string `json:"events"`
	Enabled bool     `json:"enabled"`
	Failing bool     `json:"failing"`
	Secret  string   `json:"secret"`
}

type deliveryOut struct {
	ID         int64           `json:"id"`
	DeliveryID string          `json:"delivery_id"`
	EventType  string          `json:"event_type"`
	Status     string          `json:"status"`
	StatusCode int             `json:"status_code"`
	Response   string          `json:"response"`
	Payload    json.RawMessage `json:"payload"`
}

// TestWebhooksAPI: an admin subscribes a local receiver; a ticket arrives
// there signed; the log shows the 200 with the receiver's answer; redeliver
// and the test event reach it; the secret is shown only on create and
// regenerate; agents cannot touch webhooks; the OpenAPI document lists it all.
func TestWebhooksAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			rcv := newHookReceiver(t)
			var ae apiError
			e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "http://hooks.example.com/x", "events": []string{"ticket.created"}}, 422, &ae)
			if ae.Error.Reason != "webhook_url" {
				t.Fatalf("plain http to a remote host: %+v", ae)
			}
			e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": rcv.srv.URL, "events": []string{"ticket.exploded"}}, 422, &ae)
			if ae.Error.Reason != "webhook_events" {
				t.Fatalf("unknown event: %+v", ae)
			}
			var sub webhookOut
			e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"name": "주문 시스템", "url": rcv.srv.URL + "/hanbox",
				"events": []string{"ticket.created", "message.created"}}, 201, &sub)
			if sub.Secret == "" || !sub.Enabled || len(sub.Events) != 2 {
				t.Fatalf("created %+v", sub)
			}
			rcv.mu.Lock()
			rcv.secret = sub.Secret
			rcv.mu.Unlock()
			path := fmt.Sprintf("/api/v1/webhooks/%d", sub.ID)
			list := e.call("GET", "/api/v1/webhooks", e.admin, nil, 200, nil)
			one := e.call("GET", path, e.admin, nil, 200, nil)
			if strings.Contains(string(list.body), sub.Secret) || strings.Contains(string(one.body), sub.Secret) {
				t.Fatal("the secret is returned after creation")
			}

			e.ingest(map[string]any{"external_id": "m1", "contact": map[string]any{"external_id": "c1"}, "text": "주문 취소 부탁드립니다"})
			types := map[string]hookHit{}
			for len(types) < 2 {
				hit := rcv.next(t)
				if !hit.verified || hit.payload.Version != 1 || hit.event != hit.payload.Type {
					t.Fatalf("delivery %+v", hit)
				}
				types[hit.event] = hit
			}
			created, ok := types["ticket.created"]
			if !ok || types["message.created"].delivery == "" {
				t.Fatalf("got %v", types)
			}

			// The log shows the 200 (the row is written after the answer).
			var log struct {
				Items []deliveryOut `json:"items"`
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				e.call("GET", path+"/deliveries", e.admin, nil, 200, &log)
				if len(log.Items) == 2 && log.Items[0].Status == store.WebhookDelivered && log.Items[1].Status == store.WebhookDelivered {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("log %+v", log.Items)
				}
				time.Sleep(20 * time.Millisecond) // safety net: the job records after the receiver answered
			}
			var first deliveryOut
			for _, it := range log.Items {
				if it.DeliveryID == created.delivery {
					first = it
				}
			}
			if first.StatusCode != 200 || first.Response != "수신 완료" || first.EventType != "ticket.created" ||
				!strings.Contains(string(first.Payload), created.payload.ID) {
				t.Fatalf("log entry %+v", first)
			}

			var re deliveryOut
			e.call("POST", fmt.Sprintf("%s/deliveries/%d/redeliver", path, first.ID), e.admin, nil, 202, &re)
			hit := rcv.next(t)
			if hit.delivery != re.DeliveryID || hit.payload.ID != created.payload.ID || !hit.verified {
				t.Fatalf("redelivery %+v, want delivery %s of payload %s", hit, re.DeliveryID, created.payload.ID)
			}
			e.call("POST", fmt.Sprintf("%s/deliveries/%d/redeliver", "/api/v1/webhooks/9999", first.ID), e.admin, nil, 404, nil)
			e.call("POST", path+"/test", e.admin, nil, 202, nil)
			if hit := rcv.next(t); hit.event != "webhook.test" || !hit.verified {
				t.Fatalf("test event %+v", hit)
			}

			var rotated webhookOut
			e.call("POST", path+"/secret", e.admin, nil, 200, &rotated)
			if rotated.Secret == "" || rotated.Secret == sub.Secret {
				t.Fatalf("regenerated secret %q", rotated.Secret)
			}
			var patched webhookOut
			e.call("PATCH", path, e.admin, map[string]any{"enabled": false}, 200, &patched)
			if patched.Enabled || patched.URL != sub.URL || len(patched.Events) != 2 {
				t.Fatalf("patched %+v", patched)
			}

			// Agents cannot see or change webhooks.
			if err := auth.CreateAgent(e.ctx, e.srv.Store, "lee@example.com", "이상담", store.RoleAgent, "agent password 1"); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@example.com", "password": "agent password 1"}, 200, &login)
			e.call("GET", "/api/v1/webhooks", login.Token, nil, 403, nil)
			e.call("POST", "/api/v1/webhooks", login.Token, map[string]any{"url": rcv.srv.URL, "events": []string{"ticket.created"}}, 403, nil)

			e.call("DELETE", path, e.admin, nil, 200, nil)
			e.call("GET", path, e.admin, nil, 404, nil)

			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			e.call("GET", "/api/v1/openapi.json", "", nil, 200, &doc)
			for _, p := range []string{"/webhooks", "/webhooks/{id}", "/webhooks/{id}/secret", "/webhooks/{id}/deliveries",
				"/webhooks/{id}/deliveries/{delivery}/redeliver", "/webhooks/{id}/test"} {
				if doc.Paths[p] == nil {
					t.Fatalf("openapi lacks %s", p)
				}
			}
		})
	}
}
