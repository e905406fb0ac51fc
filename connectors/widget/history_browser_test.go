package widget

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
)

// TestBrowserVerifiedHistory: in real Chromium, in Korean and in English, a
// customer who wrote by email signs in on the site: the widget lists that
// conversation with its channel, opens it with its file, sends their
// answer into it, and shows the agent's reply live in it.
func TestBrowserVerifiedHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	for _, lc := range []struct{ lang, via, tag, you string }{
		{"ko", "이메일로 주고받은 대화", "이메일", "나"},
		{"en", "Conversation by email", "Email", "You"},
	} {
		t.Run(lc.lang, func(t *testing.T) {
			site, pageHTML := hostSite(t)
			settings := loadSettings(t, "settings.json")
			settings["allowed_origins"] = []any{site.URL}
			delete(settings, "office_hours")
			settings["locale"] = lc.lang
			h := newHarness(t, "sqlite", settings)
			tk := h.emailTicket("minji@customer.test", "q1-"+lc.lang+"@customer.test", "신발 사이즈를 바꿀 수 있나요?")
			num := strconv.FormatInt(tk.Number(), 10)
			identify := fmt.Sprintf(`Hanbox('identify', {user_id: '42', email: 'minji@customer.test', name: 'Minji', user_hash: '%s'}); Hanbox('open');`, UserHash(testSecret, "42"))
			*pageHTML = strings.Replace(fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey), "Hanbox('open');", identify, 1)
			b := newBrowser(t)
			if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/account")); err != nil {
				t.Fatal(err)
			}
			b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
			b.poll("the list of conversations", fmt.Sprintf(`!!window.__hanboxWidget.root.querySelector('.card[data-conversation="%s"]')`, num))
			card := b.eval(fmt.Sprintf(`window.__hanboxWidget.root.querySelector('.card[data-conversation="%s"]').textContent`, num))
			if !strings.Contains(card, lc.via) || !strings.Contains(card, "주문 문의") {
				t.Fatalf("card = %q", card)
			}
			b.eval(fmt.Sprintf(`window.__hanboxWidget.root.querySelector('.card[data-conversation="%s"]').click(), 'ok'`, num))
			b.poll("the email thread", `window.__hanboxWidget.root.querySelectorAll('.list .m').length === 2`)
			thread := b.eval(`[...window.__hanboxWidget.root.querySelectorAll('.list .m')].map(e => e.textContent).join(' | ')`)
			if !strings.Contains(thread, "신발 사이즈를 바꿀 수 있나요?") || !strings.Contains(thread, "이메일 답변") || !strings.Contains(thread, lc.tag) || strings.Contains(thread, "내부 메모") {
				t.Fatalf("thread = %q", thread)
			}
			// The PDF downloads (fetched like the link the customer clicks).
			pdf, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(async () => { const a = window.__hanboxWidget.root.querySelector('.list .att a[download]'); const r = await fetch(a.href); return r.status + ' ' + (await r.text()).slice(0, 8) + ' ' + a.getAttribute('download'); })()`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(pdf, "200 %PDF-1.4 invoice.pdf") {
				t.Fatalf("attachment download = %q", pdf)
			}

			b.eval(`window.__hanboxWidget.send('270으로 바꿔 주세요'), 'ok'`)
			h.env.Eventually("the widget answer in the email ticket", func() bool {
				ms := h.env.Messages(tk.ID)
				return ms[len(ms)-1].Text == "270으로 바꿔 주세요" && ms[len(ms)-1].ChannelID == h.ch.ID
			})
			agent := h.env.Agent("jisoo-"+lc.lang+"@shop.test", "Jisoo")
			if _, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: tk.ID, AgentID: agent.ID, Text: "네, 바꿔 드릴게요"}); err != nil {
				t.Fatal(err)
			}
			b.poll("the live reply in the open conversation", `[...window.__hanboxWidget.root.querySelectorAll('.list .m.a .b')].some(e => e.textContent === '네, 바꿔 드릴게요')`)
			if n := len(h.env.Tickets()); n != 1 {
				t.Fatalf("%d tickets, want the one email ticket", n)
			}
			// Back to the list: still one conversation, the email one.
			b.eval(`window.__hanboxWidget.root.querySelector('.back').click(), 'ok'`)
			if got := b.eval(`String(window.__hanboxWidget.root.querySelectorAll('.card').length)`); got != "1" {
				t.Fatalf("%s cards", got)
			}
			last := b.eval(`window.__hanboxWidget.root.querySelector('.card .last').textContent`)
			if last != "네, 바꿔 드릴게요" {
				t.Errorf("last message on the card = %q", last)
			}
		})
	}
}
