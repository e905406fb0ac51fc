package widget

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserPageViews: in real Chromium the page a visitor lands on is
// recorded with the session, and a single-page navigation (pushState) is
// reported by the script's POST /view, which also tells agents live; a
// hostile title is stored as text.
func TestBrowserPageViews(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := loadSettings(t, "settings.json")
	settings["allowed_origins"] = []any{site.URL}
	h := newHarness(t, "sqlite", settings)
	*pageHTML = strings.Replace(fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey), "Hanbox('open');", "", 1)
	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/pricing")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	b.poll("widget started", `window.__hanboxWidget && !!window.__hanboxWidget.state.session`)
	visitor := b.eval(`window.__hanboxWidget.state.session.visitor_id`)
	identity := h.ch.PublicKey + "/" + visitor
	paths := func() []string {
		var out []string
		h.env.Store.DB.Model(&store.PageView{}).Where("visitor = ?", identity).Order("id").Pluck("path", &out)
		return out
	}
	h.env.Eventually("landing page recorded", func() bool { p := paths(); return len(p) == 1 && p[0] == "/pricing" })
	live := h.env.Inbox.Bus().Subscribe(h.env.Ctx, 16, func(e inbox.Event) bool { return e.Type == inbox.EventVisitorPage })
	b.eval(`document.title = '<script>alert(1)</script> 환불'; history.pushState({}, '', '/refund?order=7'), 'ok'`)
	h.env.Eventually("navigation recorded", func() bool { p := paths(); return len(p) == 2 && p[1] == "/refund?order=7" })
	// Agents hear of the navigation live from the same request.
	heard := false
	for e := range live {
		if heard = e.Data["url"] == site.URL+"/refund?order=7" && e.Data["visitor"] == visitor; heard {
			break
		}
	}
	if !heard {
		t.Fatal("no live visitor.page event for the navigation")
	}
	var v store.PageView
	if err := h.env.Store.DB.Where("visitor = ?", identity).Order("id DESC").Take(&v).Error; err != nil {
		t.Fatal(err)
	}
	if v.Title != "<script>alert(1)</script> 환불" || v.URL != site.URL+"/refund?order=7" || v.VisitStart {
		t.Fatalf("navigation view: %+v", v)
	}
}
