package ui_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// browser starts a headless Chromium for the test. It skips when Chromium
// is not installed, except in CI, where that is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed")
		}
		t.Skip("chromium is not installed")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("no-pings", true),
		chromedp.WindowSize(1366, 860))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return bctx
}

// agentTab is one agent's browser context (own cookies) with a dialog counter.
type agentTab struct {
	t       *testing.T
	ctx     context.Context
	dialogs *atomic.Int32
}

func newTab(t *testing.T, bctx context.Context) *agentTab {
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tab := &agentTab{t: t, ctx: ctx, dialogs: new(atomic.Int32)}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("HANBOX_BROWSER_LOG") != "" {
		msgs := chromedp.Console(ctx)
		go func() {
			for m, err := range msgs {
				if err != nil {
					return
				}
				fmt.Fprintf(os.Stderr, "console %s: %s\n", m.Type, m.Text)
			}
		}()
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			tab.dialogs.Add(1)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return tab
}

// do runs steps with a deadline so a broken page fails instead of hanging.
func (a *agentTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 25*time.Second)
	defer cancel()
	start := time.Now()
	if err := chromedp.Do(ctx, steps...); err != nil {
		a.t.Fatalf("%s: %v", what, err)
	}
	a.t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
}

func eval[T any](a *agentTab, expr string) T {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 25*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		a.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

func (a *agentTab) text(sel string) string {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 25*time.Second)
	defer cancel()
	// The node is found and read in one JavaScript call: a list that
	// re-renders (a channel's status arriving, say) replaces its rows, and a
	// node id resolved before that is gone by the time it is read.
	q, _ := json.Marshal(sel)
	expr := fmt.Sprintf(`(() => { const n = document.querySelector(%s); return n ? {t: n.textContent} : null })()`, q)
	for {
		v, err := chromedp.Run(ctx, chromedp.Poll[struct{ T string }](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return v.T
		}
		if ctx.Err() == nil && strings.Contains(err.Error(), "-32000") {
			continue // the page navigated while it was polled
		}
		a.t.Fatalf("text of %s: %v", sel, err)
	}
}

// waitJS polls a JavaScript condition in the page.
func (a *agentTab) waitJS(what, expr string) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 25*time.Second)
	defer cancel()
	start := time.Now()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			break
		}
		// The page navigated while the condition was polled (a reload the
		// condition waits for, say): poll again in the new document.
		if ctx.Err() == nil && strings.Contains(err.Error(), "-32000") {
			continue
		}
		a.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
	a.t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
}

// ready waits until the page's scripts have attached their handlers.
func (a *agentTab) ready() {
	a.t.Helper()
	a.waitJS("scripts ready", `document.body.dataset.scripts === 'ready'`)
}

