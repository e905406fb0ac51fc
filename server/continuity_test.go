package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// mailCatcher is an SMTP server that keeps every message it receives.
type mailCatcher struct {
	mu   sync.Mutex
	msgs [][]byte
	rcpt [][]string
	addr string
	got  chan struct{} // when not nil, receives one value per message kept
}

type catcherSession struct {
	c  *mailCatcher
	to []string
}

func (c *mailCatcher) NewSession(*gosmtp.Conn) (gosmtp.Session, error) {
	return &catcherSession{c: c}, nil
}
func (s *catcherSession) AuthPlain(string, string) error         { return nil }
func (s *catcherSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *catcherSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *catcherSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.c.mu.Lock()
	s.c.msgs = append(s.c.msgs, b)
	s.c.rcpt = append(s.c.rcpt, s.to)
	s.c.mu.Unlock()
	if s.c.got != nil {
		s.c.got <- struct{}{}
	}
	return nil
}
func (s *catcherSession) Reset()        { s.to = nil }
func (s *catcherSession) Logout() error { return nil }

func newMailCatcher(t testing.TB) *mailCatcher {
	c := &mailCatcher{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gosmtp.NewServer(c)
	srv.Domain = "mx.customer.test"
	srv.AllowInsecureAuth = true
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c.addr = ln.Addr().String()
	return c
}

func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestChatContinuesByEmail is the whole continuity story across two real
// channels: a widget visitor asks a question, leaves their email and goes
// away; the agent's reply goes out by email through the email channel; the
// customer answers that email; the answer lands in the same ticket, which the
// visitor sees in the widget's history when they come back.
func TestChatContinuesByEmail(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := newTestServer(t, d)
			mx := newMailCatcher(t)
			smtpHost, smtpPort, _ := net.SplitHostPort(mx.addr)
			listen := freePort(t)
			var port int
			fmt.Sscan(smtpPort, &port)
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "email", "name": "Support mail", "settings": map[string]any{
				"address": "support@shop.test", "from_name": "Shop Support", "reply_to_token": true,
				"smtp":   map[string]any{"host": smtpHost, "port": port, "tls": "none"},
				"listen": map[string]any{"addr": listen},
			}}, 201, nil)
			var wch struct {
				Channel struct {
					ID        int64  `json:"id"`
					PublicKey string `json:"public_key"`
				} `json:"channel"`
			}
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "widget", "name": "Shop chat", "settings": map[string]any{
				"allowed_origins": []string{"http://shop.test"}, "grace_seconds": 30,
			}}, 201, &wch)
			base := ts.http.URL + "/connectors/widget/" + wch.Channel.PublicKey
			visitor := func(method, path, token string, body any, out any) {
				t.Helper()
				widgetCall(t, base, method, path, token, body, out)
			}
			var sess struct {
				VisitorToken string `json:"visitor_token"`
				SessionToken string `json:"session_token"`
			}
			eventually(t, "widget channel running", func() bool {
				req, _ := http.NewRequest("OPTIONS", base+"/session", nil)
				req.Header.Set("Origin", "http://shop.test")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return false
				}
				resp.Body.Close()
				return resp.StatusCode == http.StatusNoContent
			})
			visitor("POST", "/session", "", map[string]any{"page": map[string]any{"url": "http://shop.test/orders/77", "title": "주문 상세"}}, &sess)
			visitor("POST", "/messages", sess.SessionToken, map[string]any{"type": "message", "client_id": "c-1", "text": "주문한 신발 사이즈를 바꿀 수 있나요?",
				"page": map[string]any{"url": "http://shop.test/orders/77", "title": "주문 상세"}}, nil)
			visitor("POST", "/email", sess.SessionToken, map[string]any{"email": "minji@customer.test"}, nil)

			var list struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
			ts.do("GET", "/api/v1/tickets", "", nil, 200, &list)
			if len(list.Items) != 1 {
				t.Fatalf("tickets: %+v", list)
			}
			ticket := list.Items[0].ID
			// The visitor is gone (no socket, no poll) for longer than the grace
			// period: the widget's clock moves on instead of the test waiting.
			conn, ok := ts.srv.Runtime.Connector(wch.Channel.ID)
			clocked, ok2 := conn.(interface{ SetClock(func() time.Time) })
			if !ok || !ok2 {
				t.Fatal("widget channel not running or without a clock")
			}
			clocked.SetClock(func() time.Time { return time.Now().Add(time.Minute) })
			ts.do("POST", "/api/v1/tickets/"+ticket+"/replies", "", map[string]any{"text": "네, 가능합니다. 원하시는 사이즈를 알려주세요."}, 201, nil)

			var mail []byte
			eventually(t, "reply mailed to the customer", func() bool {
				mx.mu.Lock()
				defer mx.mu.Unlock()
				if len(mx.msgs) == 0 {
					return false
				}
				mail = mx.msgs[0]
				return true
			})
			mx.mu.Lock()
			rcpt := mx.rcpt[0]
			mx.mu.Unlock()
			if len(rcpt) != 1 || rcpt[0] != "minji@customer.test" {
				t.Fatalf("mail went to %v", rcpt)
			}
			msgID := regexp.MustCompile(`(?im)^Message-Id:\s*(<[^>]+>)`).FindSubmatch(mail)
			if msgID == nil {
				t.Fatalf("no Message-ID in\n%s", mail)
			}
			// The customer answers from their mail client once the reply is
			// recorded as sent (its Message-ID is a thread key from then on).
			eventually(t, "reply recorded as sent", func() bool {
				var tk struct {
					Messages []struct {
						Direction      string `json:"direction"`
						DeliveryStatus string `json:"delivery_status"`
					} `json:"messages"`
				}
				ts.do("GET", "/api/v1/tickets/"+ticket, "", nil, 200, &tk)
				for _, m := range tk.Messages {
					if m.Direction == "outbound" {
						return m.DeliveryStatus == "sent"
					}
				}
				return false
			})
			answer := "From: Minji <minji@customer.test>\r\nTo: support@shop.test\r\nSubject: Re: your question\r\n" +
				"Message-ID: <answer-1@customer.test>\r\nIn-Reply-To: " + string(msgID[1]) + "\r\nReferences: " + string(msgID[1]) + "\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n270으로 바꿔 주세요.\r\n"
			if err := smtp.SendMail(listen, nil, "minji@customer.test", []string{"support@shop.test"}, []byte(answer)); err != nil {
				t.Fatal(err)
			}
			var tk struct {
				Messages []struct {
					Direction string `json:"direction"`
					Text      string `json:"text"`
					Channel   struct {
						Kind string `json:"kind"`
					} `json:"channel"`
					DeliveryStatus string `json:"delivery_status"`
				} `json:"messages"`
			}
			eventually(t, "email answer threaded into the chat ticket", func() bool {
				ts.do("GET", "/api/v1/tickets/"+ticket, "", nil, 200, &tk)
				return len(tk.Messages) >= 3
			})
			var kinds []string
			for _, m := range tk.Messages {
				if m.Direction == "system" {
					continue
				}
				kinds = append(kinds, m.Direction+"/"+m.Channel.Kind)
			}
			if strings.Join(kinds, " ") != "inbound/widget outbound/email inbound/email" {
				t.Fatalf("thread: %v", kinds)
			}
			last := tk.Messages[len(tk.Messages)-1]
			if !strings.Contains(last.Text, "270으로") {
				t.Fatalf("answer text %q", last.Text)
			}
			var list2 struct{ Items []any }
			ts.do("GET", "/api/v1/tickets", "", nil, 200, &list2)
			if len(list2.Items) != 1 {
				t.Fatalf("the email answer opened a new ticket: %d tickets", len(list2.Items))
			}
			// Back on the site, the visitor's history has the whole conversation.
			var back struct {
				Conversations []struct {
					Messages []struct {
						Text string `json:"text"`
					} `json:"messages"`
				} `json:"conversations"`
			}
			visitor("POST", "/session", "", map[string]any{"visitor_token": sess.VisitorToken}, &back)
			var all bytes.Buffer
			for _, c := range back.Conversations {
				for _, m := range c.Messages {
					all.WriteString(m.Text + "\n")
				}
			}
			for _, want := range []string{"사이즈를 바꿀", "가능합니다", "270으로"} {
				if !strings.Contains(all.String(), want) {
					t.Errorf("widget history lacks %q:\n%s", want, all.String())
				}
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// widgetCall sends a visitor request to a widget channel from the allowed
// origin, fails the test on an error status and decodes the answer into out.
func widgetCall(t *testing.T, base, method, path, token string, body, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(mustJSON(body))
	}
	req, _ := http.NewRequest(method, base+path, r)
	req.Header.Set("Origin", "http://shop.test")
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

// TestQuarantineRetry: an admin re-imports quarantined mail through its
// channel once it parses; mail that still does not parse stays put.
func TestQuarantineRetry(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	listen := freePort(t)
	var ch channelCreated
	ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "email", "name": "mail", "settings": map[string]any{
		"address": "support@shop.test", "listen": map[string]any{"addr": listen}}}, 201, &ch)
	eventually(t, "listener up", func() bool {
		c, err := net.Dial("tcp", listen)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	// Junk is quarantined on arrival.
	if err := smtp.SendMail(listen, nil, "x@customer.test", []string{"support@shop.test"}, []byte("no header at all, just words\r\n")); err != nil {
		t.Fatal(err)
	}
	var items struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	eventually(t, "quarantined", func() bool {
		ts.do("GET", "/api/v1/quarantine", "", nil, 200, &items)
		return len(items.Items) == 1
	})
	junk := items.Items[0].ID
	ts.do("POST", fmt.Sprintf("/api/v1/quarantine/%d/retry", junk), "", nil, 422, nil)
	// Mail an older Hanbox could not read, kept raw, imports on retry.
	good := "From: Minji <minji@customer.test>\r\nTo: support@shop.test\r\nSubject: =?EUC-KR?B?wda5rg==?=\r\nMessage-ID: <old-1@customer.test>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n주문 문의입니다.\r\n"
	q := store.Quarantine{ChannelID: ch.Channel.ID, ExternalID: "smtp:old", Reason: "old parser", Raw: []byte(good), Size: int64(len(good))}
	ts.srv.Store.DB.Create(&q)
	ts.do("POST", fmt.Sprintf("/api/v1/quarantine/%d/retry", q.ID), "", nil, 200, nil)
	var list struct {
		Items []struct {
			Subject string `json:"subject"`
		} `json:"items"`
	}
	ts.do("GET", "/api/v1/tickets", "", nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Subject != "주문" {
		t.Fatalf("tickets after retry: %+v", list.Items)
	}
	ts.do("POST", fmt.Sprintf("/api/v1/quarantine/%d/retry", q.ID), "", nil, 409, nil)
}

// TestWidgetAcrossInstances runs two instances on one PostgreSQL database: a
// widget channel created on a starts on b too; a visitor connected to b gets
// an agent reply sent by a's dispatcher live, and it is not rerouted.
func TestWidgetAcrossInstances(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("needs HANBOX_TEST_POSTGRES")
	}
	dsn := storetest.PostgresDSN(t)
	a := newTestServerDSN(t, dsn, "a@example.com")
	// b never dispatches, so a's dispatcher must reach b's visitor.
	b := newTestServerDSN(t, dsn, "b@example.com", func(s *server.Server) { s.Dispatch.Poll = time.Hour })
	waitRelay(t, a, b)
	waitRelay(t, b, a)
	var wch struct {
		Channel struct {
			PublicKey string `json:"public_key"`
		} `json:"channel"`
	}
	a.do("POST", "/api/v1/channels", "", map[string]any{"kind": "widget", "name": "chat", "settings": map[string]any{
		"allowed_origins": []string{"http://shop.test"}, "grace_seconds": 0.2}}, 201, &wch)
	base := b.http.URL + "/connectors/widget/" + wch.Channel.PublicKey
	post := func(path, token string, body any, out any) {
		t.Helper()
		widgetCall(t, base, "POST", path, token, body, out)
	}
	var sess struct {
		SessionToken string `json:"session_token"`
	}
	eventually(t, "widget channel running on b", func() bool {
		_, ok := b.srv.Runtime.Sender(1)
		return ok
	})
	post("/session", "", map[string]any{}, &sess)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws?token=" + sess.SessionToken
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://shop.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if err := conn.Write(ctx, websocket.MessageText, []byte(mustJSON(map[string]any{"type": "message", "client_id": "c1", "text": "안녕하세요"}))); err != nil {
		t.Fatal(err)
	}
	post("/email", sess.SessionToken, map[string]any{"email": "v@customer.test"}, nil)
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	eventually(t, "ticket", func() bool {
		a.do("GET", "/api/v1/tickets", "", nil, 200, &list)
		return len(list.Items) == 1
	})
	// A short reply, then one whose delivery frame is far over PostgreSQL's
	// 8000-byte notification limit: both reach the visitor on b live.
	long := strings.Repeat("주문하신 상품은 내일 출고됩니다. ", 400) // ~18 KB
	for _, text := range []string{"네, 말씀하세요.", long} {
		a.do("POST", "/api/v1/tickets/"+list.Items[0].ID+"/replies", "", map[string]any{"text": text}, 201, nil)
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				t.Fatalf("reply never reached the visitor on b: %v", err)
			}
			var f struct{ Type, From, Text string }
			json.Unmarshal(data, &f)
			if f.Type == "message" && f.From == "agent" {
				if f.Text != text {
					t.Fatalf("reply text has %d bytes, want %d", len(f.Text), len(text))
				}
				break
			}
		}
	}
	var tk struct {
		Messages []struct {
			DeliveryStatus string `json:"delivery_status"`
			Channel        struct{ Kind string }
		} `json:"messages"`
	}
	eventually(t, "both sent on the widget", func() bool {
		a.do("GET", "/api/v1/tickets/"+list.Items[0].ID, "", nil, 200, &tk)
		n := len(tk.Messages)
		return n >= 2 && tk.Messages[n-1].DeliveryStatus == "sent" && tk.Messages[n-1].Channel.Kind == "widget" &&
			tk.Messages[n-2].DeliveryStatus == "sent" && tk.Messages[n-2].Channel.Kind == "widget"
	})
}
