package email

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// unreachableKind is a test-only channel whose customers are never reachable
// (a chat visitor who left), so the dispatcher continues by email.
const unreachableKind = "emailtest-unreachable"

func init() {
	connectors.Register(unreachableKind, func(connectors.Channel, connectors.Deps) (connectors.Connector, error) {
		return unreachable{}, nil
	})
}

type unreachable struct{}

func (unreachable) Kind() string { return unreachableKind }
func (unreachable) Start(ctx context.Context, _ connectors.Sink) error {
	<-ctx.Done()
	return nil
}
func (unreachable) Send(context.Context, *inbox.Outbound) (inbox.ExternalRef, error) {
	return inbox.ExternalRef{}, connectors.ErrUnreachable
}

type mailEnv struct {
	*conntest.Env
	imap  *memIMAP
	smtp  *smtpSink
	ch    store.Channel
	agent store.Agent
}

func newMailEnv(t *testing.T, dialect string) *mailEnv {
	env := conntest.New(t, dialect)
	m := &mailEnv{Env: env, imap: newMemIMAP(t, nil), smtp: newSMTPSink(t)}
	m.ch = env.AddChannel(Kind, "Support mail", settingsFor(m.imap, m.smtp), secretsFor(), "")
	m.agent = env.Agent("mina@example.com", "Mina Park")
	return m
}

func (m *mailEnv) reply(t *testing.T, ticketID int64, text string) captured {
	t.Helper()
	if _, err := m.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: ticketID, AgentID: m.agent.ID, Text: text}); err != nil {
		t.Fatal(err)
	}
	return m.smtp.next(t)
}

func bodyText(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				out.Write(b)
			}
		}
	}
	return out.String()
}

