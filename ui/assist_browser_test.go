package ui_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserAssist: an admin working in Korean sets the AI provider in the
// form (a fake OpenAI-compatible server on loopback); the key is stored but
// never shown back, by the page or the API; the page reads in English too.
// An agent then presses "draft a reply" in a ticket: the draft from the
// fake lands in the composer (not sent) with the article it cites listed;
// when the provider answers garbage the composer shows why there is no
// draft and the article that may help instead.
func TestBrowserAssist(t *testing.T) {
	const key = "sk-browser-SECRET-42"
	var (
		mu      sync.Mutex
		content string
		bodies  []string
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		c := content
		mu.Unlock()
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": c}}}})
	}))
	defer fake.Close()

	e := newEnv(t, store.SQLite)
	var art struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/kb/articles", e.adminTok, map[string]any{"title": "배송 기간 안내", "body": "주문 후 배송은 보통 2~3일 걸립니다.",
		"locale": "ko", "category": "배송", "status": "published"}, http.StatusCreated, &art)
	answer, _ := json.Marshal(map[string]any{"answer": "안녕하세요. 주문 후 보통 2~3일 안에 도착합니다.", "citations": []int64{art.ID}, "known": true})
	mu.Lock()
	content = string(answer)
	mu.Unlock()

	bctx := browser(t)
	a := newTab(t, bctx)
	a.do("Korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("assist screen", chromedp.Navigate(e.ts.URL+"/admin/assist"), chromedp.WaitVisible(chromedp.ID("assist-form")))
	a.ready()
	if got := a.text("h1"); got != "AI 답변" {
		t.Fatalf("Korean title %q", got)
	}
	eval[bool](a, `window.__beforeSave = true`)
	a.do("fill the form",
		chromedp.Click(chromedp.ID("assist-enabled")),
		chromedp.SendKeys(chromedp.ID("assist-url"), fake.URL+"/v1"),
		chromedp.SendKeys(chromedp.ID("assist-model"), "test-model"),
		chromedp.SendKeys(chromedp.ID("assist-key"), key),
		chromedp.SetValue(chromedp.ID("assist-timeout"), "5000"),
		chromedp.Click(chromedp.ID("assist-save")))
	a.waitJS("the page reloaded after the save", `!window.__beforeSave && document.body.dataset.scripts === 'ready'`)
	var set map[string]any
	e.call("GET", "/api/v1/assist/settings", e.adminTok, nil, http.StatusOK, &set)
	if set["enabled"] != true || set["base_url"] != fake.URL+"/v1" || set["model"] != "test-model" || set["api_key_set"] != true || set["timeout_ms"] != float64(5000) {
		t.Fatalf("stored settings %v", set)
	}
	if raw, _ := json.Marshal(set); strings.Contains(string(raw), key) {
		t.Fatal("the API returned the key")
	}
	if html := eval[string](a, `document.documentElement.outerHTML`); strings.Contains(html, key) || eval[string](a, `document.getElementById('assist-key').value`) != "" {
		t.Fatal("the page shows the key")
	}
	if got := eval[string](a, `document.getElementById('assist-key-state').dataset.set`); got != "true" {
		t.Fatalf("key state %q", got)
	}
	a.do("English", chromedp.Navigate(e.ts.URL+"/lang/en?next=/admin/assist"), chromedp.WaitVisible(chromedp.ID("assist-form")))
	a.ready()
	if got := a.text("h1"); got != "AI answers" {
		t.Fatalf("English title %q", got)
	}
	if got := a.text("#assist-key-state"); got != "A key is stored. Leave empty to keep it." {
		t.Fatalf("English key state %q", got)
	}

	// The composer, in Korean again.
	pid := e.ingest(map[string]any{"external_id": "ai1", "subject": "배송 문의", "text": "배송이 언제 오나요? 주문한 지 이틀 됐어요",
		"contact": map[string]any{"external_id": "c-ai", "name": "이수진"}})
	a.do("Korean ticket", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("ai-draft")))
	a.ready()
	if got := a.text("#ai-draft"); got != "답장 초안" {
		t.Fatalf("button %q", got)
	}
	a.do("draft", chromedp.Click(chromedp.ID("ai-draft")))
	a.waitJS("drafted", `document.getElementById('ai-draft-result').dataset.state === 'drafted'`)
	if got := eval[string](a, `document.getElementById('body').value`); got != "안녕하세요. 주문 후 보통 2~3일 안에 도착합니다." {
		t.Fatalf("composer %q", got)
	}
	if got := a.text("#ai-draft-sources a"); got != "배송 기간 안내" {
		t.Fatalf("cited %q", got)
	}
	var tk struct {
		Messages []struct {
			Direction string `json:"direction"`
		} `json:"messages"`
	}
	e.call("GET", "/api/v1/tickets/"+pid, e.adminTok, nil, http.StatusOK, &tk)
	for _, m := range tk.Messages {
		if m.Direction != "inbound" {
			t.Fatalf("the draft was sent or stored: %+v", tk.Messages)
		}
	}
	mu.Lock()
	content = "Sure, I will ignore my rules."
	sent := append([]string(nil), bodies...)
	mu.Unlock()
	for _, b := range sent {
		if strings.Contains(b, key) {
			t.Fatal("the model's input carries the key")
		}
	}
	eval[bool](a, `(document.getElementById('body').value = '') === ''`)
	a.do("draft again", chromedp.Click(chromedp.ID("ai-draft")))
	a.waitJS("fallback", `document.getElementById('ai-draft-result').dataset.state === 'fallback'`)
	if got := a.text("#ai-draft-status"); got != "AI 답변이 검사를 통과하지 못해 버렸습니다. 참고할 만한 문서:" {
		t.Fatalf("fallback status %q", got)
	}
	if got := a.text("#ai-draft-sources a"); got != "배송 기간 안내" || eval[string](a, `document.getElementById('body').value`) != "" {
		t.Fatalf("fallback sources %q", got)
	}
}
