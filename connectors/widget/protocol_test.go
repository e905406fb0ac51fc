package widget

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

func TestMessageCreatesTicket(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		s := h.session(SessionRequest{Locale: "ko-KR", TimeZone: "Asia/Seoul"})
		if s.VisitorToken == "" || s.SessionToken == "" || s.Contact != nil || len(s.Conversations) != 0 {
			t.Fatalf("new visitor session = %+v", s)
		}
		if s.Settings.Color != "#0a7d5a" || !s.OfficeHours.Enabled || len(s.Settings.Proactive) != 1 {
			t.Fatalf("settings for the UI = %+v, hours %+v", s.Settings, s.OfficeHours)
		}
		c := h.mustDial(s.SessionToken, "")
		ack := c.message("c-1", "배송이 언제 되나요? <b>urgent</b>")
		if ack.ID == 0 || ack.ClientID != "c-1" || ack.From != "visitor" || ack.Conversation == "" {
			t.Fatalf("ack = %+v", ack)
		}
		tickets := h.env.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("tickets = %d, want 1", len(tickets))
		}
		msgs := h.env.Messages(tickets[0].ID)
		if len(msgs) != 1 || msgs[0].Text != "배송이 언제 되나요? <b>urgent</b>" || msgs[0].ID != ack.ID {
			t.Fatalf("messages = %+v", msgs)
		}
		m := msgs[0]
		if m.Meta["page_url"] != testOrigin+"/pricing?plan=team" || m.Meta["page_title"] != "요금제 Pricing" || m.Meta["time_zone"] != "Asia/Seoul" || m.Meta["locale"] != "ko-KR" {
			t.Fatalf("meta = %v", m.Meta)
		}
		if *m.ExternalID != s.VisitorID+"/c-1" {
			t.Fatalf("external id = %q", *m.ExternalID)
		}
		if ack.Conversation != strconv.FormatInt(tickets[0].Number(), 10) {
			t.Fatalf("conversation id %q, want the ticket's number %d", ack.Conversation, tickets[0].Number())
		}
		ct, err := h.env.Inbox.ContactByIdentity(context.Background(), inbox.IdentityWidget, h.ch.PublicKey+"/"+s.VisitorID)
		if err != nil || ct.ID != tickets[0].ContactID || ct.Identities[0].Verified {
			t.Fatalf("contact by widget identity: %+v %v", ct, err)
		}
		// Same visitor, next page load: history comes back.
		s2 := h.session(SessionRequest{VisitorToken: s.VisitorToken})
		if len(s2.Conversations) != 1 || len(s2.Conversations[0].Messages) != 1 || s2.Conversations[0].Messages[0].ClientID != "c-1" {
			t.Fatalf("resumed session = %+v", s2.Conversations)
		}
	})
}

func TestResendAfterReconnectIsNoDuplicate(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		s := h.session(SessionRequest{})
		c := h.mustDial(s.SessionToken, "")
		first := c.message("c-7", "hello")
		c.conn.CloseNow()

		c2 := h.mustDial(s.SessionToken, "&since=0")
		missed := c2.next("message") // catch-up after reconnect
		if missed.ID != first.ID {
			t.Fatalf("catch-up frame = %+v", missed)
		}
		again := c2.message("c-7", "hello")
		if again.ID != first.ID {
			t.Fatalf("resend got id %d, first %d", again.ID, first.ID)
		}
		// The HTTP fallback dedupes the same way.
		var viaHTTP frame
		resp := h.do("POST", "/messages", s.SessionToken, frame{Type: "message", ClientID: "c-7", Text: "hello"}, &viaHTTP)
		if resp.StatusCode != 200 || viaHTTP.ID != first.ID {
			t.Fatalf("POST /messages resend: %d %+v", resp.StatusCode, viaHTTP)
		}
		var n int64
		h.env.Store.DB.Model(&store.Message{}).Count(&n)
		if n != 1 {
			t.Fatalf("messages stored = %d, want 1", n)
		}
	})
}

