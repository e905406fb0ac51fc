package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestHelpCenterCategories: restricted to the 배송 category, the help
// center shows only 배송 articles: an article of another category is 404
// on /help like a draft, is left out of the index, the search box, the
// sitemap, related articles, public /kb/suggest and /kb/public/{id}, while
// agents still find it in their search. An empty restriction hides
// everything; lifting it shows everything again. Only admins set it.
// Both stores.
func TestHelpCenterCategories(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			ctx := context.Background()
			k := e.srv.API.KB
			mk := func(title, body, cat string) *store.KBArticle {
				loc, pub := "ko", store.KBPublished
				a, err := k.Create(ctx, kb.Input{Title: &title, Body: &body, Category: &cat, Locale: &loc, Status: &pub}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			ship := mk("배송 기간 안내", "주문 후 배송은 2~3일 걸립니다. 환불 문의는 환불 안내를 보세요.", "배송")
			hidden := mk("환불 배송 기간 기준", "환불할 때 배송 기간 기준은 이 문서를 따릅니다.", "환불")
			var set map[string]any
			e.call("PUT", "/api/v1/kb/help-settings", e.adminTok, map[string]any{"restricted": true, "categories": []string{"배송", " 배송 "}}, http.StatusOK, &set)
			if set["restricted"] != true || len(set["categories"].([]any)) != 1 || len(set["all_categories"].([]any)) != 2 {
				t.Fatalf("settings %v", set)
			}
			visible := func(what string, want bool, res *http.Response, body string) {
				t.Helper()
				has := res.StatusCode == http.StatusOK && (strings.Contains(body, kb.Path(hidden)) || strings.Contains(body, hidden.Title))
				if has != want {
					t.Errorf("%s: hidden article shown = %v (status %d)", what, has, res.StatusCode)
				}
			}
			check := func(hiddenShown bool) {
				t.Helper()
				res, body := e.get(kb.Path(hidden), "")
				visible("article page", hiddenShown, res, body)
				res, body = e.get("/help/ko", "")
				visible("index", hiddenShown, res, body)
				res, body = e.get("/help/ko?q="+url.QueryEscape("환불 기준"), "")
				visible("search box", hiddenShown, res, body)
				_, body = e.get("/help/sitemap.xml", "")
				if strings.Contains(body, kb.Path(hidden)) != hiddenShown {
					t.Errorf("sitemap: %s", body)
				}
				res, body = e.get("/api/v1/kb/suggest?q="+url.QueryEscape("환불 기준"), "")
				visible("suggest", hiddenShown, res, body)
				res, _ = e.get("/api/v1/kb/public/"+strconv.FormatInt(hidden.ID, 10), "")
				if hiddenShown != (res.StatusCode == http.StatusOK) {
					t.Errorf("public article: %d", res.StatusCode)
				}
				rel, err := k.Related(ctx, ship, 3)
				if err != nil {
					t.Fatal(err)
				}
				if got := len(rel) == 1 && rel[0].ID == hidden.ID; got != hiddenShown {
					t.Errorf("related %+v", rel)
				}
				// Agents search every category.
				var hits struct {
					Items []struct {
						ID int64 `json:"id"`
					} `json:"items"`
				}
				e.call("GET", "/api/v1/kb/search?q="+url.QueryEscape("환불 기준"), e.adminTok, nil, http.StatusOK, &hits)
				if len(hits.Items) != 1 || hits.Items[0].ID != hidden.ID {
					t.Errorf("agent search %+v", hits)
				}
			}
			check(false)
			if res, body := e.get(kb.Path(ship), ""); res.StatusCode != http.StatusOK || !strings.Contains(body, "2~3일") {
				t.Fatalf("public category article: %d", res.StatusCode)
			}
			// Restricted to nothing: nothing is public.
			e.call("PUT", "/api/v1/kb/help-settings", e.adminTok, map[string]any{"restricted": true, "categories": []string{}}, http.StatusOK, nil)
			if res, _ := e.get(kb.Path(ship), ""); res.StatusCode != http.StatusNotFound {
				t.Fatalf("restricted to nothing: %d", res.StatusCode)
			}
			if res, body := e.get("/api/v1/kb/suggest?q="+url.QueryEscape("배송 기간"), ""); res.StatusCode != 200 || strings.Contains(body, ship.Title) {
				t.Fatalf("suggest restricted to nothing: %s", body)
			}
			e.call("PUT", "/api/v1/kb/help-settings", e.adminTok, map[string]any{"restricted": false, "categories": []string{"배송"}}, http.StatusOK, nil)
			check(true)

			// Agents may not change it.
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/agents", e.adminTok, map[string]any{"email": "kim@example.com", "name": "Kim", "role": "agent", "password": "long enough password"}, http.StatusCreated, nil)
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "kim@example.com", "password": "long enough password"}, http.StatusOK, &login)
			e.call("PUT", "/api/v1/kb/help-settings", login.Token, map[string]any{"restricted": true}, http.StatusForbidden, nil)
		})
	}
}

// TestBrowserHelpCategories: an admin working in Korean restricts the help
// center to one category in the form on the article list; the choice is
// stored and shown back after the reload, and the other category's article
// is 404 on /help.
func TestBrowserHelpCategories(t *testing.T) {
	e := newEnv(t, store.SQLite)
	ctx := context.Background()
	mk := func(title, cat string) *store.KBArticle {
		body, loc, pub := title+" 안내 문서입니다.", "ko", store.KBPublished
		a, err := e.srv.API.KB.Create(ctx, kb.Input{Title: &title, Body: &body, Category: &cat, Locale: &loc, Status: &pub}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	mk("배송 기간", "배송")
	refund := mk("환불 절차", "환불")
	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("kb list", chromedp.Navigate(e.ts.URL+"/kb"), chromedp.WaitVisible(chromedp.ID("help-cats-form")))
	a.ready()
	if got := a.text("#help-cats-form h2"); got != "도움말 센터 카테고리" {
		t.Fatalf("form title %q", got)
	}
	eval[bool](a, `window.__beforeSave = true`)
	a.do("restrict to 배송", chromedp.Click(chromedp.ID("help-restricted")),
		chromedp.Click(chromedp.CSS(`#help-cats-form input[name=category][value="배송"]`)),
		chromedp.Click(chromedp.ID("help-cats-save")))
	a.waitJS("the page reloaded after the save", `!window.__beforeSave && document.body.dataset.scripts === 'ready'`)
	if got, err := e.srv.API.KB.PublicCategories(ctx); err != nil || len(got) != 1 || got[0] != "배송" {
		t.Fatalf("stored %v %v", got, err)
	}
	if got := eval[string](a, `[...document.querySelectorAll('#help-cats-form input:checked')].map((c) => c.name + ':' + c.value).join(',')`); got != "restricted:on,category:배송" {
		t.Fatalf("form after reload %q", got)
	}
	if res, _ := e.get(kb.Path(refund), ""); res.StatusCode != http.StatusNotFound {
		t.Fatalf("hidden category article: %d", res.StatusCode)
	}
}
