package widget

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserWidgetAgentAvatar: an agent's reply shows their avatar next
// to their name (Hanbox's avatar URL on Hanbox's origin), live and from
// history after a reload; an agent without one shows their initial.
func TestBrowserWidgetAgentAvatar(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	h := newHarness(t, "sqlite", siteSettings(t, site.URL, "ko"))
	*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
	withPic := h.env.Agent("mina@support.example", "Mina")
	plain := h.env.Agent("jun@support.example", "준호")
	sum, err := h.env.Store.PutBlob([]byte("stands for a re-encoded avatar"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.env.Store.UpdateAgentProfile(context.Background(), withPic.ID, store.AgentProfile{AvatarSum: &sum}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/help")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.eval(`window.__hanboxWidget.send('사진 보이나요?'), 'ok'`)
	h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
	tid := h.env.Tickets()[0].ID
	for _, ag := range []store.Agent{withPic, plain} {
		if _, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: tid, AgentID: ag.ID, Text: "답변: " + ag.Name}); err != nil {
			t.Fatal(err)
		}
	}
	want := h.srv.URL + "/api/v1/avatars/" + sum
	faces := `[...window.__hanboxWidget.root.querySelectorAll('.m.a .who')].map(w => { const a = w.querySelector('.av'); return a.tagName + ':' + (a.tagName === 'IMG' ? a.src + ':' + a.alt : a.dataset.i + ':' + w.textContent); }).join(' ')`
	check := func(when string) {
		t.Helper()
		b.poll("two replies "+when, `window.__hanboxWidget.root.querySelectorAll('.m.a .who .av').length === 2`)
		if got := b.eval(faces); got != "IMG:"+want+": SPAN:준:준호" {
			t.Fatalf("%s: faces %q", when, got)
		}
	}
	check("live")
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	check("from history")
}
