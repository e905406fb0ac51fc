package widget

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// emailTicket files a customer's email (with a PDF) on a disabled email
// channel row of the harness's store, answers it and adds a note, and
// returns the ticket.
func (h *harness) emailTicket(from, key, text string) store.Ticket {
	h.t.Helper()
	ctx := context.Background()
	var ch store.Channel
	if err := h.env.Store.DB.Where("kind = ?", "email").Take(&ch).Error; err != nil {
		ch = store.Channel{Kind: "email", Name: "Support mail", PublicKey: inbox.NewPublicID(), Enabled: false}
		if err := h.env.Store.DB.Create(&ch).Error; err != nil {
			h.t.Fatal(err)
		}
	}
	r, err := h.env.Inbox.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: key, ThreadKeys: []string{"email:" + key}, OwnKeys: []string{"email:" + key},
		Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: from, Verified: true}, Subject: "주문 문의", Text: text,
		Attachments: []inbox.Attachment{{Name: "invoice.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 " + key)}}})
	if err != nil {
		h.t.Fatal(err)
	}
	agent := store.Agent{Email: "agent-" + key + "@shop.test", Name: "지수", Role: store.RoleAgent, Active: true}
	h.env.Store.DB.Create(&agent)
	// The reply is stored as any agent reply; the email channel is not
	// running, so it stays queued: delivery is not what this is about.
	h.env.Store.DB.Model(&store.Channel{}).Where("id = ?", ch.ID).Update("enabled", true)
	if _, err := h.env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: r.TicketID, AgentID: agent.ID, Text: "이메일 답변: " + text}); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.env.Inbox.AddNote(ctx, r.TicketID, agent.ID, "내부 메모 "+key, nil); err != nil {
		h.t.Fatal(err)
	}
	t, err := h.env.Inbox.Ticket(ctx, r.TicketID)
	if err != nil {
		h.t.Fatal(err)
	}
	return *t
}

