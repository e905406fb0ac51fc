package email

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

type fakeLinker struct {
	ticket int64
	to     string
}

func (f *fakeLinker) ConversationLink(_ context.Context, ticketID int64, to string) (string, error) {
	f.ticket, f.to = ticketID, to
	return "https://help.shop.test/c/pub.1a.sig&x", nil
}

// bodyParts returns the text and HTML parts of a composed message.
func bodyParts(t *testing.T, raw []byte) (text, html string) {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
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
			switch ct {
			case "text/plain":
				text = string(b)
			case "text/html":
				html = string(b)
			}
		}
	}
	return text, html
}

// Every agent email links to its conversation page, in both parts, made
// for the address the mail goes to (the customer's Reply-To here), and
// nothing else changes when Hanbox has no public URL.
func TestAgentMailLinksItsConversationPage(t *testing.T) {
	links := &fakeLinker{}
	c := &Channel{settings: Settings{Address: "support@shop.test"}, links: links, deps: connectors.Deps{BaseURL: "https://help.shop.test"}}
	c.settings.defaults()
	out := &inbox.Outbound{MessageID: 9, Ticket: inbox.TicketRef{ID: 26, PublicID: "pub", Number: 1026, Subject: "배송"},
		Contact: inbox.PersonRef{Email: "minji@customer.test"}, Text: "네, 바꿔 드릴게요.",
		ReplyTo: &inbox.ReplyContext{Meta: map[string]any{"from": "minji@customer.test", "reply_to": "minji.home@customer.test",
			"cc": []any{"friend@customer.test"}, "message_id": "q1@customer.test"}}}
	ctx := context.Background()
	msg, err := c.compose(out, time.Now(), func(to string) (string, error) { return c.pageLink(ctx, out, to) })
	if err != nil {
		t.Fatal(err)
	}
	if links.ticket != 26 || links.to != "minji.home@customer.test" {
		t.Errorf("link made for ticket %d, %q", links.ticket, links.to)
	}
	text, html := bodyParts(t, msg.raw)
	if !strings.Contains(text, "이 대화를 웹에서 보기 / View this conversation in your browser:\r\nhttps://help.shop.test/c/pub.1a.sig&x") &&
		!strings.Contains(text, "이 대화를 웹에서 보기 / View this conversation in your browser:\nhttps://help.shop.test/c/pub.1a.sig&x") {
		t.Errorf("text part lacks the link:\n%s", text)
	}
	if !strings.Contains(html, `<a href="https://help.shop.test/c/pub.1a.sig&amp;x">이 대화를 웹에서 보기`) {
		t.Errorf("html part lacks the link:\n%s", html)
	}
	c.deps.BaseURL = ""
	links.to = ""
	msg, err = c.compose(out, time.Now(), func(to string) (string, error) { return c.pageLink(ctx, out, to) })
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := bodyParts(t, msg.raw); strings.Contains(text, "/c/") || links.to != "" {
		t.Errorf("a link without a public URL:\n%s", text)
	}
}
