package server_test

import (
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestCampaignByEmail is a campaign email through real SMTP: a contact's
// cart_added event (REST) triggers the campaign; the durable consumer and
// the scheduler queue it, the dispatcher mails it to the local sink outside
// any ticket with the contact's name filled in, its own Message-ID and
// one-click List-Unsubscribe. The customer's reply, mailed to the channel's
// SMTP listener, opens a ticket linked to the send; the goal event and a
// one-click unsubscribe count in the statistics.
func TestCampaignByEmail(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts, mx, listen := newShopMail(t, d)
			first := "From: Minji <minji@customer.test>\r\nTo: hello@shop.test\r\nSubject: 배송 문의\r\nMessage-ID: <first@customer.test>\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n언제 오나요?\r\n"
			if err := smtp.SendMail(listen, nil, "minji@customer.test", []string{"hello@shop.test"}, []byte(first)); err != nil {
				t.Fatal(err)
			}
			type ticketList struct {
				Items []struct {
					ID     string `json:"id"`
					Number int64  `json:"number"`
				} `json:"items"`
			}
			var list ticketList
			waitLong(t, "the first ticket", func() bool {
				ts.do("GET", "/api/v1/tickets", "", nil, 200, &list)
				return len(list.Items) == 1
			})
			mx.mu.Lock()
			before := len(mx.msgs)
			mx.mu.Unlock()

			var camp struct {
				ID int64 `json:"id"`
			}
			ts.do("POST", "/api/v1/campaigns", "", map[string]any{"name": "장바구니 알림", "enabled": true, "channel": "email",
				"trigger": "event", "trigger_config": map[string]any{"event": "cart_added"}, "goal_event": "order_paid",
				"subject_ko": "{{contact.name|고객}}님, 장바구니를 잊지 마세요", "body_ko": "안녕하세요 {{contact.name}}님, 담아 두신 상품이 기다리고 있어요.",
				"subject_en": "Your cart", "body_en": "Hi {{contact.name|there}}", "quiet_start": "00:00", "quiet_end": "00:00", "cap_days": 0}, 201, &camp)
			ts.do("POST", "/api/v1/contacts/minji@customer.test/events", "", map[string]any{"name": "cart_added"}, 201, nil)

			var raw []byte
			waitLong(t, "the campaign mail", func() bool {
				mx.mu.Lock()
				defer mx.mu.Unlock()
				for _, m := range mx.msgs[before:] {
					if strings.Contains(string(m), "X-Hanbox-Campaign") {
						raw = m
						return true
					}
				}
				return false
			})
			msg, err := mail.CreateReader(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if subj, _ := msg.Header.Subject(); subj != "Minji님, 장바구니를 잊지 마세요" {
				t.Errorf("subject %q", subj)
			}
			mid, _ := msg.Header.MessageID()
			if !strings.HasPrefix(mid, "hanbox.campaign.") || msg.Header.Get("In-Reply-To") != "" || msg.Header.Get("X-Hanbox-Ticket") != "" {
				t.Errorf("Message-ID %q In-Reply-To %q ticket %q", mid, msg.Header.Get("In-Reply-To"), msg.Header.Get("X-Hanbox-Ticket"))
			}
			unsub := strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>")
			if !strings.HasPrefix(unsub, ts.http.URL+"/u/") || msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Fatalf("List-Unsubscribe %q, List-Unsubscribe-Post %q", msg.Header.Get("List-Unsubscribe"), msg.Header.Get("List-Unsubscribe-Post"))
			}
			text, _ := mailParts(t, raw)
			if !strings.Contains(text, "안녕하세요 Minji님, 담아 두신 상품이 기다리고 있어요.") || !strings.Contains(text, unsub) {
				t.Errorf("campaign text:\n%s", text)
			}
			stats := func() map[string]int64 {
				var c struct {
					Stats map[string]int64 `json:"stats"`
				}
				ts.do("GET", "/api/v1/campaigns/"+strconv.FormatInt(camp.ID, 10), "", nil, 200, &c)
				return c.Stats
			}
			waitLong(t, "delivered", func() bool { return stats()["delivered"] == 1 })
			// No ticket was made for the campaign mail.
			ts.do("GET", "/api/v1/tickets", "", nil, 200, &list)
			if len(list.Items) != 1 {
				t.Fatalf("%d tickets after the campaign mail", len(list.Items))
			}

			// The reply opens a ticket linked to the send.
			reply := "From: Minji <minji@customer.test>\r\nTo: hello@shop.test\r\nSubject: Re: 장바구니\r\nMessage-ID: <re1@customer.test>\r\n" +
				"In-Reply-To: <" + mid + ">\r\nReferences: <" + mid + ">\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n쿠폰 있나요?\r\n"
			if err := smtp.SendMail(listen, nil, "minji@customer.test", []string{"hello@shop.test"}, []byte(reply)); err != nil {
				t.Fatal(err)
			}
			waitLong(t, "replied", func() bool { return stats()["replied"] == 1 })
			var send store.CampaignSend
			if err := ts.srv.Store.DB.Where("campaign_id = ?", camp.ID).Take(&send).Error; err != nil {
				t.Fatal(err)
			}
			var tk store.Ticket
			if send.ReplyTicketID == nil || ts.srv.Store.DB.Take(&tk, *send.ReplyTicketID).Error != nil {
				t.Fatalf("reply ticket: %+v", send)
			}
			var m store.Message
			if err := ts.srv.Store.DB.Where("ticket_id = ?", tk.ID).Take(&m).Error; err != nil || !strings.Contains(m.Text, "쿠폰 있나요?") {
				t.Fatalf("reply ticket message: %+v %v", m, err)
			}

			// The goal, then a one-click unsubscribe.
			ts.do("POST", "/api/v1/contacts/minji@customer.test/events", "", map[string]any{"name": "order_paid"}, 201, nil)
			waitLong(t, "goal reached", func() bool { return stats()["goal_reached"] == 1 })
			resp, err := http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if s := stats(); resp.StatusCode != 200 || s["unsubscribed"] != 1 || s["sent"] != 1 {
				t.Fatalf("one-click: %d, stats %v", resp.StatusCode, s)
			}
			// A second cart_added sends nothing: once per contact, and
			// unsubscribed anyway.
			ts.do("POST", "/api/v1/contacts/minji@customer.test/events", "", map[string]any{"name": "cart_added"}, 201, nil)
			var last int64
			ts.srv.Store.DB.Model(&store.Event{}).Select("COALESCE(MAX(id), 0)").Scan(&last)
			waitLong(t, "the campaign consumer", func() bool {
				var c store.EventConsumer
				return ts.srv.Store.DB.Where("name = ?", "campaigns").Take(&c).Error == nil && c.CursorID >= last
			})
			var jobs int64
			ts.srv.Store.DB.Model(&store.Job{}).Where("kind = ? AND status = ?", "campaign.send", store.JobPending).Count(&jobs)
			if s := stats(); s["sent"] != 1 || jobs != 0 {
				t.Fatalf("stats %v, %d send jobs pending", s, jobs)
			}
		})
	}
}

// newShopMail is a public server on dialect with the email channel "Shop
// mail" (hello@shop.test) whose outgoing SMTP goes to a local mail catcher
// and whose SMTP listener (returned) is accepting connections.
func newShopMail(t *testing.T, dialect string) (*testServer, *mailCatcher, string) {
	t.Helper()
	dsn := ""
	if dialect == store.Postgres {
		dsn = storetest.PostgresDSN(t)
	}
	ts := newPublicServer(t, dsn)
	mx := newMailCatcher(t)
	smtpHost, smtpPort, _ := net.SplitHostPort(mx.addr)
	var port int
	fmt.Sscan(smtpPort, &port)
	listen := freePort(t)
	ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "email", "name": "Shop mail", "settings": map[string]any{
		"address": "hello@shop.test", "from_name": "Shop",
		"smtp": map[string]any{"host": smtpHost, "port": port, "tls": "none"}, "listen": map[string]any{"addr": listen}}}, 201, nil)
	waitLong(t, "listener up", func() bool {
		c, err := net.Dial("tcp", listen)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return ts, mx, listen
}