func convTexts(cs []conversation) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString("#" + c.ID + "/" + c.Channel + ":")
		for _, m := range c.Messages {
			b.WriteString(" [" + m.From + "/" + m.Channel + "] " + m.Text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func verified(user, email string) SessionRequest {
	return SessionRequest{UserID: user, UserHash: UserHash(testSecret, user), Email: email, Name: "민지"}
}

// The exact story of issue 19 at the widget's edge: a customer who wrote
// by email signs in on the site (user_hash, same address) and sees that
// conversation before writing anything; their answer from the widget lands
// in the email ticket; the agent's reply comes back live to the widget.
// Nobody else sees any of it: not a visitor who typed the address, not
// another signed-in user.
func TestVerifiedCustomerSeesAndContinuesEmailConversation(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		ctx := context.Background()
		tk := h.emailTicket("minji@customer.test", "q1@customer.test", "신발 사이즈를 바꿀 수 있나요?")
		num := strconv.FormatInt(tk.Number(), 10)

		s := h.session(verified("42", "Minji@Customer.test"))
		if len(s.Conversations) != 1 || s.Conversations[0].ID != num || s.Conversations[0].Channel != "email" || !s.Conversations[0].Continuable {
			t.Fatalf("signed-in customer's conversations:\n%s", convTexts(s.Conversations))
		}
		got := convTexts(s.Conversations)
		if want := "#" + num + "/email: [visitor/email] 신발 사이즈를 바꿀 수 있나요? [agent/email] 이메일 답변: 신발 사이즈를 바꿀 수 있나요?\n"; got != want {
			t.Fatalf("history\n got %q\nwant %q", got, want)
		}
		if strings.Contains(got, "내부 메모") || s.Contact == nil || !s.Contact.Verified {
			t.Fatalf("note shown or contact %+v", s.Contact)
		}
		pdf := s.Conversations[0].Messages[0].Attachments[0]

		// Others see none of it.
		anon := h.session(SessionRequest{Email: "minji@customer.test", Name: "민지"})
		other := h.session(verified("77", "jun@customer.test"))
		for name, o := range map[string]SessionResponse{"visitor who typed the address": anon, "another signed-in user": other} {
			if len(o.Conversations) != 0 || o.Contact != nil {
				t.Errorf("%s sees %s (contact %+v)", name, convTexts(o.Conversations), o.Contact)
			}
			for _, path := range []string{"/attachments/" + strconv.FormatInt(pdf.ID, 10) + "?token=" + o.SessionToken, "/conversations/" + num} {
				if resp := h.do("GET", path, o.SessionToken, nil, nil); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s GET %s: %d", name, path, resp.StatusCode)
				}
			}
		}
		// The anonymous visitor chats and leaves the address: still only their own chat.
		ac := h.mustDial(anon.SessionToken, "")
		ac.message("a-1", "저도 민지예요")
		h.do("POST", "/email", anon.SessionToken, map[string]string{"email": "minji@customer.test"}, nil)
		if again := h.session(SessionRequest{VisitorToken: anon.VisitorToken, Email: "minji@customer.test"}); len(again.Conversations) != 1 ||
			again.Conversations[0].ID == num || strings.Contains(convTexts(again.Conversations), "사이즈") {
			t.Errorf("after chatting, the visitor sees\n%s", convTexts(again.Conversations))
		}

		// The file and the whole conversation open for the customer.
		resp := h.do("GET", "/attachments/"+strconv.FormatInt(pdf.ID, 10)+"?token="+s.SessionToken, "", nil, nil)
		if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "%PDF") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("customer's file: %d %q", resp.StatusCode, body)
		}
		var one conversation
		if resp := h.do("GET", "/conversations/"+num, s.SessionToken, nil, &one); resp.StatusCode != http.StatusOK || len(one.Messages) != 2 || one.Subject != "주문 문의" {
			t.Errorf("GET /conversations: %d %+v", resp.StatusCode, one)
		}

		// Their answer from the widget lands in the email ticket.
		c := h.mustDial(s.SessionToken, "")
		c.send(frame{Type: "message", ClientID: "w-1", Conversation: num, Text: "270으로 바꿔 주세요"})
		ack := c.next("message")
		if ack.Type != "message" || ack.Conversation != num {
			t.Fatalf("ack %+v", ack)
		}
		msgs := h.env.Messages(tk.ID)
		last := msgs[len(msgs)-1]
		if last.Text != "270으로 바꿔 주세요" || last.Direction != store.DirInbound || last.ChannelID != h.ch.ID {
			t.Fatalf("the widget answer is not in the email ticket: %+v", last)
		}
		if n := len(h.env.Tickets()); n != 2 { // the email ticket and the anonymous visitor's chat
			t.Errorf("%d tickets", n)
		}
		// The agent's next reply goes back to the widget (the customer's
		// latest channel), live.
		agent := store.Agent{Email: "jisoo@shop.test", Name: "지수", Role: store.RoleAgent, Active: true}
		h.env.Store.DB.Create(&agent)
		reply, err := h.env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: tk.ID, AgentID: agent.ID, Text: "네, 270으로 바꿔 드릴게요."})
		if err != nil {
			t.Fatal(err)
		}
		f := c.next("message")
		if f.ID != reply.ID || f.Conversation != num || f.From != "agent" || f.Text != "네, 270으로 바꿔 드릴게요." {
			t.Fatalf("live reply %+v", f)
		}
		h.env.Eventually("reply delivered on the widget", func() bool {
			m, err := h.env.Inbox.Message(ctx, reply.ID)
			return err == nil && m.DeliveryStatus == store.DeliverySent && m.ChannelID == h.ch.ID
		})

		// Closed, it is history: writing into it is refused, and the script
		// starts a new conversation instead.
		closed := store.StatusClosed
		if _, err := h.env.Inbox.UpdateTicket(ctx, tk.ID, 0, inbox.TicketPatch{Status: &closed}); err != nil {
			t.Fatal(err)
		}
		c.send(frame{Type: "message", ClientID: "w-2", Conversation: num, Text: "하나 더요"})
		if e := c.next("error"); e.Code != "conversation_closed" || e.ClientID != "w-2" {
			t.Errorf("message into a closed conversation: %+v", e)
		}
	})
}