func TestWrongOriginRefused(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	s := h.session(SessionRequest{})
	_, resp, err := h.dial(s.SessionToken, "https://evil.example", "")
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("ws from evil origin: err %v resp %v", err, resp)
	}
	if _, _, err := h.dial(s.SessionToken, "http://shop.example", ""); err == nil {
		t.Fatal("ws from http:// variant of an https origin was accepted")
	}
	if _, _, err := h.dial(s.SessionToken, "https://eu.shop.example", ""); err != nil {
		t.Fatalf("ws from allowed subdomain: %v", err)
	}
	req, _ := http.NewRequest("POST", h.url("/session"), strings.NewReader(`{}`))
	req.Header.Set("Origin", "https://evil.example")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("POST /session from evil origin: %d, ACAO %q", r.StatusCode, r.Header.Get("Access-Control-Allow-Origin"))
	}
	req, _ = http.NewRequest("OPTIONS", h.url("/messages"), nil)
	req.Header.Set("Origin", testOrigin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	r, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != testOrigin ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", r.StatusCode, r.Header)
	}
}

func TestIdentityVerification(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		// A wrong or missing hash is refused.
		for _, hash := range []string{"", "00", UserHash("wrong-secret", "cust-42"), UserHash(testSecret, "cust-43")} {
			var e struct{ Error struct{ Code string } }
			resp := h.do("POST", "/session", "", SessionRequest{UserID: "cust-42", UserHash: hash, Email: "minji@example.kr"}, &e)
			if resp.StatusCode != http.StatusForbidden || e.Error.Code != "identity_invalid" {
				t.Fatalf("hash %q: %d %+v", hash, resp.StatusCode, e)
			}
		}
		// The real customer, identified by the site.
		var req SessionRequest
		b, _ := os.ReadFile("testdata/session_request.json")
		if err := json.Unmarshal(b, &req); err != nil {
			t.Fatal(err)
		}
		req.UserHash = UserHash(testSecret, req.UserID)
		owner := h.session(req)
		oc := h.mustDial(owner.SessionToken, "")
		ownMsg := oc.message("o-1", "내 주문 배송지 변경 부탁드립니다")
		ct, err := h.env.Inbox.ContactByIdentity(context.Background(), inbox.IdentityWidget, h.ch.PublicKey+"/user:cust-42")
		if err != nil {
			t.Fatal(err)
		}
		verified := map[string]bool{}
		for _, id := range ct.Identities {
			verified[id.Kind+":"+id.Value] = id.Verified
		}
		if !verified["widget:"+h.ch.PublicKey+"/user:cust-42"] || !verified["email:minji@example.kr"] || ct.Name != "김민지" {
			t.Fatalf("identified contact = %+v", ct)
		}
		// Another device of the same user sees the history.
		other := h.session(SessionRequest{UserID: "cust-42", UserHash: req.UserHash})
		if len(other.Conversations) != 1 || other.Conversations[0].Messages[0].ID != ownMsg.ID || other.Contact == nil || !other.Contact.Verified {
			t.Fatalf("same user, new device: %+v", other)
		}

		// An attacker who only claims the email sees nothing of it.
		att := h.session(SessionRequest{Email: "minji@example.kr", Name: "Minji"})
		if len(att.Conversations) != 0 || att.Contact != nil {
			t.Fatalf("attacker session unlocked history: %+v", att)
		}
		ac := h.mustDial(att.SessionToken, "&since=0")
		ac.message("a-1", "show me my orders")
		var leftEmail struct {
			OK           bool   `json:"ok"`
			SessionToken string `json:"session_token"`
		}
		if r := h.do("POST", "/email", att.SessionToken, map[string]string{"email": "minji@example.kr"}, &leftEmail); r.StatusCode != 200 || !leftEmail.OK {
			t.Fatalf("POST /email: %d", r.StatusCode)
		}
		att2 := h.session(SessionRequest{VisitorToken: att.VisitorToken, Email: "minji@example.kr"})
		if len(att2.Conversations) != 1 || len(att2.Conversations[0].Messages) != 1 || att2.Conversations[0].Messages[0].ClientID != "a-1" {
			t.Fatalf("attacker sees = %+v", att2.Conversations)
		}
		var polled struct{ Messages []frame }
		h.do("GET", "/poll?since=0&wait=0", leftEmail.SessionToken, nil, &polled)
		for _, m := range polled.Messages {
			if m.ID == ownMsg.ID {
				t.Fatal("poll leaked another contact's message")
			}
		}
		tickets := h.env.Tickets()
		if len(tickets) != 2 || tickets[0].ContactID == tickets[1].ContactID {
			t.Fatalf("tickets = %+v; attacker must be a separate contact", tickets)
		}
		attacker, _ := h.env.Inbox.Contact(context.Background(), tickets[1].ContactID)
		if attacker.Email != "minji@example.kr" {
			t.Fatalf("attacker contact email = %q; the unverified address is kept as a reply address", attacker.Email)
		}
		for _, id := range attacker.Identities {
			if id.Kind == inbox.IdentityEmail {
				t.Fatalf("attacker got an email identity: %+v", id)
			}
		}
	})
}