func TestEndToEndThreading(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		m := newMailEnv(t, dialect)
		m.Start()
		ctx := context.Background()

		// 1. A customer writes; a ticket opens.
		m.imap.deliver(t, "INBOX", customerMail(`"Kim Minjun" <minjun@example.net>`, "Support <support@example.com>",
			"배송 문의", "first@example.net", "주문한 상품이 오지 않았어요.", "Cc: Lee Jiwoo <jiwoo@example.org>"))
		tid := waitTicket(t, m.Env, m.ch.ID, "first@example.net")
		tk, _ := m.Inbox.Ticket(ctx, tid)
		if tk.Contact.Email != "minjun@example.net" || tk.Contact.Name != "Kim Minjun" || tk.Subject != "배송 문의" {
			t.Fatalf("ticket = %+v contact %+v", tk, tk.Contact)
		}

		// 2. The agent answers; the mail is threaded, reply-all and tokened.
		sent := m.reply(t, tid, "확인해 보겠습니다.")
		h := header(t, sent.raw)
		id, _ := h.MessageID()
		irt, _ := h.MsgIDList("In-Reply-To")
		refs, _ := h.MsgIDList("References")
		subj, _ := h.Subject()
		from, _ := h.AddressList("From")
		rt, _ := h.AddressList("Reply-To")
		num := strconv.FormatInt(tk.Number(), 10)
		if !regexp.MustCompile(`^hanbox\.` + tk.PublicID + `\.\d+\.[0-9a-f]+@example\.com$`).MatchString(id) {
			t.Errorf("Message-ID %q", id)
		}
		if len(irt) != 1 || irt[0] != "first@example.net" || len(refs) == 0 || refs[len(refs)-1] != "first@example.net" {
			t.Errorf("In-Reply-To %v References %v", irt, refs)
		}
		if subj != "Re: 배송 문의 [#"+num+"]" {
			t.Errorf("subject %q", subj)
		}
		if len(from) != 1 || from[0].Address != "support@example.com" || from[0].Name != "Mina Park (Hanbox Support)" {
			t.Errorf("from %v", from)
		}
		if len(rt) != 1 || rt[0].Address != "support+"+strings.ToLower(tk.ReplyToken)+"@example.com" {
			t.Errorf("reply-to %v (token %s)", rt, tk.ReplyToken)
		}
		if strings.Join(sent.rcpts, ",") != "minjun@example.net,jiwoo@example.org" || sent.from != "support@example.com" {
			t.Errorf("envelope from %q to %v", sent.from, sent.rcpts)
		}
		if !strings.Contains(bodyText(t, sent.raw), "확인해 보겠습니다.") {
			t.Errorf("body %q", bodyText(t, sent.raw))
		}
		m.Eventually("sent status", func() bool {
			ms := m.Messages(tid)
			last := ms[len(ms)-1]
			return last.DeliveryStatus == store.DeliverySent && last.ExternalID != nil && *last.ExternalID == id
		})

		// 3. The customer answers the captured mail: same ticket.
		m.imap.deliver(t, "INBOX", customerMail("minjun@example.net", "support@example.com", "Re: "+subj, "answer1@example.net",
			"고맙습니다", "In-Reply-To: <"+id+">", "References: <first@example.net> <"+id+">"))
		if got := waitTicket(t, m.Env, m.ch.ID, "answer1@example.net"); got != tid {
			t.Fatalf("reply landed in ticket %d, want %d", got, tid)
		}

		// 4. Outlook drops In-Reply-To: References alone threads.
		m.imap.deliver(t, "INBOX", customerMail("minjun@example.net", "support@example.com", "RE: other words", "outlook1@example.net",
			"refs only", "References: <"+id+">"))
		if got := waitTicket(t, m.Env, m.ch.ID, "outlook1@example.net"); got != tid {
			t.Errorf("References-only reply in ticket %d, want %d", got, tid)
		}
		// 5. Only the reply token (a mailer that keeps no headers).
		m.imap.deliver(t, "INBOX", customerMail("minjun@example.net", "support+"+tk.ReplyToken+"@example.com", "new words", "token1@example.net", "token only"))
		if got := waitTicket(t, m.Env, m.ch.ID, "token1@example.net"); got != tid {
			t.Errorf("token-only reply in ticket %d, want %d", got, tid)
		}
		// 6. Subject tag from the same sender threads...
		m.imap.deliver(t, "INBOX", customerMail("minjun@example.net", "support@example.com", "about [#"+num+"]", "tag1@example.net", "tag only"))
		if got := waitTicket(t, m.Env, m.ch.ID, "tag1@example.net"); got != tid {
			t.Errorf("subject-tag reply in ticket %d, want %d", got, tid)
		}
		// 7. ...but not from someone else.
		m.imap.deliver(t, "INBOX", customerMail("stranger@example.com", "support@example.com", "about [#"+num+"]", "tag2@example.net", "not mine"))
		if got := waitTicket(t, m.Env, m.ch.ID, "tag2@example.net"); got == tid {
			t.Errorf("a stranger's subject tag joined ticket %d", tid)
		}

		// 8. A bounce of our reply marks it failed and opens no ticket.
		before := len(m.Tickets())
		dsn := strings.Replace(string(readCorpus(t, "dsn-bounce.eml")), ourMsgID, id, 1)
		m.imap.deliver(t, "INBOX", []byte(dsn))
		m.Eventually("bounce recorded", func() bool {
			msg, err := m.Inbox.MessageByExternalID(ctx, m.ch.ID, id)
			return err == nil && msg.DeliveryStatus == store.DeliveryFailed && strings.Contains(msg.DeliveryError, "User unknown")
		})
		// A later message proves the bounce was passed, then no new ticket.
		m.imap.deliver(t, "INBOX", customerMail("minjun@example.net", "support@example.com", "Re: x", "after-bounce@example.net", "x", "In-Reply-To: <"+id+">"))
		waitTicket(t, m.Env, m.ch.ID, "after-bounce@example.net")
		if n := len(m.Tickets()); n != before {
			t.Errorf("%d tickets after a bounce, want %d", n, before)
		}
		var ch store.Channel
		m.Store.DB.Take(&ch, m.ch.ID)
		if ch.Status != connectors.StateConnected {
			t.Errorf("channel status %q (%s)", ch.Status, ch.LastError)
		}
	})
}