// A page session (a conversation link's live part) sees and writes one
// conversation: the link's ticket. Frames, files and conversations of the
// customer's other tickets stay out of reach, and a revoked link ends it.
func TestPageSessionIsOneConversation(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		ctx := context.Background()
		a := h.emailTicket("minji@customer.test", "a@customer.test", "첫 번째 문의")
		b := h.emailTicket("minji@customer.test", "b@customer.test", "두 번째 문의")
		url, err := h.env.Inbox.ConversationLink(ctx, a.ID, "minji@customer.test")
		if err != nil {
			t.Fatal(err)
		}
		_, tok, _ := strings.Cut(url, "/c/")
		page := func(method, path, token string, body, out any) *http.Response {
			t.Helper()
			return h.doFrom("http://hanbox.test", method, path, token, body, out)
		}
		var s SessionResponse
		if resp := page("POST", "/page/session", "", PageSessionRequest{Token: tok}, &s); resp.StatusCode != http.StatusOK {
			t.Fatalf("page session: %d", resp.StatusCode)
		}
		an, bn := strconv.FormatInt(a.Number(), 10), strconv.FormatInt(b.Number(), 10)
		if len(s.Conversations) != 1 || s.Conversations[0].ID != an || strings.Contains(convTexts(s.Conversations), "두 번째") {
			t.Fatalf("page sees\n%s", convTexts(s.Conversations))
		}
		var bmsgs []inbox.CustomerMessage
		bmsgs, _ = h.env.Inbox.CustomerMessages(ctx, b.ContactID, []int64{b.ID}, 0, 10)
		bfile := strconv.FormatInt(bmsgs[0].Attachments[0].ID, 10)
		afile := strconv.FormatInt(s.Conversations[0].Messages[0].Attachments[0].ID, 10)
		if resp := page("GET", "/attachments/"+bfile, s.SessionToken, nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("page opens another ticket's file: %d", resp.StatusCode)
		}
		if resp := page("GET", "/attachments/"+afile, s.SessionToken, nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("page's own file: %d", resp.StatusCode)
		}
		if resp := page("GET", "/conversations/"+bn, s.SessionToken, nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("page opens another conversation: %d", resp.StatusCode)
		}

		c, _, err := h.dial(s.SessionToken, "http://hanbox.test", "")
		if err != nil {
			t.Fatal(err)
		}
		// Naming another conversation changes nothing: a page writes into its own.
		c.send(frame{Type: "message", ClientID: "p-1", Conversation: bn, Text: "페이지에서 씁니다"})
		if ack := c.next("message"); ack.Conversation != an {
			t.Fatalf("ack %+v", ack)
		}
		msgs := h.env.Messages(a.ID)
		if last := msgs[len(msgs)-1]; last.Text != "페이지에서 씁니다" || last.Meta["via"] != "page" || last.AuthorID != a.ContactID {
			t.Fatalf("page message %+v", last)
		}
		// A reply on the other ticket never reaches the page; one on its own does.
		other := &inbox.Outbound{MessageID: 90001, ChannelID: h.ch.ID, Ticket: inbox.TicketRef{ID: b.ID, Number: b.Number()},
			Contact: inbox.PersonRef{ID: b.ContactID}, Text: "다른 문의의 답변"}
		own := &inbox.Outbound{MessageID: 90002, ChannelID: h.ch.ID, Ticket: inbox.TicketRef{ID: a.ID, Number: a.Number()},
			Contact: inbox.PersonRef{ID: a.ContactID}, Text: "이 문의의 답변"}
		h.conn.Send(ctx, other)
		if _, err := h.conn.Send(ctx, own); err != nil {
			t.Fatal(err)
		}
		if f := c.next("message"); f.ID != 90002 || f.Text != "이 문의의 답변" {
			t.Fatalf("page got %+v, want only its own conversation's reply", f)
		}

		// Revoked: the socket is told and closed, and nothing works any more.
		links, _ := h.env.Inbox.ConversationLinks(ctx, a.ID)
		if err := h.env.Inbox.RevokeConversationLink(ctx, a.ID, links[0].ID, 0); err != nil {
			t.Fatal(err)
		}
		if f := c.next("closed"); f.Type != "closed" || f.Code != "link_revoked" {
			t.Errorf("after revoke: %+v", f)
		}
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if resp := page("POST", "/messages", s.SessionToken, frame{Type: "message", ClientID: "p-2", Text: "또"}, &e); resp.StatusCode != http.StatusUnauthorized || e.Error.Code != "link_closed" {
			t.Errorf("message after revoke: %d %+v", resp.StatusCode, e)
		}
		if resp := page("POST", "/page/session", "", PageSessionRequest{Token: tok}, &e); resp.StatusCode != http.StatusGone || e.Error.Code != "link_revoked" {
			t.Errorf("session after revoke: %d %+v", resp.StatusCode, e)
		}
		// Expired links are refused the same way; a forged token is unknown.
		url2, _ := h.env.Inbox.ConversationLink(ctx, b.ID, "minji@customer.test")
		_, tok2, _ := strings.Cut(url2, "/c/")
		h.env.Store.DB.Exec("UPDATE conversation_links SET expires_at = ? WHERE ticket_id = ?", time.Now().Add(-time.Minute), b.ID)
		if resp := page("POST", "/page/session", "", PageSessionRequest{Token: tok2}, &e); resp.StatusCode != http.StatusGone || e.Error.Code != "link_expired" {
			t.Errorf("expired link: %d %+v", resp.StatusCode, e)
		}
		if resp := page("POST", "/page/session", "", PageSessionRequest{Token: tok2 + "x"}, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("forged token: %d", resp.StatusCode)
		}
	})
}