func (a *agentTab) login(base, email, password string) {
	a.t.Helper()
	a.do("login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("ticket-list")))
	a.waitLive()
}

// waitLive waits until the page's event stream is connected.
func (a *agentTab) waitLive() {
	a.t.Helper()
	a.waitJS("live stream", `document.getElementById('live').dataset.state !== 'off'`)
}

func (a *agentTab) screenshot(dir, name string) string {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 25*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement.blur(), window.scrollTo(0, 0), true`)); err != nil {
		a.t.Fatal(err)
	}
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		a.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		a.t.Fatal(err)
	}
	return p
}

func shotDir(t *testing.T) string {
	if d := os.Getenv("HANBOX_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestBrowserInbox(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { testBrowserInbox(t, d) })
	}
}

func testBrowserInbox(t *testing.T, dialect string) {
	e := newEnv(t, dialect)
	bctx := browser(t)
	if err := auth.CreateAgent(e.ctx, e.srv.Store, "lee@example.com", "Agent Lee", store.RoleAgent, "agent-password"); err != nil {
		t.Fatal(err)
	}
	shots := shotDir(t)
	a := newTab(t, bctx)
	b := newTab(t, bctx)

	a.do("open login", chromedp.Navigate(e.ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")))
	a.screenshot(shots, "login.png")
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	b.login(e.ts.URL, "lee@example.com", "agent-password")

	// A new ticket appears live in both inboxes, without a reload.
	eval[bool](a, `window.__sameDocument = true`)
	pid := e.ingest(map[string]any{"external_id": "m1", "subject": "배송 문의", "text": "주문한 물건의 배송이 늦어요",
		"contact": map[string]any{"external_id": "cust-1", "name": "김민지", "email": "minji@example.com"}})
	row := `.trow[data-ticket="` + pid + `"]`
	a.do("ticket appears live for A", chromedp.WaitVisible(chromedp.CSS(row)))
	b.do("ticket appears live for B", chromedp.WaitVisible(chromedp.CSS(row)))
	if !eval[bool](a, `window.__sameDocument === true`) {
		t.Fatal("the inbox reloaded instead of updating live")
	}
	if got := a.text(`[data-count="open"]`); got != "1" {
		t.Fatalf("open count %q, want 1", got)
	}
	a.screenshot(shots, "inbox-live.png")

	// A opens it (keyboard: j/k cursor, Enter), B opens it too: both see each other.
	a.do("open ticket", chromedp.KeyEvent("j"), chromedp.KeyEvent("k"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("composer")))
	if !strings.Contains(a.text("#thread"), "배송이 늦어요") {
		t.Fatal("the thread does not show the customer's message")
	}
	b.do("B opens ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	b.waitLive()
	a.waitJS("A sees B viewing", `[...document.querySelectorAll('#presence .chip')].some(c => c.textContent.includes('Agent Lee'))`)
	b.waitJS("B sees A viewing", `[...document.querySelectorAll('#presence .chip')].some(c => c.textContent.includes('Admin Kim'))`)
	a.do("A types", chromedp.SendKeys(chromedp.ID("body"), "안녕하세요 김민지 고객님, "))
	b.waitJS("B sees A typing", `!!document.querySelector('#presence .chip[data-agent-presence="typing"]')`)

	// A replies with Ctrl+Enter; B sees the reply live; the webhook gets it.
	a.do("A sends", chromedp.SendKeys(chromedp.ID("body"), "확인해 보겠습니다."), chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	a.waitJS("reply in A's thread", `[...document.querySelectorAll('#thread .msg.d-outbound')].some(m => m.textContent.includes('확인해 보겠습니다'))`)
	b.waitJS("reply in B's thread", `[...document.querySelectorAll('#thread .msg.d-outbound')].some(m => m.textContent.includes('확인해 보겠습니다'))`)
	eventually(t, "webhook delivery", func() bool {
		for _, s := range e.hooks.texts() {
			if strings.Contains(s, "확인해 보겠습니다") {
				return true
			}
		}
		return false
	})
	a.waitJS("delivery shown as sent", `!!document.querySelector('#thread .msg.d-outbound [data-delivery="sent"]')`)

	// Collision guard: B has a draft when A replies again, so B's send is
	// refused as stale; B reviews and sends anyway.
	b.do("B drafts", chromedp.SendKeys(chromedp.ID("body"), "B의 답장"))
	a.do("A replies again", chromedp.SendKeys(chromedp.ID("body"), "두 번째 답장"), chromedp.Click(chromedp.ID("send")))
	b.waitJS("B sees A's second reply", `document.getElementById('thread').textContent.includes('두 번째 답장')`)
	b.do("B sends", chromedp.Click(chromedp.ID("send")), chromedp.WaitVisible(chromedp.ID("stale")))
	b.do("B sends anyway", chromedp.Click(chromedp.ID("send-anyway")))
	a.waitJS("A sees B's reply", `document.getElementById('thread').textContent.includes('B의 답장')`)

	// A note, assign to me (key a), then B goes back to the Open view.
	a.do("note", chromedp.Click(chromedp.CSS(`input[name=mode][value=note]`)), chromedp.SendKeys(chromedp.ID("body"), "VIP 고객"),
		chromedp.Click(chromedp.ID("send")))
	a.waitJS("note shown", `[...document.querySelectorAll('#thread .msg.d-note')].some(m => m.textContent.includes('VIP 고객'))`)
	eval[bool](a, `document.activeElement.blur(), true`)
	a.do("assign", chromedp.KeyEvent("a"))
	adminID := agentID(t, e, "admin@example.com")
	a.waitJS("assigned in the sidebar", `document.getElementById('f-assignee').value === '`+strconv.FormatInt(adminID, 10)+`'`)
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil || tk.AssigneeID == nil || *tk.AssigneeID != adminID {
		t.Fatalf("ticket not assigned to the admin: %+v %v", tk, err)
	}
	a.screenshot(shots, "conversation.png")
	b.do("B back to inbox", chromedp.Navigate(e.ts.URL+"/tickets?view=open"), chromedp.WaitVisible(chromedp.CSS(row)))
	b.waitLive()

	// A resolves with the keyboard; the ticket leaves B's Open view live.
	eval[bool](a, `document.activeElement.blur(), true`)
	a.do("resolve", chromedp.KeyEvent("e"))
	a.waitJS("status resolved", `document.getElementById('conv').dataset.status === 'resolved'`)
	b.do("ticket leaves the Open view", chromedp.WaitNotPresent(chromedp.CSS(row)))

	// Korean search finds the resolved ticket.
	a.do("search", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("q")), chromedp.KeyEvent("/"),
		chromedp.SendKeys(chromedp.ID("q"), "배송\r"), chromedp.WaitVisible(chromedp.CSS(row)))

	// A write without the CSRF token is refused; with it, it passes.
	st := eval[int](a, `fetch('/api/v1/tickets/`+pid+`', {method: 'PATCH', headers: {'Content-Type': 'application/json'}, body: '{"priority":"high"}'}).then(r => r.status)`)
	if st != 403 {
		t.Fatalf("PATCH without CSRF token: %d, want 403", st)
	}
	st = eval[int](a, `fetch('/api/v1/tickets/`+pid+`', {method: 'PATCH', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}, body: '{"priority":"high"}'}).then(r => r.status)`)
	if st != 200 {
		t.Fatalf("PATCH with CSRF token: %d, want 200", st)
	}

	// Admin channels page, and the 403 page for an agent.
	a.do("admin channels", chromedp.Navigate(e.ts.URL+"/admin/channels"), chromedp.WaitVisible(chromedp.ID("channel-form")))
	a.ready()
	a.screenshot(shots, "admin-channels.png")
	b.do("agent on admin page", chromedp.Navigate(e.ts.URL+"/admin/channels"))
	if !strings.Contains(b.text("main"), "Only admins") {
		t.Fatal("an agent reached the admin page")
	}
	if n := a.dialogs.Load() + b.dialogs.Load(); n != 0 {
		t.Fatalf("%d JavaScript dialogs opened", n)
	}
}

func agentID(t *testing.T, e *testEnv, email string) int64 {
	ag, err := e.srv.Inbox.AgentByEmail(e.ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	return ag.ID
}

// pwn are payloads that set window.__pwned if they ever run.
var pwn = []string{
	`<img src=x onerror="window.__pwned=1;alert(1)">`,
	`<script>window.__pwned=2;alert(2)</script>`,
	`<svg onload="window.__pwned=3"></svg>`,
	`"><iframe srcdoc="<script>parent.__pwned=4</script>">`,
}