func TestRequireVerified(t *testing.T) {
	settings := loadSettings(t, "settings.json")
	settings["require_verified"] = true
	h := newHarness(t, "sqlite", settings)
	var e struct{ Error struct{ Code string } }
	if r := h.do("POST", "/session", "", SessionRequest{}, &e); r.StatusCode != http.StatusForbidden || e.Error.Code != "verification_required" {
		t.Fatalf("anonymous session: %d %+v", r.StatusCode, e)
	}
	s := h.session(SessionRequest{UserID: "u1", UserHash: UserHash(testSecret, "u1")})
	h.mustDial(s.SessionToken, "").message("x", "hi")
}

func TestRateLimits(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	s := h.session(SessionRequest{})
	c := h.mustDial(s.SessionToken, "")
	var limited frame
	for i := 0; i < 30 && limited.Type == ""; i++ {
		c.send(frame{Type: "message", ClientID: fmt.Sprintf("r-%d", i), Text: "spam"})
		if f := c.next("message"); f.Type == "error" {
			limited = f
		}
	}
	if limited.Code != "rate_limited" || limited.RetryAfter < 1 || limited.ClientID == "" || limited.Message == "" {
		t.Fatalf("no clear rate-limit error frame: %+v", limited)
	}
	// Too long a message gets its own error.
	c.send(frame{Type: "message", ClientID: "big", Text: strings.Repeat("가", MaxTextBytes/3+1)})
	if f := c.next("error"); f.Code != "too_large" && f.Code != "rate_limited" {
		t.Fatalf("oversized message: %+v", f)
	}
	// Sessions per IP.
	var last *http.Response
	var body struct {
		Error struct {
			Code       string
			RetryAfter int `json:"retry_after"`
		}
	}
	for i := 0; i < 70; i++ {
		last = h.do("POST", "/session", "", SessionRequest{}, &body)
		if last.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if last.StatusCode != http.StatusTooManyRequests || body.Error.Code != "rate_limited" || last.Header.Get("Retry-After") == "" {
		t.Fatalf("session flood: %d %+v", last.StatusCode, body)
	}
}

func TestOversizedMessageRejected(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	s := h.session(SessionRequest{})
	c := h.mustDial(s.SessionToken, "")
	c.send(frame{Type: "message", ClientID: "big", Text: strings.Repeat("a", MaxTextBytes+1)})
	if f := c.next("error"); f.Code != "too_large" || f.ClientID != "big" {
		t.Fatalf("oversized: %+v", f)
	}
	c.send(frame{Type: "message", ClientID: "ok", Text: strings.Repeat("a", MaxTextBytes)})
	if f := c.next("message"); f.Type != "message" {
		t.Fatalf("max-size message: %+v", f)
	}
}

func TestAgentReplyArrivesLive(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		agent := h.env.Agent("jisoo@support.example", "Jisoo")
		s := h.session(SessionRequest{})
		tab1 := h.mustDial(s.SessionToken, "")
		tab2 := h.mustDial(s.SessionToken, "")
		ack := tab1.message("c-1", "환불은 어떻게 하나요?")
		if echo := tab2.next("message"); echo.ID != ack.ID {
			t.Fatalf("second tab echo = %+v", echo)
		}
		// Agent typing on the bus reaches the visitor.
		h.env.Inbox.Bus().Publish(inbox.Event{Type: inbox.EventAgentTyping, TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Data: map[string]any{"typing": true}})
		if f := tab1.next("typing"); f.From != "agent" || f.Typing == nil || !*f.Typing {
			t.Fatalf("typing frame = %+v", f)
		}
		// An agent opening the ticket is a read receipt for the visitor.
		h.env.Inbox.Bus().Publish(inbox.Event{Type: inbox.EventAgentViewing, TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID})
		if f := tab1.next("read"); f.At == nil || f.At.Before(*ack.At) {
			t.Fatalf("read frame = %+v", f)
		}
		reply, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "주문 페이지에서 환불 신청을 누르세요 <script>x</script>"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tab := range []*client{tab1, tab2} {
			f := tab.next("message")
			if f.ID != reply.ID || f.From != "agent" || f.Author != "Jisoo" || f.Text != "주문 페이지에서 환불 신청을 누르세요 <script>x</script>" || f.Conversation != ack.Conversation {
				t.Fatalf("reply frame = %+v", f)
			}
		}
		h.env.Eventually("reply marked sent", func() bool {
			m, err := h.env.Inbox.Message(context.Background(), reply.ID)
			return err == nil && m.DeliveryStatus == store.DeliverySent && m.ExternalID != nil && *m.ExternalID == fmt.Sprintf("w-%d", reply.ID)
		})
	})
}

