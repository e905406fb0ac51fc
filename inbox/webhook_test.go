package inbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/signing"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestRuleWebhookSignedAndRetried: a rule's webhook goes out through the
// outbox, signed (HMAC-SHA256 over timestamp and body), retried after a
// 503 with the same delivery id; a 410 fails it at once.
func TestRuleWebhookSignedAndRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		const secret = "0123456789abcdef-secret"
		var mu sync.Mutex
		var deliveries []string
		var payloads []inbox.WebhookPayload
		calls := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			calls++
			if r.URL.Path == "/gone" {
				w.WriteHeader(http.StatusGone)
				return
			}
			if err := signing.VerifyAt(secret, r.Header.Get("X-Hanbox-Signature"), r.Header.Get("X-Hanbox-Timestamp"), body, time.Now(), signing.DefaultReplayWindow); err != nil {
				t.Errorf("signature: %v", err)
			}
			if signing.VerifyAt("another secret 123", r.Header.Get("X-Hanbox-Signature"), r.Header.Get("X-Hanbox-Timestamp"), body, time.Now(), signing.DefaultReplayWindow) == nil {
				t.Error("a wrong secret verified")
			}
			deliveries = append(deliveries, r.Header.Get("X-Hanbox-Delivery"))
			if calls == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			var p inbox.WebhookPayload
			if err := json.Unmarshal(body, &p); err != nil {
				t.Errorf("body: %v", err)
			}
			payloads = append(payloads, p)
		}))
		defer srv.Close()
		e := newRulesEnv(t, st)
		r := e.rule(inbox.RuleInput{Name: "웹훅", Actions: []store.RuleAction{{Type: inbox.ActWebhook, Target: srv.URL + "/hook", Secret: secret}}})
		id := e.ingest("웹훅 테스트", "", "")
		e.apply(id, 0)
		dispatch(t, e.svc, senders{e.ch.ID: &fakeSender{}})
		e.svc.Wake()
		waitFor(t, "webhook sent", func() bool {
			var o store.Outbox
			return st.DB.Where("ticket_id = ? AND purpose = ?", id, store.PurposeWebhook).Take(&o).Error == nil && o.Status == store.OutboxSent
		})
		mu.Lock()
		if len(deliveries) != 2 || deliveries[0] != deliveries[1] || deliveries[0] == "" {
			t.Errorf("deliveries = %v, want the same id twice", deliveries)
		}
		if len(payloads) != 1 || payloads[0].RuleID != r.ID || payloads[0].Rule != "웹훅" || payloads[0].Ticket.ID != id || payloads[0].Event != inbox.EventTicketCreated {
			t.Errorf("payloads = %+v", payloads)
		}
		mu.Unlock()

		gone := e.rule(inbox.RuleInput{Name: "gone", Trigger: inbox.TriggerCustomerMessage, Actions: []store.RuleAction{{Type: inbox.ActWebhook, Target: srv.URL + "/gone", Secret: secret}}})
		_ = gone
		id2 := e.ingest("사라진 웹훅", "", "")
		e.apply(id2, 0)
		e.svc.Wake()
		waitFor(t, "webhook failed", func() bool {
			var o store.Outbox
			return st.DB.Where("ticket_id = ? AND purpose = ? AND status = ?", id2, store.PurposeWebhook, store.OutboxFailed).Take(&o).Error == nil && o.Attempts == 1
		})
	})
}
