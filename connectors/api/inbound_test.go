package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/api"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

const token = "channel-token"

// flakySink is the inbox with a TicketPublicID that fails on demand, as
// when the database goes away right after the message committed.
type flakySink struct {
	*inbox.Service
	mu   sync.Mutex
	fail bool
}

func (f *flakySink) TicketPublicID(ctx context.Context, id int64) (string, int64, error) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return "", 0, errors.New("driver: bad connection")
	}
	return f.Service.TicketPublicID(ctx, id)
}

type inboundEnv struct {
	t    *testing.T
	st   *store.Store
	svc  *inbox.Service
	sink *flakySink
	ch   store.Channel
	conn connectors.Connector
}

func newInboundEnv(t *testing.T, st *store.Store, settings map[string]any) *inboundEnv {
	t.Helper()
	svc := inbox.New(st, inbox.Options{})
	sum := sha256.Sum256([]byte(token))
	ch := store.Channel{Kind: api.Kind, Name: "shop", PublicKey: inbox.NewPublicID(), Settings: settings, Enabled: true, TokenHash: hex.EncodeToString(sum[:])}
	if err := st.DB.Create(&ch).Error; err != nil {
		t.Fatal(err)
	}
	sink := &flakySink{Service: svc}
	conn, err := api.New(connectors.Channel{ID: ch.ID, Kind: ch.Kind, TokenHash: ch.TokenHash, Settings: settings},
		connectors.Deps{Sink: sink, Tickets: sink, Quarantine: svc, HTTPClient: http.DefaultClient})
	if err != nil {
		t.Fatal(err)
	}
	return &inboundEnv{t: t, st: st, svc: svc, sink: sink, ch: ch, conn: conn}
}

// push posts a raw body and decodes the answer.
func (e *inboundEnv) push(body string) (int, api.InboundResponse, string) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/inbound", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.conn.(http.Handler).ServeHTTP(rec, req)
	var out api.InboundResponse
	if rec.Code < 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("answer %d %s: %v", rec.Code, rec.Body, err)
		}
	}
	return rec.Code, out, rec.Body.String()
}

// TestInboundNeverAnswers2xxWithoutTicket is issue 10 item 10: when the
// ticket of a just-committed message cannot be read, the push is answered
// 503 (retry), never 201 with an empty ticket id; the retry is answered as
// the duplicate it is, with its ticket.
func TestInboundNeverAnswers2xxWithoutTicket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newInboundEnv(t, st, nil)
		body := `{"external_id":"m-1","thread_key":"order-1","contact":{"external_id":"u-1"},"text":"배송 문의"}`
		e.sink.fail = true
		code, out, raw := e.push(body)
		if code != http.StatusServiceUnavailable {
			t.Fatalf("push while the ticket cannot be read: %d %+v %s", code, out, raw)
		}
		e.sink.fail = false
		code, out, raw = e.push(body)
		if code != http.StatusOK || !out.Duplicate || out.TicketID == "" || out.Number <= store.TicketNumberBase {
			t.Fatalf("retry: %d %+v %s", code, out, raw)
		}
		var n int64
		st.DB.Model(&store.Message{}).Count(&n)
		if n != 1 {
			t.Fatalf("%d messages stored, want 1", n)
		}
	})
}

// TestInboundHostileText is the api channel's part of issue 10 item 8: NUL
// bytes and invalid UTF-8 are stored scrubbed or refused with a 4xx (and the
// body quarantined), never answered 5xx/"retry". Run it with PostgreSQL.
func TestInboundHostileText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newInboundEnv(t, st, nil)
		stored := []string{
			`{"external_id":"m-\u0000-1","thread_key":"t\u0000","contact":{"external_id":"u\u0000","name":"김\u0000민지","email":"a\u0000@example.com"},"subject":"배송\u0000","text":"주문\u0000번호","html":"<b>\u0000</b>x","meta":{"k\u0000":"v\u0000","n":["\u0000"]},"attachments":[{"name":"a\u0000.txt","content_type":"text/plain\u0000","data":"aGk="}]}`,
			"{\"external_id\":\"m-2\xff\",\"contact\":{\"external_id\":\"u-2\",\"name\":\"\xfe\xff\"},\"text\":\"caf\xe9 \xed\xa0\x80\"}",
			`{"external_id":"m-3","contact":{"external_id":"u-3"},"text":"lone surrogate \ud800 here"}`,
		}
		for i, body := range stored {
			code, out, raw := e.push(body)
			if code != http.StatusCreated || out.TicketID == "" {
				t.Fatalf("body %d: %d %s", i, code, raw)
			}
			m, err := e.svc.Message(context.Background(), out.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsRune(m.Text, 0) || strings.ContainsRune(*m.ExternalID, 0) {
				t.Fatalf("body %d stored a NUL: %q %q", i, m.Text, *m.ExternalID)
			}
			if i == 0 && (m.Text != "주문번호" || *m.ExternalID != "m--1") {
				t.Fatalf("body 0 stored %q as %q", m.Text, *m.ExternalID)
			}
			// A resend is a duplicate: the scrubbed id is stable.
			if code, again, raw := e.push(body); code != http.StatusOK || again.MessageID != out.MessageID {
				t.Fatalf("body %d resent: %d %s", i, code, raw)
			}
		}
		refused := `{"external_id":"m-4","contact":{"external_id":"u-4"},"text":"\u0000\u0000"}`
		code, _, raw := e.push(refused)
		if code != http.StatusUnprocessableEntity || !strings.Contains(raw, "empty") {
			t.Fatalf("a message of only NULs: %d %s", code, raw)
		}
		var q []store.Quarantine
		st.DB.Find(&q)
		if len(q) != 1 || string(q[0].Raw) != refused || q[0].ExternalID != "m-4" || q[0].ChannelID != e.ch.ID {
			t.Fatalf("quarantine = %+v", q)
		}
		// An admin's retry of it still fails and quarantines nothing new.
		if err := e.conn.(connectors.Reprocessor).Reprocess(context.Background(), q[0].Raw, q[0].ExternalID); err == nil {
			t.Fatal("reprocess of an empty message succeeded")
		}
		var nq int64
		st.DB.Model(&store.Quarantine{}).Count(&nq)
		if nq != 1 {
			t.Fatalf("reprocess quarantined again: %d rows", nq)
		}
	})
}