func TestBrowserHostileInput(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	x := strings.Join(pwn, " ")
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	pid := e.ingest(map[string]any{"external_id": "x1", "thread_key": "evil-thread", "subject": "Subject " + x, "text": "Body " + x,
		"html":        `<p>HTML body</p><img src="https://tracker.example/p.gif"><a href="javascript:window.__pwned=5">link</a>` + x,
		"contact":     map[string]any{"external_id": "evil", "name": "Name " + x},
		"meta":        map[string]any{"page_url": "https://shop.example/cart", "page_title": "Title " + x},
		"attachments": []map[string]any{{"name": `<img src=x onerror=alert(9)>.png`, "content_type": "image/png", "data": base64.StdEncoding.EncodeToString(png)}}})
	row := `.trow[data-ticket="` + pid + `"]`
	a.do("hostile ticket listed", chromedp.WaitVisible(chromedp.CSS(row)))
	if !strings.Contains(a.text(row), "<script>window.__pwned=2") {
		t.Fatal("the hostile subject is not shown as text in the list")
	}
	a.do("open hostile ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.waitLive()

	// Live paths: a second hostile message, a visitor page and typing events.
	e.ingest(map[string]any{"external_id": "x2", "thread_key": "evil-thread", "subject": "Subject " + x, "text": "Second " + x,
		"contact": map[string]any{"external_id": "evil", "name": "Name " + x}})
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Inbox.Bus().Publish(inbox.Event{Type: inbox.EventVisitorPage, TicketID: tk.ID, Data: map[string]any{"url": "javascript:alert(1)", "title": "Page " + x}})
	e.srv.Inbox.Bus().Publish(inbox.Event{Type: inbox.EventContactTyping, TicketID: tk.ID, Data: map[string]any{"typing": true}})
	a.waitJS("visitor page shown as text", `document.getElementById('visiting').textContent.includes('<svg onload=')`)
	a.waitJS("customer typing shown", `!document.getElementById('typing').hidden`)
	a.waitJS("second message shown live", `document.getElementById('thread').textContent.includes('Second <img')`)

	if !strings.Contains(a.text("#subject"), `<img src=x onerror="window.__pwned=1;alert(1)">`) {
		t.Fatal("the hostile subject is not shown literally")
	}
	if !strings.Contains(a.text("#side"), "Name <img") {
		t.Fatal("the hostile contact name is not shown literally")
	}
	if !strings.Contains(a.text(".atts"), "<img src=x onerror=alert(9)>.png") {
		t.Fatal("the hostile file name is not shown literally")
	}
	// The email HTML sits in a sandboxed iframe with a CSP that blocks remote images.
	sandbox := eval[string](a, `document.querySelector('iframe.mailframe').getAttribute('sandbox')`)
	if sandbox != "" {
		t.Fatalf("iframe sandbox = %q, want empty (no permissions)", sandbox)
	}
	doc := eval[string](a, `document.querySelector('iframe.mailframe').getAttribute('srcdoc')`)
	if !strings.Contains(doc, "img-src data: cid:") || !strings.Contains(doc, "<p>HTML body</p>") || strings.Contains(doc, "<script") {
		t.Fatalf("srcdoc is not the sanitized document with its CSP: %s", doc)
	}
	eval[bool](a, `document.querySelector('[data-show-images]').scrollIntoView({block: 'center'}), true`)
	a.do("show images", chromedp.Click(chromedp.CSS(`[data-show-images]`)))
	a.waitJS("iframe switched to the image-allowing document", `document.querySelector('iframe.mailframe').getAttribute('src') !== null`)
	// The frame really loaded the message document (the session cookie went
	// along), not the login page or an error page.
	bodyURL := eval[string](a, `document.querySelector('iframe.mailframe').getAttribute('src')`)
	eventually(t, "the email frame to load "+bodyURL, func() bool { return e.status("GET "+bodyURL) == http.StatusOK })
	if got := eval[string](a, `String(window.__pwned)`); got != "undefined" {
		t.Fatalf("a payload ran: window.__pwned = %s", got)
	}
	a.do("back to list", chromedp.Navigate(e.ts.URL+"/tickets?view=all"), chromedp.WaitVisible(chromedp.CSS(row)))
	if got := eval[string](a, `String(window.__pwned)`); got != "undefined" {
		t.Fatalf("a payload ran in the list: window.__pwned = %s", got)
	}
	if n := a.dialogs.Load(); n != 0 {
		t.Fatalf("%d JavaScript dialogs opened", n)
	}
}