func TestLongPollFallback(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	agent := h.env.Agent("a@support.example", "Ara")
	s := h.session(SessionRequest{})
	var ack frame
	if r := h.do("POST", "/messages", s.SessionToken, frame{Type: "message", ClientID: "p-1", Text: "websockets are blocked here"}, &ack); r.StatusCode != 200 || ack.ID == 0 {
		t.Fatalf("POST /messages: %d %+v", r.StatusCode, ack)
	}
	got := make(chan []frame, 1)
	go func() {
		var res struct{ Messages []frame }
		h.do("GET", fmt.Sprintf("/poll?since=%d", ack.ID), s.SessionToken, nil, &res)
		got <- res.Messages
	}()
	h.env.Eventually("poll waiting", func() bool {
		h.conn.hub.mu.Lock()
		defer h.conn.hub.mu.Unlock()
		v := h.conn.hub.visitors[h.ch.PublicKey+"/"+s.VisitorID]
		return v != nil && v.polls > 0
	})
	reply, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "we see you"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case msgs := <-got:
		if len(msgs) != 1 || msgs[0].ID != reply.ID || msgs[0].Text != "we see you" {
			t.Fatalf("poll answer = %+v", msgs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("long poll did not return the reply")
	}
	h.env.Eventually("reply sent to poller", func() bool {
		m, _ := h.env.Inbox.Message(context.Background(), reply.ID)
		return m != nil && m.DeliveryStatus == store.DeliverySent
	})
}

func TestSendPresenceOutcomes(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	h.conn.hub.liveWindow = 0
	s := h.session(SessionRequest{})
	c := h.mustDial(s.SessionToken, "")
	c.message("c-1", "hi")
	tk := h.env.Tickets()[0]
	out := &inbox.Outbound{MessageID: 999, ChannelID: h.ch.ID, Ticket: inbox.TicketRef{ID: tk.ID},
		Contact: inbox.PersonRef{ID: tk.ContactID}, Text: "answer"}
	ctx := context.Background()

	ref, err := h.conn.Send(ctx, out)
	if err != nil || ref.ID != "w-999" {
		t.Fatalf("connected: %+v %v", ref, err)
	}
	if f := c.next("message"); f.ID != 999 {
		t.Fatalf("pushed frame = %+v", f)
	}
	c.conn.CloseNow()
	h.env.Eventually("socket detached", func() bool { return h.conn.hub.connCount() == 0 })

	_, err = h.conn.Send(ctx, out)
	var ra *inbox.RetryAfterError
	if !errors.As(err, &ra) || ra.After <= 0 || ra.After > 120*time.Second {
		t.Fatalf("within grace: %v", err)
	}
	// Past the grace period (the clock moves, no sleeping).
	h.conn.setClock(func() time.Time { return time.Now().Add(121 * time.Second) })
	out.Contact.Email = "visitor@example.kr"
	if _, err := h.conn.Send(ctx, out); !errors.Is(err, connectors.ErrUnreachable) {
		t.Fatalf("gone with email: %v", err)
	}
	out.Contact.Email = ""
	if ref, err := h.conn.Send(ctx, out); err != nil || ref.ID != "w-999" {
		t.Fatalf("gone without email: %v", err)
	}
}

func TestReplyAfterGraceGoesToEmailPath(t *testing.T) {
	// End to end through the dispatcher with a tiny grace: the visitor left
	// an email and went away, so the dispatcher is told to continue by
	// email; with no email channel configured it fails visibly.
	settings := loadSettings(t, "settings.json")
	settings["grace_seconds"] = 0.05
	h := newHarness(t, "sqlite", settings)
	h.conn.hub.liveWindow = 0
	agent := h.env.Agent("a@support.example", "Ara")
	s := h.session(SessionRequest{})
	c := h.mustDial(s.SessionToken, "")
	c.message("c-1", "call me back")
	if r := h.do("POST", "/email", s.SessionToken, map[string]string{"email": "back@example.kr"}, nil); r.StatusCode != 200 {
		t.Fatalf("POST /email: %d", r.StatusCode)
	}
	c.conn.CloseNow()
	h.env.Eventually("socket detached", func() bool { return h.conn.hub.connCount() == 0 })
	h.conn.setClock(func() time.Time { return time.Now().Add(time.Second) })
	reply, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "here is the answer"})
	if err != nil {
		t.Fatal(err)
	}
	h.env.Eventually("reply failed as unreachable", func() bool {
		m, _ := h.env.Inbox.Message(context.Background(), reply.ID)
		return m != nil && m.DeliveryStatus == store.DeliveryFailed && strings.Contains(m.DeliveryError, "customer left")
	})
	// The visitor still finds it in history.
	s2 := h.session(SessionRequest{VisitorToken: s.VisitorToken})
	msgs := s2.Conversations[0].Messages
	if msgs[len(msgs)-1].ID != reply.ID {
		t.Fatalf("history = %+v", msgs)
	}
}