// TestInboundEmailOnlyContacts: a sender named only by address is this
// channel's user of that address unless trust_email vouches for it, so a
// push never lands on (or links to) the contact that proved the address.
func TestInboundEmailOnlyContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		plain := newInboundEnv(t, st, nil)
		push := func(e *inboundEnv, ext, email string) int64 {
			t.Helper()
			code, out, raw := e.push(fmt.Sprintf(`{"external_id":%q,"contact":{"email":%q},"text":"hi"}`, ext, email))
			if code != http.StatusCreated {
				t.Fatalf("push %s: %d %s", ext, code, raw)
			}
			m, err := e.svc.Message(ctx, out.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			return m.AuthorID
		}
		a := push(plain, "p-1", "Buyer@Example.com")
		if b := push(plain, "p-2", "buyer@example.com"); b != a {
			t.Fatalf("two pushes by one address: contacts %d and %d", a, b)
		}
		owner, err := plain.svc.Ingest(ctx, &inbox.Inbound{ChannelID: plain.ch.ID, ExternalID: "mail-1",
			Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "buyer@example.com", Verified: true}, Text: "from my mailbox"})
		if err != nil {
			t.Fatal(err)
		}
		if owner.ContactID == a {
			t.Fatal("an email from the address was filed under the api channel's unverified sender")
		}
		c, _ := plain.svc.Contact(ctx, a)
		if c.Email != "buyer@example.com" {
			t.Fatalf("the api sender's reply address = %q", c.Email)
		}
		trusted := newInboundEnv(t, st, map[string]any{"trust_email": true})
		if got := push(trusted, "t-1", "buyer@example.com"); got != owner.ContactID {
			t.Fatalf("with trust_email the push joins the address's contact: %d, want %d", got, owner.ContactID)
		}
	})
}

// TestWebhook4xxIsRetried is issue 10 item 11 through the dispatcher: a
// webhook that answers 400 twice and then 200 gets the reply; one that keeps
// answering 400 fails it after api.PermanentAfter attempts.
func TestWebhook4xxIsRetried(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			var mu sync.Mutex
			hits := map[string]int{}
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				hits[r.URL.Path]++
				if r.URL.Path == "/always" || hits[r.URL.Path] <= 2 {
					http.Error(w, "invalid payload", http.StatusBadRequest)
					return
				}
				fmt.Fprint(w, `{"id":"remote-1"}`)
			}))
			defer hook.Close()
			e := conntest.New(t, d)
			agent := e.Agent("agent@example.com", "상담원")
			flaky := e.AddChannel(api.Kind, "flaky", map[string]any{"webhook_url": hook.URL + "/flaky"}, map[string]any{"webhook_secret": "s"}, token)
			broken := e.AddChannel(api.Kind, "broken", map[string]any{"webhook_url": hook.URL + "/always"}, map[string]any{"webhook_secret": "s"}, token+"2")
			e.Start()
			reply := func(ch store.Channel) int64 {
				r, err := e.Inbox.Ingest(e.Ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "in-" + ch.Name,
					Contact: inbox.ContactRef{Kind: inbox.IdentityAPI, ID: fmt.Sprintf("%d/u", ch.ID), Verified: true}, Text: "question"})
				if err != nil {
					t.Fatal(err)
				}
				m, err := e.Inbox.Reply(e.Ctx, inbox.ReplyInput{TicketID: r.TicketID, AgentID: agent.ID, Text: "answer"})
				if err != nil {
					t.Fatal(err)
				}
				return m.ID
			}
			ok, failed := reply(flaky), reply(broken)
			status := func(id int64) string {
				m, err := e.Inbox.Message(e.Ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return m.DeliveryStatus
			}
			e.Eventually("both deliveries settled", func() bool { return status(ok) == store.DeliverySent && status(failed) == store.DeliveryFailed })
			mu.Lock()
			defer mu.Unlock()
			if hits["/flaky"] != 3 || hits["/always"] != api.PermanentAfter {
				t.Fatalf("webhook hits = %v, want 3 and %d", hits, api.PermanentAfter)
			}
		})
	}
}
