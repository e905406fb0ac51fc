package ui_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestContactPageTags: the contact page lists the contact's own tags (from
// a CSV import) under a Korean or English label, escaped and stripped of
// bidi controls; a contact without tags says so.
func TestContactPageTags(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			rows := []store.ImportRow{
				{Email: "vip@example.com", Name: "김고객", Tags: []string{"vip", "신규", "<b>x\u202e</b>"}},
				{Email: "plain@example.com", Name: "이고객"},
			}
			if err := e.srv.Store.ApplyImport(e.ctx, rows); err != nil {
				t.Fatal(err)
			}
			page := func(id int64, lang string) string {
				req, _ := http.NewRequest("GET", e.ts.URL+"/contacts/"+itoa(id), nil)
				req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: e.adminTok})
				req.Header.Set("Accept-Language", lang)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("contact %d: %d", id, resp.StatusCode)
				}
				return string(b)
			}
			for lang, want := range map[string][2]string{"ko": {"태그", "태그 없음"}, "en": {"Tags", "No tags"}} {
				body := page(rows[0].ContactID, lang)
				for _, w := range []string{`<span class="muted">` + want[0] + `</span>`, `data-tag="vip"`, "#vip", "#신규", "#&lt;b&gt;x&lt;/b&gt;"} {
					if !strings.Contains(body, w) {
						t.Errorf("%s: tagged contact's page lacks %q", lang, w)
					}
				}
				if strings.Contains(body, "<b>x") || strings.Contains(body, "\u202e") || strings.Contains(body, "data-no-tags") {
					t.Errorf("%s: tag unescaped %v, bidi control kept %v, or \"no tags\" shown %v", lang, strings.Contains(body, "<b>x"), strings.Contains(body, "\u202e"), strings.Contains(body, "data-no-tags"))
				}
				body = page(rows[1].ContactID, lang)
				if !strings.Contains(body, `<span class="muted" data-no-tags>`+want[1]+`</span>`) || strings.Contains(body, "data-tag=") {
					t.Errorf("%s: untagged contact's page lacks %q or lists a tag", lang, want[1])
				}
			}
		})
	}
}