func pngBytes() []byte {
	// A 1×1 PNG.
	return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
}

func (h *harness) upload(token, name, ct string, data []byte) (*http.Response, UploadResponse) {
	h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	hdr.Set("Content-Type", ct)
	pw, _ := mw.CreatePart(hdr)
	pw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", h.url("/upload"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Origin", testOrigin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var u UploadResponse
	json.Unmarshal(b, &u)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, u
}

func TestUploadsAndAttachments(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		s := h.session(SessionRequest{})
		if r, _ := h.upload(s.SessionToken, "x.png", "image/png", []byte("<html><script>alert(1)</script></html>")); r.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("html posing as png: %d", r.StatusCode)
		}
		if r, _ := h.upload(s.SessionToken, "big.txt", "text/plain", bytes.Repeat([]byte("a"), 1<<20+1)); r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("too large: %d", r.StatusCode)
		}
		r, up := h.upload(s.SessionToken, "../../스크린샷.png", "image/png", pngBytes())
		if r.StatusCode != http.StatusCreated || up.ContentType != "image/png" || up.Name != "스크린샷.png" {
			t.Fatalf("upload: %d %+v", r.StatusCode, up)
		}
		r, txt := h.upload(s.SessionToken, "log.txt", "text/plain", []byte("error 42"))
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("text upload: %d", r.StatusCode)
		}
		c := h.mustDial(s.SessionToken, "")
		c.send(frame{Type: "message", ClientID: "f-1", Text: "see attached", Refs: []string{up.Ref, txt.Ref}})
		ack := c.next("message")
		if len(ack.Attachments) != 2 || !ack.Attachments[0].Image || ack.Attachments[1].Image {
			t.Fatalf("ack attachments = %+v", ack)
		}
		get := func(token string, id int64) *http.Response {
			resp, err := http.Get(h.url(fmt.Sprintf("/attachments/%d?token=%s", id, token)))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp
		}
		img := get(s.SessionToken, ack.Attachments[0].ID)
		if img.StatusCode != 200 || img.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img.Header.Get("Content-Disposition"), "inline") {
			t.Fatalf("image download: %d %v", img.StatusCode, img.Header)
		}
		doc := get(s.SessionToken, ack.Attachments[1].ID)
		if doc.StatusCode != 200 || doc.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(doc.Header.Get("Content-Disposition"), "attachment") || doc.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("text download: %d %v", doc.StatusCode, doc.Header)
		}
		// Another visitor cannot read it, nor reuse the upload ref.
		other := h.session(SessionRequest{})
		if r := get(other.SessionToken, ack.Attachments[0].ID); r.StatusCode != http.StatusNotFound {
			t.Fatalf("other visitor download: %d", r.StatusCode)
		}
		oc := h.mustDial(other.SessionToken, "")
		oc.send(frame{Type: "message", ClientID: "steal", Text: "x", Refs: []string{up.Ref}})
		if f := oc.next("error"); f.Code != "bad_upload" {
			t.Fatalf("reused ref: %+v", f)
		}
	})
}