func TestEndToEndChatContinuesByEmail(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		m := newMailEnv(t, dialect)
		chat := m.AddChannel(unreachableKind, "chat", map[string]any{}, nil, "")
		m.Start()
		ctx := context.Background()
		res, err := m.Inbox.Ingest(ctx, &inbox.Inbound{ChannelID: chat.ID, ExternalID: "chat-1", ThreadKeys: []string{"chat:s1"}, OwnKeys: []string{"chat:s1"},
			Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "pk/visitor-1", Verified: true, Name: "Visitor Choi", Email: "visitor@example.net"},
			Text:    "환불은 언제 되나요? When is my refund?"})
		if err != nil {
			t.Fatal(err)
		}
		sent := m.reply(t, res.TicketID, "환불은 3일 안에 처리됩니다.")
		h := header(t, sent.raw)
		id, _ := h.MessageID()
		to, _ := h.AddressList("To")
		if len(to) != 1 || to[0].Address != "visitor@example.net" || h.Get("X-Hanbox-Continued-From") != unreachableKind {
			t.Fatalf("to %v continued %q", to, h.Get("X-Hanbox-Continued-From"))
		}
		body := bodyText(t, sent.raw)
		if !strings.Contains(body, "환불은 3일 안에") || !strings.Contains(body, "Earlier conversation") || !strings.Contains(body, "When is my refund?") {
			t.Errorf("continued body lacks reply or history: %q", body)
		}
		// The dispatcher records the sent id (a thread key) after the SMTP
		// server took the mail; a real answer comes long after that.
		m.Eventually("sent recorded", func() bool {
			msg, err := m.Inbox.MessageByExternalID(ctx, m.ch.ID, id)
			return err == nil && msg.DeliveryStatus == store.DeliverySent
		})
		// The visitor answers the email: it joins the same ticket. Its author
		// is the contact that proved the address by sending from it; the
		// visitor only typed it, so their contact gets no email identity
		// (an agent may merge the two by hand).
		m.imap.deliver(t, "INBOX", customerMail("visitor@example.net", "support@example.com", "Re: x", "visitor-answer@example.net",
			"감사합니다", "In-Reply-To: <"+id+">"))
		if got := waitTicket(t, m.Env, m.ch.ID, "visitor-answer@example.net"); got != res.TicketID {
			t.Fatalf("visitor's email in ticket %d, want %d", got, res.TicketID)
		}
		msg, _ := m.Inbox.MessageByExternalID(ctx, m.ch.ID, "visitor-answer@example.net")
		prover, err := m.Inbox.ContactByIdentity(ctx, inbox.IdentityEmail, "visitor@example.net")
		if err != nil || msg.AuthorID != prover.ID || prover.ID == res.ContactID {
			t.Errorf("email answer by contact %d; the address's contact is %+v (%v), the visitor's %d", msg.AuthorID, prover, err, res.ContactID)
		}
	})
}

