package widget

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
)

// TestBrowserWidgetBidiNames: an agent name with bidirectional overrides
// (from before names were cleaned, or typed by an admin) shows in the
// widget without them, in its own <bdi>, in the message and in "typing".
func TestBrowserWidgetBidiNames(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := siteSettings(t, site.URL, "ko")
	h := newHarness(t, "sqlite", settings)
	*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
	agent := h.env.Agent("bidi@support.example", "\u202Enimda 관리자")

	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/")); err != nil {
		t.Fatal(err)
	}
	b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.eval(`window.__hanboxWidget.send('청구서 파일이 이상해요'), 'ok'`)
	h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
	if _, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "확인했습니다"}); err != nil {
		t.Fatal(err)
	}
	b.poll("agent reply shown", `[...window.__hanboxWidget.root.querySelectorAll('.m.a .b')].some(e => e.textContent === '확인했습니다')`)
	got := b.eval(`(() => { const w = window.__hanboxWidget.root.querySelector('.m.a .who'); const i = w.querySelector('bdi'); return (i ? 'bdi:' : 'none:') + w.textContent; })()`)
	if got != "bdi:nimda 관리자" {
		t.Fatalf("author shown as %q", got)
	}
	if bad := b.eval(`String(/[\u202A-\u202E\u2066-\u2069]/.test(window.__hanboxWidget.root.textContent))`); bad != "false" {
		t.Fatal("a bidirectional control reached the widget's text")
	}

	// A file the server refuses (no type in the browser, so only the server
	// can tell) is explained in Korean by its code, not in English.
	b.eval(`(() => {
		const inp = window.__hanboxWidget.root.querySelector('input[type=file]');
		const dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0])], 'setup.bin', { type: '' }));
		inp.files = dt.files;
		inp.dispatchEvent(new Event('change', { bubbles: true }));
		return 'ok';
	})()`)
	b.poll("refusal shown", `window.__hanboxWidget.root.querySelector('.notice').textContent.includes('이 형식의 파일은 보낼 수 없습니다.')`)
	if got := b.eval(`window.__hanboxWidget.root.querySelector('.notice').textContent`); strings.Contains(got, "cannot be sent") {
		t.Fatalf("notice %q", got)
	}
}
