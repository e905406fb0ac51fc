package server_test

import (
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors/widget"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestTypedEmailLeak is issue 10 item 1 through the real widget and email
// channels: a stranger types the owner's address into "leave your email",
// the owner then writes an ordinary email ("카드 끝자리 4321") and later signs
// into the widget with a valid user_hash. Neither browser may see the other's
// messages, and the agent's answer to the stranger still continues by email
// to the address the stranger typed.
func TestTypedEmailLeak(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			const owner, secret = "owner@customer.test", "site-identity-secret"
			ts := newTestServer(t, d)
			mx := newMailCatcher(t)
			smtpHost, smtpPort, _ := net.SplitHostPort(mx.addr)
			var port int
			fmt.Sscan(smtpPort, &port)
			listen := freePort(t)
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "email", "name": "Support mail", "settings": map[string]any{
				"address": "support@shop.test", "reply_to_token": true,
				"smtp":   map[string]any{"host": smtpHost, "port": port, "tls": "none"},
				"listen": map[string]any{"addr": listen},
			}}, 201, nil)
			var wch struct {
				Channel struct {
					PublicKey string `json:"public_key"`
				} `json:"channel"`
			}
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "widget", "name": "Shop chat",
				"settings": map[string]any{"allowed_origins": []string{"http://shop.test"}},
				"secrets":  map[string]any{"identity_secret": secret}}, 201, &wch)
			base := ts.http.URL + "/connectors/widget/" + wch.Channel.PublicKey
			call := func(method, path, token string, body, out any) {
				t.Helper()
				widgetCall(t, base, method, path, token, body, out)
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
			eventually(t, "mail listener up", func() bool {
				c, err := net.Dial("tcp", listen)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
			type session struct {
				VisitorToken  string `json:"visitor_token"`
				SessionToken  string `json:"session_token"`
				Conversations []struct {
					Messages []struct {
						Text string `json:"text"`
					} `json:"messages"`
				} `json:"conversations"`
			}
			history := func(s session) string {
				var b strings.Builder
				for _, c := range s.Conversations {
					for _, m := range c.Messages {
						b.WriteString(m.Text + "\n")
					}
				}
				return b.String()
			}
			type ticketList struct {
				Items []struct {
					ID      string `json:"id"`
					Channel struct {
						Kind string `json:"kind"`
					} `json:"channel"`
					Contact struct {
						ID int64 `json:"id"`
					} `json:"contact"`
				} `json:"items"`
			}
			tickets := func() ticketList {
				var l ticketList
				ts.do("GET", "/api/v1/tickets", "", nil, 200, &l)
				return l
			}

			// 1. The stranger chats and types the owner's address.
			var stranger session
			call("POST", "/session", "", map[string]any{}, &stranger)
			call("POST", "/messages", stranger.SessionToken, map[string]any{"type": "message", "client_id": "s-1", "text": "낯선 사람의 질문입니다"}, nil)
			call("POST", "/email", stranger.SessionToken, map[string]any{"email": owner}, nil)

			// 2. The owner writes an ordinary email.
			mail := "From: Owner <" + owner + ">\r\nTo: support@shop.test\r\nSubject: 카드 문의\r\nMessage-ID: <owner-1@customer.test>\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n카드 끝자리 4321 결제 확인 부탁드립니다.\r\n"
			if err := smtp.SendMail(listen, nil, owner, []string{"support@shop.test"}, []byte(mail)); err != nil {
				t.Fatal(err)
			}
			eventually(t, "owner's email ticket", func() bool { return len(tickets().Items) == 2 })

			// 3. The owner signs into the widget with a valid user_hash and writes.
			// They see their own email conversation (issue 19), never the
			// stranger's chat.
			signIn := map[string]any{"user_id": "cust-42", "email": owner, "name": "Owner", "user_hash": widget.UserHash(secret, "cust-42")}
			var signed session
			call("POST", "/session", "", signIn, &signed)
			if h := history(signed); strings.Contains(h, "낯선 사람") || !strings.Contains(h, "카드 끝자리 4321") {
				t.Fatalf("the signed-in owner's history:\n%s", h)
			}
			call("POST", "/messages", signed.SessionToken, map[string]any{"type": "message", "client_id": "o-1", "text": "주인의 위젯 메시지"}, nil)

			l := tickets()
			if len(l.Items) != 3 {
				t.Fatalf("tickets = %+v", l.Items)
			}
			byKind := map[string][]int64{}
			for _, it := range l.Items {
				byKind[it.Channel.Kind] = append(byKind[it.Channel.Kind], it.Contact.ID)
			}
			strangerContact := int64(0)
			for _, it := range l.Items {
				if it.Channel.Kind == "widget" && it.Contact.ID != byKind["email"][0] {
					strangerContact = it.Contact.ID
				}
			}
			if strangerContact == 0 || len(byKind["widget"]) != 2 || byKind["widget"][0] == byKind["widget"][1] {
				t.Fatalf("the stranger and the owner share a contact: %+v", l.Items)
			}

			// 4. Each browser sees only its own messages.
			call("POST", "/session", "", signIn, &signed)
			if h := history(signed); !strings.Contains(h, "주인의 위젯 메시지") || strings.Contains(h, "낯선 사람") {
				t.Fatalf("owner's widget history:\n%s", h)
			}
			var back session
			call("POST", "/session", "", map[string]any{"visitor_token": stranger.VisitorToken}, &back)
			if h := history(back); !strings.Contains(h, "낯선 사람의 질문") || strings.Contains(h, "4321") || strings.Contains(h, "주인의") {
				t.Fatalf("stranger's widget history:\n%s", h)
			}

			// 5. The answer to the stranger can continue by email to the address
			// they typed (sent on the email channel directly: the automatic
			// move when the visitor leaves is TestChatContinuesByEmail's).
			var strangerTicket string
			for _, it := range l.Items {
				if it.Contact.ID == strangerContact {
					strangerTicket = it.ID
				}
			}
			ts.do("POST", "/api/v1/tickets/"+strangerTicket+"/replies", "", map[string]any{"text": "답변은 메일로 보냅니다", "channel": "email"}, 201, nil)
			eventually(t, "reply mailed to the typed address", func() bool {
				mx.mu.Lock()
				defer mx.mu.Unlock()
				return len(mx.msgs) == 1
			})
			mx.mu.Lock()
			rcpt := mx.rcpt[0]
			mx.mu.Unlock()
			if len(rcpt) != 1 || rcpt[0] != owner {
				t.Fatalf("reply mailed to %v", rcpt)
			}
		})
	}
}
