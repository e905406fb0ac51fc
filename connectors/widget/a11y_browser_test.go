package widget

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/a11y"
	"github.com/hanbox/hanbox/inbox"
)

// TestBrowserWidgetAccessibility runs the in-repo accessibility check
// (package a11y) inside the widget's shadow root, in Korean and English,
// light and dark: the open chat with a visitor message, an agent reply and
// the email request, and the help tab.
func TestBrowserWidgetAccessibility(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	for _, lang := range []string{"ko", "en"} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(lang+"-"+scheme, func(t *testing.T) {
				site, pageHTML := hostSite(t)
				h := newHarness(t, "sqlite", siteSettings(t, site.URL, lang))
				*pageHTML = fmt.Sprintf(plainDarkPage, h.srv.URL, h.ch.PublicKey)
				agent := h.env.Agent("dana@support.example", "Dana")
				b := newBrowser(t)
				emulateScheme(t, b, scheme)
				if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/help")); err != nil {
					t.Fatalf("navigate: %v", err)
				}
				b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
				b.eval(`window.__hanboxWidget.send('도와주세요 help'), 'ok'`)
				h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
				if _, err := h.env.Inbox.Reply(context.Background(), inbox.ReplyInput{TicketID: h.env.Tickets()[0].ID, AgentID: agent.ID, Text: "네, 말씀하세요. Sure."}); err != nil {
					t.Fatal(err)
				}
				b.poll("reply", `!!window.__hanboxWidget.root.querySelector('.m.a .b')`)
				check := func(what string) {
					t.Helper()
					vs, err := a11y.Check(b.ctx, "window.__hanboxWidget.root")
					if err != nil {
						t.Fatal(err)
					}
					if len(vs) > 0 {
						t.Errorf("widget %s (%s, %s): %d accessibility problems:\n%s", what, lang, scheme, len(vs), a11y.Report(vs))
					}
				}
				check("chat")
				b.eval(`window.__hanboxWidget.tab('help'), 'ok'`)
				check("help tab")
			})
		}
	}
}
