package ui_test

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// TestBrowserConversationPage: in real Chromium, in Korean and in English, a
// customer opens the link from an agent email. The page shows the thread
// and its file; with JavaScript it becomes a live chat through the widget
// channel: the customer answers (with a file), the agent's typing and reply
// appear without a reload, and the agent's reply after a page message goes
// back to the page.
func TestBrowserConversationPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	e.call("POST", "/api/v1/channels", e.adminTok, map[string]any{"kind": "widget", "name": "Shop chat",
		"settings": map[string]any{"allowed_origins": []string{e.ts.URL}}}, http.StatusCreated, nil)
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
	upload := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(upload, png, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, lc := range []struct{ lang, live, you, typing string }{
		{"ko", "연결됨", "나", "입력 중"},
		{"en", "Connected", "You", "is typing"},
	} {
		t.Run(lc.lang, func(t *testing.T) {
			pid := e.ingest(map[string]any{"external_id": "m-" + lc.lang, "subject": "교환 문의 " + lc.lang, "text": "사이즈 교환이 되나요? " + lc.lang,
				"contact":     map[string]any{"external_id": "cust-" + lc.lang, "name": "김민지", "email": "minji-" + lc.lang + "@customer.test"},
				"attachments": []any{map[string]any{"name": "receipt.png", "content_type": "image/png", "data": base64.StdEncoding.EncodeToString(png)}}})
			tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			e.call("POST", "/api/v1/tickets/"+pid+"/replies", e.adminTok, map[string]any{"text": "사진을 보내 주세요."}, http.StatusCreated, nil)
			e.call("POST", "/api/v1/tickets/"+pid+"/notes", e.adminTok, map[string]any{"text": "내부 메모는 보이면 안 됩니다"}, http.StatusCreated, nil)
			url, err := e.srv.Inbox.ConversationLink(e.ctx, tk.ID, "minji-"+lc.lang+"@customer.test")
			if err != nil {
				t.Fatal(err)
			}
			_, tok, _ := strings.Cut(url, "/c/")

			a := newTab(t, bctx)
			a.do("open the page", chromedp.Navigate(e.ts.URL+"/lang/"+lc.lang+"?next=/c/"+tok), chromedp.WaitVisible(chromedp.ID("ccompose")))
			a.waitJS("live", `document.getElementById('cstatus').textContent.includes('`+lc.live+`')`)
			thread := a.text("#cthread")
			if !strings.Contains(thread, "사이즈 교환이 되나요?") || !strings.Contains(thread, "사진을 보내 주세요.") || strings.Contains(thread, "내부 메모") {
				t.Fatalf("thread = %q", thread)
			}
			got := eval[string](a, `(async () => { const l = document.querySelector('#cthread .cfile'); const r = await fetch(l.href); const b = new Uint8Array(await r.arrayBuffer()); return r.status + ' ' + b[1] + b[2] + b[3] + ' ' + r.headers.get('content-disposition'); })()`)
			if !strings.HasPrefix(got, "200 807871 attachment") {
				t.Fatalf("file download = %q", got)
			}

			// The customer answers with a photo.
			a.do("attach a photo", chromedp.SetUploadFiles(chromedp.ID("cfile"), []string{upload}))
			a.waitJS("upload done", `document.getElementById('cchips').textContent.includes('photo.png') && !document.getElementById('cchips').textContent.includes('…')`)
			a.do("write and send", chromedp.SendKeys(chromedp.ID("ctext"), "여기 사진입니다"), chromedp.Click(chromedp.ID("csend")))
			eventually(t, "the page's message with its photo in the ticket", func() bool {
				ms, _ := e.srv.Inbox.Messages(e.ctx, tk.ID)
				last := ms[len(ms)-1]
				return last.Text == "여기 사진입니다" && len(last.Attachments) == 1 && last.Attachments[0].Name == "photo.png" && last.Meta.String("via") == "page"
			})
			a.waitJS("the sent message confirmed", `[...document.querySelectorAll('#cthread li.cmsg.mine')].some(li => li.dataset.message && li.textContent.includes('여기 사진입니다') && li.textContent.includes('photo.png'))`)

			// The agent types and answers; both appear live.
			e.call("POST", "/api/v1/tickets/"+pid+"/presence", e.adminTok, map[string]any{"state": "typing"}, http.StatusOK, nil)
			a.waitJS("agent typing", `!document.getElementById('ctyping').hidden && document.getElementById('ctyping').textContent.includes('`+lc.typing+`')`)
			e.call("POST", "/api/v1/tickets/"+pid+"/replies", e.adminTok, map[string]any{"text": "확인했습니다, 교환해 드릴게요."}, http.StatusCreated, nil)
			a.waitJS("the agent's reply live", `[...document.querySelectorAll('#cthread li.cmsg.theirs')].some(li => li.textContent.includes('확인했습니다, 교환해 드릴게요.'))`)
			eventually(t, "the reply delivered on the page's channel", func() bool {
				ms, _ := e.srv.Inbox.Messages(e.ctx, tk.ID)
				last := ms[len(ms)-1]
				return last.Text == "확인했습니다, 교환해 드릴게요." && last.DeliveryStatus == store.DeliverySent
			})
			if got := eval[int](a, `document.querySelectorAll('#cthread li.cmsg').length`); got != 4 {
				t.Errorf("%d messages on the page, want 4 (each once)", got)
			}
			if strings.Contains(a.text("#cthread"), "내부 메모") {
				t.Error("the note reached the page")
			}
		})
	}
}

