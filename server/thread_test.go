package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/emersion/go-message/mail"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
	"github.com/hanbox/hanbox/ui"
)

// newPublicServer is a test server that knows its public URL (so agent mail
// carries conversation links) and serves the UI (so the links open).
func newPublicServer(t *testing.T, dsn string) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "error", DatabaseURL: dsn, BaseURL: base}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, ui.Mount)
	if err != nil {
		t.Fatal(err)
	}
	srv.Dispatch.BaseBackoff, srv.Dispatch.MaxBackoff, srv.Dispatch.Poll = 20*time.Millisecond, 200*time.Millisecond, 20*time.Millisecond
	srv.Start(ctx)
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(func() {
		cancel()
		hs.CloseClientConnections()
		hs.Close()
		srv.Close()
	})
	if err := auth.CreateAgent(ctx, srv.Store, "admin@example.com", "지수", store.RoleAdmin, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, srv: srv, http: hs}
	var login struct {
		Token string `json:"token"`
	}
	ts.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@example.com", "password": "correct horse battery"}, 200, &login)
	ts.token = login.Token
	return ts
}

// wsClient is a widget socket that collects frames.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context
}

func dialWidget(t *testing.T, base, token, origin string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws?token="+token, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return &wsClient{t: t, conn: conn, ctx: ctx}
}

type wsFrame struct {
	Type, From, Text, Code string
	ID                     int64
	ClientID               string `json:"client_id"`
	Conversation           string `json:"conversation_id"`
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.Write(c.ctx, websocket.MessageText, []byte(mustJSON(v))); err != nil {
		c.t.Fatal(err)
	}
}

// next reads frames until one matches.
func (c *wsClient) next(what string, match func(wsFrame) bool) wsFrame {
	c.t.Helper()
	for {
		_, b, err := c.conn.Read(c.ctx)
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		var f wsFrame
		json.Unmarshal(b, &f)
		if match(f) {
			return f
		}
	}
}

func userHash(secret, user string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(user))
	return hex.EncodeToString(m.Sum(nil))
}

// mailParts returns the text and HTML parts of a raw message.
func mailParts(t *testing.T, raw []byte) (text, html string) {
	t.Helper()
	r, err := mail.CreateReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			ct, _, _ := h.ContentType()
			b, _ := io.ReadAll(p.Body)
			if ct == "text/plain" {
				text = string(b)
			} else if ct == "text/html" {
				html = string(b)
			}
		}
	}
	return text, html
}

