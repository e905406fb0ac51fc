package widget

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// fakeSuggest stands in for GET /api/v1/kb/suggest (tested in package api):
// questions about 배송 get two articles, one with a hostile title and a
// javascript: URL; anything else gets none.
var fakeSuggest = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	items := []map[string]any{}
	if strings.Contains(r.URL.Query().Get("q"), "배송") && r.URL.Query().Get("locale") == "ko" {
		items = append(items,
			map[string]any{"id": 1, "title": "배송 기간 안내", "url": "https://support.example.com/help/ko/shipping", "score": 9.5},
			map[string]any{"id": 2, "title": `<img src=x onerror="document.title='pwned'">`, "url": "javascript:document.title='pwned'", "score": 3.1})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
})

// TestBrowserSuggestionsAfterFirstMessage: after the visitor's first
// message the widget shows the suggested articles inline, as text, with
// only http(s) links; the second message asks for none.
func TestBrowserSuggestionsAfterFirstMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	site, pageHTML := hostSite(t)
	settings := siteSettings(t, site.URL, "ko")
	h := newHarness(t, "sqlite", settings)
	*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/")); err != nil {
		t.Fatal(err)
	}
	b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
	b.eval(`window.__hanboxWidget.send('배송이 언제 오나요?'), 'ok'`)
	b.poll("suggestions shown", `window.__hanboxWidget.root.querySelectorAll('.kb-suggest a').length === 2`)
	got := b.eval(`(() => { const as = [...window.__hanboxWidget.root.querySelectorAll('.kb-suggest a')];
		return as.map(a => a.textContent + '=' + (a.getAttribute('href') || '')).join('|') + '|' + window.__hanboxWidget.root.querySelectorAll('.kb-suggest img').length + '|' + document.title; })()`)
	want := `배송 기간 안내=https://support.example.com/help/ko/shipping|<img src=x onerror="document.title='pwned'">=|0|`
	if !strings.HasPrefix(got, want) || strings.Contains(got, "|pwned") {
		t.Fatalf("suggestions = %q, want prefix %q", got, want)
	}
	if !strings.Contains(b.eval(`window.__hanboxWidget.root.querySelector('.kb-suggest .kb-title').textContent`), "도움이") {
		t.Fatal("suggestion heading not in Korean")
	}
	b.eval(`window.__hanboxWidget.send('배송 문의 하나 더요'), 'ok'`)
	b.poll("second message sent", `[...window.__hanboxWidget.root.querySelectorAll('.m.v .b')].some(e => e.textContent === '배송 문의 하나 더요')`)
	if n := b.eval(`String(window.__hanboxWidget.root.querySelectorAll('.kb-suggest').length)`); n != "1" {
		t.Fatalf("suggestion boxes after the second message: %s", n)
	}
}
