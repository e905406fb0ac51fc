package widget

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// countSockets is the host page's hook that counts the WebSockets the page
// creates (the widget's script runs after it, so it sees the wrapper).
const countSockets = `<script>window.__sockets = 0; (function(W){ window.WebSocket = function(u, p){ window.__sockets++; return p === undefined ? new W(u) : new W(u, p); }; window.WebSocket.prototype = W.prototype; })(window.WebSocket);</script>`

// TestBrowserWidgetConnectsLazily: a page view without interaction makes
// one HTTP request and no WebSocket (counted in the page and at the
// server), later single-page navigations still reach the server as
// POST /view; opening the panel connects and a message written at once is
// delivered; a returning visitor with history connects on load and gets
// a reply while the panel is closed; a proactive message that shows
// connects too.
func TestBrowserWidgetConnectsLazily(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := siteSettings(t, site.URL, "en")
	settings["proactive"] = []any{
		map[string]any{"url_pattern": "/deals*", "message": map[string]any{"en": "Today only: 10% off"}, "delay_seconds": 0},
	}
	var sockets, views atomic.Int64
	h := newHarnessWrapped(t, "sqlite", settings, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.HasSuffix(r.URL.Path, "/ws"):
				sockets.Add(1)
			case strings.HasSuffix(r.URL.Path, "/view") && r.Method == http.MethodPost:
				defer views.Add(1) // counted once answered
			}
			next.ServeHTTP(w, r)
		})
	})
	page := strings.Replace(fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey), "Hanbox('open');", "", 1)
	*pageHTML = strings.Replace(page, "<body>", "<body>"+countSockets, 1)
	agent := h.env.Agent("mina@support.example", "Mina")
	b := newBrowser(t)
	const w = `window.__hanboxWidget`

	// A new visitor looks at a page: the widget is drawn, nothing is open.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/products")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget started", `!!`+w+` && !!`+w+`.root.querySelector('.launcher')`)
	// The decision is made in the same task that draws the widget: a
	// socket it wanted would already be counted in the page.
	if got := b.eval(`String(window.__sockets) + ' ' + ` + w + `.state.live`); got != "0 undefined" {
		t.Fatalf("sockets and live after a page view = %s", got)
	}
	visitor := b.eval(w + `.state.session.visitor_id`)
	identity := h.ch.PublicKey + "/" + visitor
	paths := func() []string {
		var out []string
		h.env.Store.DB.Model(&store.PageView{}).Where("visitor = ?", identity).Order("id").Pluck("path", &out)
		return out
	}
	h.env.Eventually("landing page recorded", func() bool { p := paths(); return len(p) == 1 && p[0] == "/products" })

	// A single-page navigation: the beacon goes out without a socket.
	b.eval(`history.pushState({}, '', '/products/42'), 'ok'`)
	h.env.Eventually("navigation recorded", func() bool { p := paths(); return len(p) == 2 && p[1] == "/products/42" })
	h.env.Eventually("view answered", func() bool { return views.Load() == 1 })
	if n := sockets.Load(); n != 0 {
		t.Fatalf("server saw %d socket requests before any interaction", n)
	}
	if got := b.eval(`String(window.__sockets)`); got != "0" {
		t.Fatalf("page opened %s sockets before any interaction", got)
	}

	// Opening the panel connects; a message typed at once is not lost.
	b.eval(w + `.launcher().click(), 'ok'`)
	b.eval(w + `.send('written before the socket is up'), 'ok'`)
	b.poll("connected", w+`.state.wsOpen === true`)
	h.env.Eventually("message stored", func() bool {
		ts := h.env.Tickets()
		return len(ts) == 1 && len(h.env.Messages(ts[0].ID)) == 1
	})
	b.poll("shown as sent", `[...`+w+`.root.querySelectorAll('.m.v .st')].some(e => e.textContent === 'Sent')`)
	if got := b.eval(`String(window.__sockets)`); got != "1" {
		t.Fatalf("sockets after opening = %s, want 1", got)
	}

	// A returning visitor (history in this browser) connects on load,
	// panel closed, and hears the agent's reply.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/products")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("returning visitor connected", `!!`+w+` && `+w+`.state.wsOpen === true`)
	if got := b.eval(`String(` + w + `.state.open) + ' ' + window.__sockets`); got != "false 1" {
		t.Fatalf("returning visitor: open and sockets = %s", got)
	}
	if _, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "answer while closed"}); err != nil {
		t.Fatal(err)
	}
	b.poll("reply with a badge", `[...`+w+`.root.querySelectorAll('.m.a .b')].some(e => e.textContent === 'answer while closed') && `+w+`.root.querySelector('.badge').textContent === '1'`)
	if n := sockets.Load(); n != 2 {
		t.Fatalf("server saw %d socket requests, want 2 (open, return)", n)
	}

	// Another browser profile (a new visitor) on a page with a proactive
	// message: the bubble shows and the widget connects for the answer.
	b2 := newBrowser(t)
	if err := chromedp.Do(b2.ctx, chromedp.Navigate(site.URL+"/deals")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b2.poll("proactive bubble", `!!`+w+` && !`+w+`.root.querySelector('.pro').classList.contains('hidden')`)
	b2.poll("connected for the bubble", w+`.state.wsOpen === true && window.__sockets === 1`)
}