// TestOneThreadAcrossChannels is issue 19's sequence through real channels:
// a customer emails (over SMTP); later signs into the site's widget with a
// valid user_hash and the same address and sees that conversation at once;
// answers from the widget into the email ticket; the agent's reply comes
// back live to the widget; after the customer leaves, the next reply goes by
// email, with the link to the conversation page, which shows the whole
// thread (and no note) and opens its live part.
func TestOneThreadAcrossChannels(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			dsn := ""
			if d == store.Postgres {
				dsn = storetest.PostgresDSN(t)
			}
			ts := newPublicServer(t, dsn)
			mx := newMailCatcher(t)
			smtpHost, smtpPort, _ := net.SplitHostPort(mx.addr)
			var port int
			fmt.Sscan(smtpPort, &port)
			listen := freePort(t)
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "email", "name": "Support mail", "settings": map[string]any{
				"address": "support@shop.test", "from_name": "Shop Support", "reply_to_token": true,
				"smtp": map[string]any{"host": smtpHost, "port": port, "tls": "none"}, "listen": map[string]any{"addr": listen}}}, 201, nil)
			var wch struct {
				Channel struct {
					ID        int64  `json:"id"`
					PublicKey string `json:"public_key"`
				} `json:"channel"`
			}
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "widget", "name": "Shop chat",
				"settings": map[string]any{"allowed_origins": []string{"http://shop.test"}, "grace_seconds": 1},
				"secrets":  map[string]any{"identity_secret": "site-secret"}}, 201, &wch)
			base := ts.http.URL + "/connectors/widget/" + wch.Channel.PublicKey
			eventually(t, "listener up", func() bool {
				c, err := net.Dial("tcp", listen)
				if err == nil {
					c.Close()
				}
				return err == nil
			})

			// 1. Email first.
			first := "From: Minji <minji@customer.test>\r\nTo: support@shop.test\r\nSubject: 신발 교환\r\nMessage-ID: <q1@customer.test>\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n신발 사이즈를 바꿀 수 있나요?\r\n"
			if err := smtp.SendMail(listen, nil, "minji@customer.test", []string{"support@shop.test"}, []byte(first)); err != nil {
				t.Fatal(err)
			}
			var list struct {
				Items []struct {
					ID     string `json:"id"`
					Number int64  `json:"number"`
				} `json:"items"`
			}
			eventually(t, "the email ticket", func() bool {
				ts.do("GET", "/api/v1/tickets", "", nil, 200, &list)
				return len(list.Items) == 1
			})
			ticket, num := list.Items[0].ID, fmt.Sprint(list.Items[0].Number)
			ts.do("POST", "/api/v1/tickets/"+ticket+"/notes", "", map[string]any{"text": "내부 메모: 재고 확인 필요"}, 201, nil)

			// 2. Verified widget login: the history is there before writing.
			eventually(t, "widget channel running", func() bool { _, ok := ts.srv.Runtime.Sender(wch.Channel.ID); return ok })
			var sess struct {
				SessionToken  string `json:"session_token"`
				Conversations []struct {
					ID       string `json:"id"`
					Channel  string `json:"channel"`
					Messages []struct{ Text, From string }
				} `json:"conversations"`
			}
			widgetCall(t, base, "POST", "/session", "", map[string]any{"user_id": "42", "email": "minji@customer.test", "name": "Minji",
				"user_hash": userHash("site-secret", "42")}, &sess)
			if len(sess.Conversations) != 1 || sess.Conversations[0].ID != num || sess.Conversations[0].Channel != "email" ||
				len(sess.Conversations[0].Messages) != 1 || !strings.Contains(sess.Conversations[0].Messages[0].Text, "사이즈를 바꿀") {
				t.Fatalf("widget history: %+v", sess.Conversations)
			}
			if strings.Contains(mustJSON(sess), "내부 메모") {
				t.Fatal("a note reached the widget's JSON")
			}
			// An anonymous visitor who types the same address sees nothing.
			var anon struct {
				Conversations []any `json:"conversations"`
			}
			widgetCall(t, base, "POST", "/session", "", map[string]any{"email": "minji@customer.test"}, &anon)
			if len(anon.Conversations) != 0 {
				t.Fatalf("an anonymous visitor sees %v", anon.Conversations)
			}

			// 3. The reply from the widget lands in the email ticket.
			ws := dialWidget(t, base, sess.SessionToken, "http://shop.test")
			ws.send(map[string]any{"type": "message", "client_id": "w-1", "conversation_id": num, "text": "270으로 바꿔 주세요"})
			if ack := ws.next("ack", func(f wsFrame) bool { return f.Type == "message" && f.ClientID == "w-1" || f.Type == "error" }); ack.Conversation != num {
				t.Fatalf("ack %+v", ack)
			}
			ts.do("GET", "/api/v1/tickets", "", nil, 200, &list)
			if len(list.Items) != 1 {
				t.Fatalf("the widget answer opened a ticket: %d tickets", len(list.Items))
			}

			// 4. The agent's reply goes back live to the widget.
			ts.do("POST", "/api/v1/tickets/"+ticket+"/replies", "", map[string]any{"text": "네, 270으로 준비할게요."}, 201, nil)
			if f := ws.next("live reply", func(f wsFrame) bool { return f.Type == "message" && f.From == "agent" }); f.Text != "네, 270으로 준비할게요." || f.Conversation != num {
				t.Fatalf("live reply %+v", f)
			}

			// 5. The customer leaves; the next reply goes by email, with the page link.
			// Wait until the server has seen the socket go (its presence
			// event), or the reply could still be written to it.
			gone := ts.srv.Inbox.Bus().Subscribe(t.Context(), 16, func(e inbox.Event) bool {
				return e.Type == inbox.EventPresence && e.Data["online"] == false && !e.Remote
			})
			ws.conn.Close(websocket.StatusNormalClosure, "bye")
			select {
			case <-gone:
			case <-time.After(60 * time.Second):
				t.Fatal("the server never saw the widget socket close")
			}
			conn, _ := ts.srv.Runtime.Connector(wch.Channel.ID)
			// The server sees the close asynchronously: until it has, a reply
			// still goes to the socket.
			eventually(t, "socket detached", func() bool { return conn.(interface{ Sockets() int }).Sockets() == 0 })
			conn.(interface{ SetClock(func() time.Time) }).SetClock(func() time.Time { return time.Now().Add(time.Minute) })
			ts.do("POST", "/api/v1/tickets/"+ticket+"/replies", "", map[string]any{"text": "교환 접수 완료되었습니다."}, 201, nil)
			var raw []byte
			eventually(t, "the reply by email", func() bool {
				mx.mu.Lock()
				defer mx.mu.Unlock()
				for _, m := range mx.msgs {
					if strings.Contains(string(m), "X-Hanbox-Continued-From: widget") {
						raw = m
						return true
					}
				}
				return false
			})
			text, html := mailParts(t, raw)
			link := regexp.MustCompile(`http://127\.0\.0\.1:\d+/c/[A-Za-z0-9._-]+`).FindString(text)
			if link == "" || !strings.Contains(text, "이 대화를 웹에서 보기") || !strings.Contains(text, "교환 접수 완료") || !strings.Contains(html, `href="`+link+`"`) {
				t.Fatalf("the email lacks its conversation link:\n%s\n%s", text, html)
			}

			// 6. The page shows the whole thread, every channel, without the note.
			resp, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{"신발 사이즈를 바꿀 수 있나요?", "270으로 바꿔 주세요", "네, 270으로 준비할게요.", "교환 접수 완료되었습니다."} {
				if !strings.Contains(string(page), want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			if resp.StatusCode != 200 || strings.Contains(string(page), "내부 메모") {
				t.Errorf("page %d, note shown: %v", resp.StatusCode, strings.Contains(string(page), "내부 메모"))
			}
			// Its live part opens on the widget channel, for this conversation only.
			var ps struct {
				Conversations []struct{ ID string } `json:"conversations"`
			}
			_, tok, _ := strings.Cut(link, "/c/")
			req, _ := http.NewRequest("POST", base+"/page/session", strings.NewReader(mustJSON(map[string]any{"token": tok})))
			req.Header.Set("Origin", ts.http.URL)
			req.Header.Set("Content-Type", "application/json")
			presp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(presp.Body).Decode(&ps)
			presp.Body.Close()
			if presp.StatusCode != 200 || len(ps.Conversations) != 1 || ps.Conversations[0].ID != num {
				t.Fatalf("page session %d %+v", presp.StatusCode, ps)
			}
		})
	}
}

