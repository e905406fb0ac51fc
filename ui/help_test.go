package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func kbPtr(s string) *string { return &s }

// helpArticles writes a published article with hostile text, a draft and an
// English article.
func helpArticles(t *testing.T, e *testEnv) (pub, draft, en *store.KBArticle) {
	t.Helper()
	ctx := context.Background()
	k := e.srv.API.KB
	mk := func(title, body, cat, locale, status string) *store.KBArticle {
		a, err := k.Create(ctx, kb.Input{Title: &title, Body: &body, Category: &cat, Locale: &locale, Status: &status}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	pub = mk(`환불 <script>alert("t")</script> 안내`, "환불은 **3일** 안에 처리됩니다.\n\n<img src=x onerror=alert(1)> [클릭](javascript:alert(1))", `<b>결제</b>`, "ko", "published")
	draft = mk("비밀 초안 환불 정책", "아직 공개 전", "결제", "ko", "draft")
	en = mk("Refund policy", "Refunds take 3 days.", "Payments", "en", "published")
	return
}

func TestHelpCenter(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			pub, draft, en := helpArticles(t, e)
			res, _ := e.get("/help", "")
			if res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), "/help/") {
				t.Fatalf("/help: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			noLeak := func(what, body string) {
				t.Helper()
				for _, bad := range []string{"<script", "onerror", "javascript:", "<b>결제", draft.Title, "아직 공개 전"} {
					if strings.Contains(body, bad) {
						t.Errorf("%s contains %q", what, bad)
					}
				}
			}
			res, body := e.get("/help/ko", "")
			if res.StatusCode != 200 || !strings.Contains(body, kb.Path(pub)) || strings.Contains(body, kb.Path(en)) {
				t.Fatalf("/help/ko: %d %s", res.StatusCode, body)
			}
			if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("CSP %q", res.Header.Get("Content-Security-Policy"))
			}
			if !strings.Contains(body, "&lt;script&gt;") || !strings.Contains(body, "&lt;b&gt;결제&lt;/b&gt;") {
				t.Errorf("title or category not escaped: %s", body)
			}
			noLeak("/help/ko", body)

			res, body = e.get(kb.Path(pub), "")
			if res.StatusCode != 200 || !strings.Contains(body, "<strong>3일</strong>") {
				t.Fatalf("article: %d %s", res.StatusCode, body)
			}
			noLeak("article", body)

			// Search finds the published article ("환불" in "환불은"), never the draft.
			res, body = e.get("/help/ko?q="+url.QueryEscape("환불"), "")
			if res.StatusCode != 200 || !strings.Contains(body, kb.Path(pub)) || !strings.Contains(body, `id="hc-results"`) {
				t.Fatalf("search: %d %s", res.StatusCode, body)
			}
			noLeak("search", body)
			_, body = e.get("/help/ko?q="+url.QueryEscape(`"><script>x</script>`), "")
			if strings.Contains(body, "<script>x") || !strings.Contains(body, "&lt;script&gt;x") {
				t.Fatalf("hostile query: %s", body)
			}
			_, body = e.get("/help/ko?q="+url.QueryEscape("비밀 초안"), "")
			if !strings.Contains(body, `id="hc-noresults"`) {
				t.Fatalf("draft found by search: %s", body)
			}

			// A draft, a missing slug and an unknown locale are all 404.
			for _, p := range []string{kb.Path(draft), "/help/ko/no-such", "/help/fr", "/help/fr/x", "/help/en/" + url.PathEscape(pub.Slug)} {
				if res, _ := e.get(p, ""); res.StatusCode != 404 {
					t.Errorf("%s: %d", p, res.StatusCode)
				}
			}
			// Unpublishing takes it away at once.
			if _, err := e.srv.API.KB.Update(context.Background(), en.ID, kb.Input{Status: kbPtr("draft")}); err != nil {
				t.Fatal(err)
			}
			if res, _ := e.get(kb.Path(en), ""); res.StatusCode != 404 {
				t.Errorf("unpublished article: %d", res.StatusCode)
			}

			res, body = e.get("/help/sitemap.xml", "")
			if res.StatusCode != 200 || !strings.HasPrefix(body, "<?xml") || !strings.Contains(body, "https://support.example.com"+kb.Path(pub)) ||
				strings.Contains(body, kb.Path(draft)) || strings.Contains(body, kb.Path(en)) {
				t.Fatalf("sitemap: %d %s", res.StatusCode, body)
			}
		})
	}
}

// TestBrowserHelpCenterWithoutScript reads the help center in Chromium with
// JavaScript switched off: browse, search with the form, open an article.
func TestBrowserHelpCenterWithoutScript(t *testing.T) {
	e := newEnv(t, store.SQLite)
	pub, _, _ := helpArticles(t, e)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("no script", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	a.do("home", chromedp.Navigate(e.ts.URL+"/help/ko"), chromedp.WaitVisible(chromedp.ID("hc-q")),
		chromedp.SendKeys(chromedp.ID("hc-q"), "환불이 늦어요"),
		chromedp.Submit(chromedp.ID("hc-q")),
		chromedp.WaitVisible(chromedp.ID("hc-results")))
	a.do("open article", chromedp.Click(chromedp.CSS(`#hc-results a`)), chromedp.WaitVisible(chromedp.ID("hc-article")))
	if got := a.text("#hc-article h1"); got != pub.Title {
		t.Fatalf("article title %q, want %q", got, pub.Title)
	}
	if got := a.text("#hc-article .hc-body strong"); got != "3일" {
		t.Fatalf("body %q", got)
	}
}

// TestHelpArticleRelated: an article page lists related published articles
// (escaped, never a draft), in the page's language.
func TestHelpArticleRelated(t *testing.T) {
	e := newEnv(t, store.SQLite)
	k := e.srv.API.KB
	mk := func(title, body, status string) *store.KBArticle {
		a, err := k.Create(context.Background(), kb.Input{Title: kbPtr(title), Body: kbPtr(body), Locale: kbPtr("ko"), Status: kbPtr(status), Category: kbPtr("배송")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := mk("배송 기간 안내", "배송은 2~3일 걸립니다.", store.KBPublished)
	mk("배송 조회 <b>방법</b>", "배송 조회는 주문 내역에서.", store.KBPublished)
	mk("배송 비밀 초안", "배송 초안", store.KBDraft)
	for _, topic := range []string{"환불 절차", "결제 수단", "회원 탈퇴", "쿠폰 사용", "교환 신청"} {
		mk(topic, topic+" 안내", store.KBPublished)
	}
	res, body := e.get(kb.Path(a), "")
	if res.StatusCode != 200 || !strings.Contains(body, `id="hc-related"`) || !strings.Contains(body, "관련 문서") ||
		!strings.Contains(body, "배송 조회 &lt;b&gt;방법&lt;/b&gt;") || strings.Contains(body, "비밀 초안") {
		t.Fatalf("article page: %d %s", res.StatusCode, body)
	}
}