// A customer with the widget (signed in) and the conversation page open at
// once sees every message of that conversation in both, once each: their
// own from either side, and the agent's reply. After the ticket is merged
// into another, the page follows it.
func TestWidgetAndPageShowEachMessageOnce(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	ctx := context.Background()
	a := h.emailTicket("minji@customer.test", "a@customer.test", "문의")
	num := strconv.FormatInt(a.Number(), 10)
	url, _ := h.env.Inbox.ConversationLink(ctx, a.ID, "minji@customer.test")
	_, tok, _ := strings.Cut(url, "/c/")
	var ps SessionResponse
	h.doFrom("http://hanbox.test", "POST", "/page/session", "", PageSessionRequest{Token: tok}, &ps)
	page, _, err := h.dial(ps.SessionToken, "http://hanbox.test", "")
	if err != nil {
		t.Fatal(err)
	}
	s := h.session(verified("42", "minji@customer.test"))
	w := h.mustDial(s.SessionToken, "")

	page.send(frame{Type: "message", ClientID: "p-1", Text: "페이지에서"})
	pa := page.next("message")
	if f := w.next("message"); f.ID != pa.ID || f.Conversation != num {
		t.Fatalf("the widget got %+v, want the page's message %d", f, pa.ID)
	}
	w.send(frame{Type: "message", ClientID: "w-1", Conversation: num, Text: "위젯에서"})
	wa := w.next("message")
	if f := page.next("message"); f.ID != wa.ID {
		t.Fatalf("the page got %+v, want the widget's message %d", f, wa.ID)
	}
	agent := h.env.Agent("jisoo@shop.test", "지수")
	reply, err := h.env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: a.ID, AgentID: agent.ID, Text: "둘 다 보이나요"})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*client{"page": page, "widget": w} {
		if f := c.next("message"); f.ID != reply.ID {
			t.Fatalf("%s got %+v, want the reply %d", name, f, reply.ID)
		}
	}
	// Merged into another ticket of hers, the page follows its conversation.
	z := h.emailTicket("minji@customer.test", "z@customer.test", "다른 문의")
	if err := h.env.Inbox.MergeTickets(ctx, z.ID, a.ID, agent.ID); err != nil {
		t.Fatal(err)
	}
	h.env.Eventually("the page follows the merge", func() bool {
		_, tid := h.conn.hub.info(h.ch.PublicKey + "/page:" + pageLinkID(t, h, a.ID))
		return tid == z.ID
	})
	after, err := h.env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: z.ID, AgentID: agent.ID, Text: "합친 뒤의 답변", ChannelID: h.ch.ID})
	if err != nil {
		t.Fatal(err)
	}
	if f := page.next("message"); f.ID != after.ID || f.Conversation != strconv.FormatInt(z.Number(), 10) {
		t.Fatalf("after the merge the page got %+v", f)
	}
}

func pageLinkID(t *testing.T, h *harness, ticketID int64) string {
	t.Helper()
	ls, err := h.env.Inbox.ConversationLinks(context.Background(), ticketID)
	if err != nil || len(ls) == 0 {
		t.Fatalf("links %v %v", ls, err)
	}
	return ls[0].PublicID
}