// TestConversationPageAcrossInstances: on two instances over one
// PostgreSQL database, a page open on b receives, live, the reply an agent
// sends through a (a's dispatcher delivers it to b's socket over the relay),
// and a revocation made on a closes it on b.
func TestConversationPageAcrossInstances(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("needs HANBOX_TEST_POSTGRES")
	}
	dsn := storetest.PostgresDSN(t)
	a := newTestServerDSN(t, dsn, "a@example.com")
	b := newTestServerDSN(t, dsn, "b@example.com", func(s *server.Server) { s.Dispatch.Poll = time.Hour })
	waitRelay(t, a, b)
	waitRelay(t, b, a)
	var wch struct {
		Channel struct {
			ID        int64  `json:"id"`
			PublicKey string `json:"public_key"`
		} `json:"channel"`
	}
	a.do("POST", "/api/v1/channels", "", map[string]any{"kind": "widget", "name": "chat", "settings": map[string]any{
		"allowed_origins": []string{"http://shop.test"}, "grace_seconds": 0.2}}, 201, &wch)
	var ch channelCreated
	a.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop"}, 201, &ch)
	var in struct {
		TicketID string `json:"ticket_id"`
	}
	a.do("POST", fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID), ch.Token,
		map[string]any{"external_id": "x", "contact": map[string]any{"external_id": "u", "email": "minji@customer.test"}, "text": "문의드려요"}, 201, &in)
	tk, err := a.srv.Inbox.TicketByPublicID(context.Background(), in.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	url, err := a.srv.Inbox.ConversationLink(context.Background(), tk.ID, "minji@customer.test")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(url, "/c/")
	base := b.http.URL + "/connectors/widget/" + wch.Channel.PublicKey
	eventually(t, "widget channel running on b", func() bool { _, ok := b.srv.Runtime.Sender(wch.Channel.ID); return ok })
	var ps struct {
		SessionToken string `json:"session_token"`
	}
	widgetCall(t, base, "POST", "/page/session", "", map[string]any{"token": tok}, &ps)
	ws := dialWidget(t, base, ps.SessionToken, "http://shop.test")
	ws.send(map[string]any{"type": "message", "client_id": "p-1", "text": "페이지에서 답합니다"})
	ws.next("ack", func(f wsFrame) bool { return f.Type == "message" && f.ClientID == "p-1" })
	// The reply goes to the widget channel (the customer's latest) and a's
	// dispatcher, which holds no socket, hands it to b.
	a.do("POST", "/api/v1/tickets/"+in.TicketID+"/replies", "", map[string]any{"text": "a에서 보낸 답변"}, 201, nil)
	if f := ws.next("the reply sent through a", func(f wsFrame) bool { return f.Type == "message" && f.From == "agent" }); f.Text != "a에서 보낸 답변" {
		t.Fatalf("frame %+v", f)
	}
	var got struct {
		Messages []struct {
			DeliveryStatus string `json:"delivery_status"`
			Channel        struct{ Kind string }
		} `json:"messages"`
	}
	eventually(t, "the reply sent on the widget, not rerouted", func() bool {
		a.do("GET", "/api/v1/tickets/"+in.TicketID, "", nil, 200, &got)
		n := len(got.Messages)
		return got.Messages[n-1].DeliveryStatus == "sent" && got.Messages[n-1].Channel.Kind == "widget"
	})
	// Revoked on a: the page on b is closed.
	var links struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	a.do("GET", "/api/v1/tickets/"+in.TicketID+"/links", "", nil, 200, &links)
	a.do("DELETE", fmt.Sprintf("/api/v1/tickets/%s/links/%d", in.TicketID, links.Items[0].ID), "", nil, 200, nil)
	if f := ws.next("the page closed", func(f wsFrame) bool { return f.Type == "closed" }); f.Code != "link_revoked" {
		t.Fatalf("frame %+v", f)
	}
}