// TestBrowserAgentRevokesLink: the agent sees the conversation link on the
// ticket (in Korean), with the customer's opening recorded, and revokes it
// with two clicks; the customer's open page closes and says why.
func TestBrowserAgentRevokesLink(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	e.call("POST", "/api/v1/channels", e.adminTok, map[string]any{"kind": "widget", "name": "Shop chat",
		"settings": map[string]any{"allowed_origins": []string{e.ts.URL}}}, http.StatusCreated, nil)
	pid := e.ingest(map[string]any{"external_id": "m1", "subject": "환불 문의", "text": "환불되나요?",
		"contact": map[string]any{"external_id": "cust-1", "name": "김민지", "email": "minji@customer.test"}})
	tk, _ := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	url, err := e.srv.Inbox.ConversationLink(e.ctx, tk.ID, "minji@customer.test")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(url, "/c/")

	customer := newTab(t, bctx)
	customer.do("the customer opens the page", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/c/"+tok), chromedp.WaitVisible(chromedp.ID("ccompose")))
	customer.waitJS("live", `document.getElementById('cstatus').textContent.includes('연결됨')`)

	agent := newTab(t, bctx)
	agent.do("korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/login"))
	agent.login(e.ts.URL, "admin@example.com", "admin-password")
	agent.do("open the ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("links-card")))
	card := agent.text("#links-card")
	if !strings.Contains(card, "대화 페이지") || !strings.Contains(card, "minji@customer.test") || !strings.Contains(card, "마지막으로 열림") {
		t.Fatalf("links card = %q", card)
	}
	agent.do("first click", chromedp.Click(chromedp.CSS(`#links-card [data-revoke-link]`)))
	agent.waitJS("the warning", `document.querySelector('#links-card .revoke-hint') !== null`)
	agent.do("second click", chromedp.Click(chromedp.CSS(`#links-card [data-revoke-link]`)))
	agent.waitJS("revoked", `document.querySelector('#links-card [data-state="revoked"]') !== null && !document.querySelector('#links-card [data-revoke-link]')`)
	customer.waitJS("the page closed, saying why", `document.body.textContent.includes('사용을 중지')`)
	if n := agent.dialogs.Load() + customer.dialogs.Load(); n != 0 {
		t.Fatalf("%d JavaScript dialogs opened", n)
	}
}