func TestFramesFromTestdataAreAccepted(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	s := h.session(SessionRequest{})
	c := h.mustDial(s.SessionToken, "")
	events := h.env.Inbox.Bus().Subscribe(h.env.Ctx, 64, func(e inbox.Event) bool {
		return e.Type == inbox.EventContactTyping || e.Type == inbox.EventVisitorPage || e.Type == EventVisitorRead
	})
	f, err := os.Open("testdata/frames.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if err := c.conn.Write(c.ctx, 1, sc.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.next("message"); !strings.Contains(got.Text, "배송") {
		t.Fatalf("message frame = %+v", got)
	}
	if got := c.next("pong"); got.Type != "pong" {
		t.Fatalf("ping answered with %+v", got)
	}
	seen := map[string]bool{}
	deadline := time.After(60 * time.Second)
	for len(seen) < 3 {
		select {
		case e := <-events:
			seen[e.Type] = true
			if e.Type == inbox.EventVisitorPage && e.ContactID == 0 {
				t.Fatalf("page event without contact: %+v", e)
			}
		case <-deadline:
			t.Fatalf("bus events seen = %v", seen)
		}
	}
	// Garbage is answered, not fatal.
	c.conn.Write(c.ctx, 1, []byte("{not json"))
	if got := c.next("error"); got.Code != "bad_json" {
		t.Fatalf("garbage frame: %+v", got)
	}
}

func TestContactMergeKeepsLiveDelivery(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	agent := h.env.Agent("a@support.example", "Ara")
	s := h.session(SessionRequest{})
	c := h.mustDial(s.SessionToken, "")
	c.message("c-1", "first")
	visitorContact := h.env.Tickets()[0].ContactID
	// An older contact (say, from email) that an agent decides is the same person.
	older := h.env.Store.DB.Exec("INSERT INTO contacts (name, email, created_at, updated_at) VALUES ('Old', '', ?, ?)", time.Now(), time.Now())
	if older.Error != nil {
		t.Fatal(older.Error)
	}
	var into int64
	h.env.Store.DB.Raw("SELECT MAX(id) FROM contacts").Scan(&into)
	if err := h.env.Inbox.MergeContacts(context.Background(), into, visitorContact); err != nil {
		t.Fatal(err)
	}
	h.env.Eventually("visitor re-resolved to the merged contact", func() bool { return h.conn.hub.hasContact(into) })
	reply, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "after merge"})
	if err != nil {
		t.Fatal(err)
	}
	if f := c.next("message"); f.ID != reply.ID {
		t.Fatalf("reply after merge = %+v", f)
	}
	s2 := h.session(SessionRequest{VisitorToken: s.VisitorToken})
	if len(s2.Conversations) != 1 || len(s2.Conversations[0].Messages) != 2 {
		t.Fatalf("history after merge = %+v", s2.Conversations)
	}
}

func TestPresenceEvents(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	s := h.session(SessionRequest{})
	c := h.mustDial(s.SessionToken, "")
	c.message("c-1", "hi")
	contactID := h.env.Tickets()[0].ContactID
	events := h.env.Inbox.Bus().Subscribe(h.env.Ctx, 16, func(e inbox.Event) bool { return e.Type == inbox.EventPresence })
	c.conn.CloseNow()
	select {
	case e := <-events:
		if e.Data["online"] != false || e.ContactID != contactID || e.ChannelID != h.ch.ID || e.Data["visitor"] != s.VisitorID {
			t.Fatalf("offline event = %+v", e)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no presence event on disconnect")
	}
	h.mustDial(s.SessionToken, "")
	select {
	case e := <-events:
		if e.Data["online"] != true || e.ContactID != contactID {
			t.Fatalf("online event = %+v", e)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no presence event on connect")
	}
}