func TestSendErrorsClassified(t *testing.T) {
	srv := newSMTPSink(t)
	c := &Channel{settings: Settings{Address: "support@example.com", SMTP: SMTP{Host: "127.0.0.1", Port: srv.port, TLS: TLSNone, Username: srv.user}}}
	c.settings.defaults()
	c.smtpPassword = srv.pass
	out := &inbox.Outbound{MessageID: 7, Ticket: inbox.TicketRef{PublicID: "pub", Number: 1007, Subject: "Hello"},
		Contact: inbox.PersonRef{Email: "cust@example.net", Name: "Cust"}, Text: "hi",
		Attachments: []inbox.OutboundAttachment{{Name: "견적서.pdf", ContentType: "application/pdf",
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("%PDF-1.4 test")), nil }}}}
	ctx := context.Background()

	ref, err := c.Send(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	got := srv.next(t)
	p, err := Parse(got.raw, ParseOptions{Own: []string{"other@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if ref.ID != p.Inbound.ExternalID || len(ref.Keys) != 1 || ref.Keys[0] != "email:"+ref.ID {
		t.Errorf("ref %+v, parsed id %q", ref, p.Inbound.ExternalID)
	}
	if len(p.Inbound.Attachments) != 1 || p.Inbound.Attachments[0].Name != "견적서.pdf" || string(p.Inbound.Attachments[0].Data) != "%PDF-1.4 test" {
		t.Errorf("attachment round trip: %+v", p.Inbound.Attachments)
	}
	if p.Inbound.Subject != "Re: Hello [#1007]" || !strings.Contains(p.Inbound.HTML, "hi") {
		t.Errorf("subject %q html %q", p.Inbound.Subject, p.Inbound.HTML)
	}

	srv.failNext(451)
	if _, err := c.Send(ctx, out); err == nil || connectors.IsPermanent(err) {
		t.Errorf("451: err = %v, want a retryable error", err)
	}
	srv.failNext(550)
	if _, err := c.Send(ctx, out); !connectors.IsPermanent(err) {
		t.Errorf("550: err = %v, want permanent", err)
	}
	c.smtpPassword = "wrong"
	if _, err := c.Send(ctx, out); !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "auth") {
		t.Errorf("bad password: err = %v, want permanent auth failure", err)
	}
	c.settings.SMTP.Port = 1 // nothing listens: a network error is retried
	if _, err := c.Send(ctx, out); err == nil || connectors.IsPermanent(err) {
		t.Errorf("refused: err = %v, want retryable", err)
	}
}

func TestReplySubjectAndReferences(t *testing.T) {
	for in, want := range map[string]string{
		"배송 문의":                      "Re: 배송 문의 [#1042]",
		"Re: RE: Fwd: hello [#1042]": "Re: hello [#1042]",
		"회신: 답장: 환불":                 "Re: 환불 [#1042]",
		"":                           "Re: (no subject) [#1042]",
	} {
		if got := replySubject(in, 1042); got != want {
			t.Errorf("replySubject(%q) = %q, want %q", in, got, want)
		}
	}
	var keys []string
	for i := 0; i < 30; i++ {
		keys = append(keys, "email:k"+strconv.Itoa(i)+"@x")
	}
	keys = append(keys, "token:abc", "email:self@x", "email:sha256.00ff@hanbox.invalid")
	refs := references([]string{"k0@x", "k5@x"}, "k7@x", keys, "self@x")
	if len(refs) != maxReferences || refs[len(refs)-1] != "k7@x" || refs[len(refs)-2] != "k5@x" {
		t.Errorf("references = %v", refs)
	}
	for _, r := range refs {
		if r == "self@x" || strings.HasPrefix(r, "token:") || strings.HasSuffix(r, "hanbox.invalid") {
			t.Errorf("references include %q", r)
		}
	}
}

// TestComposeTextPartFromHTML: a reply written only as HTML gets a text part
// with every entity decoded and no markup.
func TestComposeTextPartFromHTML(t *testing.T) {
	c := &Channel{settings: Settings{Address: "support@example.com"}}
	c.settings.defaults()
	out := &inbox.Outbound{MessageID: 9, Ticket: inbox.TicketRef{PublicID: "pub", Number: 1009, Subject: "Hi"},
		Contact: inbox.PersonRef{Email: "cust@example.net"},
		HTML:    "<p>We&#8217;ve sent the caf&eacute; voucher.</p><p>Thanks &amp; regards</p>"}
	msg, err := c.compose(out, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(strings.ReplaceAll(bodyText(t, msg.raw), "\r\n", "\n")), "We’ve sent the café voucher.\n\nThanks & regards"; got != want {
		t.Errorf("text part = %q, want %q", got, want)
	}
}

// TestComposeDropsBidiControls: the names in From and To and a file's name
// go out without bidirectional controls, so no mail client shows them
// reordered ("invoice\u202Egnp.exe" as "invoiceexe.png").
func TestComposeDropsBidiControls(t *testing.T) {
	c := &Channel{settings: Settings{Address: "support@example.com", FromName: "Shop"}}
	c.settings.defaults()
	out := &inbox.Outbound{MessageID: 10, Ticket: inbox.TicketRef{PublicID: "pub", Number: 1010, Subject: "청구서"},
		Contact: inbox.PersonRef{Email: "cust@example.net", Name: "\u202Enimda 관리자"},
		Agent:   inbox.PersonRef{Name: "Lee\u2067"},
		Text:    "첨부합니다",
		Attachments: []inbox.OutboundAttachment{{Name: "invoice\u202Egnp.exe", ContentType: "application/octet-stream", Size: 2,
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("MZ")), nil }}}}
	msg, err := c.compose(out, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.CreateReader(bytes.NewReader(msg.raw))
	if err != nil {
		t.Fatal(err)
	}
	from, _ := m.Header.AddressList("From")
	to, _ := m.Header.AddressList("To")
	if len(from) != 1 || from[0].Name != "Lee (Shop)" || len(to) != 1 || to[0].Name != "nimda 관리자" {
		t.Fatalf("From %v, To %v", from, to)
	}
	var names []string
	for {
		p, err := m.NextPart()
		if err != nil {
			break
		}
		if ah, ok := p.Header.(*mail.AttachmentHeader); ok {
			n, _ := ah.Filename()
			names = append(names, n)
		}
	}
	if len(names) != 1 || names[0] != "invoicegnp.exe" {
		t.Fatalf("attachment names %q", names)
	}
}
