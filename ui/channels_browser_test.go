package ui_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/store"
)

// channelRow reads a channel through the API.
type channelRow struct {
	ID         int64          `json:"id"`
	Kind       string         `json:"kind"`
	Name       string         `json:"name"`
	Settings   map[string]any `json:"settings"`
	SecretKeys []string       `json:"secret_keys"`
}

func (e *testEnv) channelNamed(name string) channelRow {
	e.t.Helper()
	var list struct{ Items []channelRow }
	e.call("GET", "/api/v1/channels", e.adminTok, nil, 200, &list)
	for _, c := range list.Items {
		if c.Name == name {
			return c
		}
	}
	e.t.Fatalf("no channel named %q", name)
	return channelRow{}
}

func (e *testEnv) secrets(id int64) map[string]any {
	e.t.Helper()
	var ch store.Channel
	if err := e.srv.Store.DB.Take(&ch, id).Error; err != nil {
		e.t.Fatal(err)
	}
	return ch.Secrets
}

// set types a value into a generated field by id and fires its events.
func (a *agentTab) set(id, value string) {
	a.t.Helper()
	b, _ := json.Marshal(value)
	if !eval[bool](a, fmt.Sprintf(`(el => { if (!el) return false; el.value = %s; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return true; })(document.getElementById(%q))`, b, id)) {
		a.t.Fatalf("no field #%s", id)
	}
}

func (a *agentTab) pickKind(kind string) {
	a.t.Helper()
	a.waitJS("kinds loaded", `document.getElementById('channel-form').dataset.ready === 'true'`)
	eval[bool](a, fmt.Sprintf(`(s => (s.value = %q, s.dispatchEvent(new Event('change', {bubbles: true})), true))(document.getElementById('ch-kind'))`, kind))
}

func jsonEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	var gv, wv any
	json.Unmarshal(g, &gv)
	json.Unmarshal(w, &wv)
	if !reflect.DeepEqual(gv, wv) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// An admin creates and edits channels through forms generated from the
// kinds' descriptions, in Korean and in English (issue 11 item 3): no JSON
// is typed for a described setting, secrets are write-only, and settings
// the description does not know are kept.
func TestBrowserChannelForms(t *testing.T) {
	e := newEnv(t, store.SQLite)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")

	// --- Korean: a widget channel ---
	a.do("korean channels page", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/admin/channels"), chromedp.WaitVisible(chromedp.ID("channel-form")))
	a.pickKind("widget")
	if got := a.text(`label[for="cf-allowed_origins"]`); got != "허용할 사이트" {
		t.Fatalf("Korean label %q", got)
	}
	if got := a.text(`[data-field="identity_secret"] .hint`); !strings.Contains(got, "user_hash") {
		t.Fatalf("Korean help %q", got)
	}
	a.do("name", chromedp.SendKeys(chromedp.ID("ch-name"), "웹 채팅"))
	a.do("origins", chromedp.SendKeys(chromedp.ID("cf-allowed_origins"), "https://shop.example\nhttps://*.shop.example"))
	a.set("cf-greeting-ko", "안녕하세요! 무엇을 도와드릴까요?")
	a.set("cf-position", "left")
	a.set("cf-office_hours-time_zone", "Asia/Seoul")
	a.set("cf-office_hours-weekly-mon", "09:00-12:00\n13:00-18:00")
	a.set("cf-office_hours-weekly-fri", "9:00 - 17:00")
	a.do("add proactive", chromedp.Click(chromedp.CSS(`[data-add-group="proactive"]`)))
	a.set("cf-proactive-0-url_pattern", "/pricing*")
	a.set("cf-proactive-0-message-ko", "요금제가 궁금하신가요?")
	a.set("cf-proactive-0-delay_seconds", "5")
	a.set("cf-visitor_upload_files", "7") // an advanced field, folded away
	a.do("secret", chromedp.SendKeys(chromedp.ID("cf-identity_secret"), "widget-secret-123"))
	a.screenshot(shotDir(t), "admin-channel-form-ko.png")
	a.do("create widget", chromedp.Click(chromedp.ID("ch-submit")), chromedp.WaitVisible(chromedp.ID("channel-created")))
	if got := a.text("#created-snippet"); !strings.Contains(got, `data-channel="`) || !strings.Contains(got, "/widget.js") {
		t.Fatalf("snippet %q", got)
	}
	a.waitJS("listed", `document.getElementById('channels').textContent.includes('웹 채팅') && document.getElementById('channels').textContent.includes('채팅')`)
	w := e.channelNamed("웹 채팅")
	jsonEqual(t, "widget settings", w.Settings, map[string]any{
		"allowed_origins": []string{"https://shop.example", "https://*.shop.example"},
		"greeting":        map[string]any{"ko": "안녕하세요! 무엇을 도와드릴까요?"},
		"position":        "left", "locale": "auto", "require_verified": false, "ai_answers": false, "theme": "auto",
		"office_hours": map[string]any{"time_zone": "Asia/Seoul",
			"weekly": map[string]any{"mon": [][]string{{"09:00", "12:00"}, {"13:00", "18:00"}}, "fri": [][]string{{"09:00", "17:00"}}}},
		"proactive":            []any{map[string]any{"url_pattern": "/pricing*", "message": map[string]any{"ko": "요금제가 궁금하신가요?"}, "delay_seconds": 5}},
		"visitor_upload_files": 7,
	})
	if s := e.secrets(w.ID); s["identity_secret"] != "widget-secret-123" || !reflect.DeepEqual(w.SecretKeys, []string{"identity_secret"}) {
		t.Fatalf("secrets %v, keys %v", s, w.SecretKeys)
	}

	// A setting no description knows, set by some older version.
	legacy := w.Settings
	legacy["legacy_flag"] = "keep me"
	e.call("PATCH", fmt.Sprintf("/api/v1/channels/%d", w.ID), e.adminTok, map[string]any{"settings": legacy}, 200, nil)

	a.do("edit widget", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-edit-channel="%d"]`, w.ID))))
	a.waitJS("edit form", `document.getElementById('channel-form').dataset.mode === 'edit' && document.getElementById('cf-allowed_origins').value !== ''`)
	if got := eval[string](a, `document.getElementById('cf-allowed_origins').value`); got != "https://shop.example\nhttps://*.shop.example" {
		t.Fatalf("origins in the edit form %q", got)
	}
	if got := eval[string](a, `document.getElementById('cf-office_hours-weekly-mon').value`); got != "09:00-12:00\n13:00-18:00" {
		t.Fatalf("hours in the edit form %q", got)
	}
	if got := eval[string](a, `document.getElementById('cf-identity_secret').value + '|' + document.getElementById('cf-identity_secret').placeholder`); !strings.HasPrefix(got, "|설정됨") {
		t.Fatalf("secret field %q", got)
	}
	if eval[bool](a, `document.documentElement.outerHTML.includes('widget-secret-123') || [...document.querySelectorAll('input,textarea')].some(i => i.value.includes('widget-secret-123'))`) {
		t.Fatal("the secret reached the browser")
	}
	if got := eval[string](a, `document.getElementById('ch-extra').value`); !strings.Contains(got, `"legacy_flag": "keep me"`) || strings.Contains(got, "allowed_origins") {
		t.Fatalf("other settings box %q", got)
	}
	a.set("cf-color", "#0a7d5a")
	a.do("remove proactive", chromedp.Click(chromedp.CSS(`[data-field="proactive"] .group button`)))
	a.do("save widget", chromedp.Click(chromedp.ID("ch-submit")))
	a.waitJS("saved", `document.getElementById('channel-form').dataset.mode === 'create'`)
	w2 := e.channelNamed("웹 채팅")
	if w2.Settings["color"] != "#0a7d5a" || w2.Settings["proactive"] != nil || w2.Settings["legacy_flag"] != "keep me" ||
		!reflect.DeepEqual(w2.Settings["office_hours"], w.Settings["office_hours"]) {
		t.Fatalf("after edit: %v", w2.Settings)
	}
	if s := e.secrets(w.ID); s["identity_secret"] != "widget-secret-123" {
		t.Fatalf("an untouched secret changed: %v", s)
	}

	// --- English: an email channel ---
	a.do("english channels page", chromedp.Navigate(e.ts.URL+"/lang/en?next=/admin/channels"), chromedp.WaitVisible(chromedp.ID("channel-form")))
	a.pickKind("email")
	if got := a.text(`label[for="cf-address"]`); got != "Support address *" {
		t.Fatalf("English label %q", got)
	}
	a.do("name", chromedp.SendKeys(chromedp.ID("ch-name"), "Support mail"))
	a.do("address", chromedp.SendKeys(chromedp.ID("cf-address"), "help@example.com"))
	a.set("cf-imap-host", "127.0.0.1")
	a.set("cf-imap-port", "one")
	a.set("cf-imap-tls", "none")
	a.set("cf-smtp-host", "127.0.0.1")
	a.set("cf-imap_password", "imap-pw")
	a.screenshot(shotDir(t), "admin-channel-form-en.png")
	a.set("cf-smtp_password", "smtp-pw")
	a.do("refused number", chromedp.Click(chromedp.ID("ch-submit")))
	a.waitJS("number error", `document.querySelector('#channel-form [data-error]').textContent.includes('"IMAP port" must be a number')`)
	a.set("cf-imap-port", "1")
	a.do("create email", chromedp.Click(chromedp.ID("ch-submit")), chromedp.WaitVisible(chromedp.ID("channel-created")))
	a.waitJS("listed", `document.getElementById('channels').textContent.includes('Support mail')`)
	m := e.channelNamed("Support mail")
	if imap, _ := m.Settings["imap"].(map[string]any); m.Settings["address"] != "help@example.com" || imap["host"] != "127.0.0.1" || imap["port"] != 1.0 || imap["tls"] != "none" {
		t.Fatalf("email settings %v", m.Settings)
	}
	if s := e.secrets(m.ID); s["imap_password"] != "imap-pw" || s["smtp_password"] != "smtp-pw" {
		t.Fatalf("email secrets %v", s)
	}
	a.do("edit email", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-edit-channel="%d"]`, m.ID))))
	a.waitJS("email edit form", `document.getElementById('channel-form').dataset.mode === 'edit' && document.getElementById('cf-imap-host').value === '127.0.0.1'`)
	if got := a.text("#ch-heading"); !strings.HasPrefix(got, "Edit channel") {
		t.Fatalf("heading %q", got)
	}
	a.set("cf-from_name", "Help desk")
	a.do("remove smtp password", chromedp.Click(chromedp.ID("cf-smtp_password-remove")))
	a.do("save email", chromedp.Click(chromedp.ID("ch-submit")))
	a.waitJS("saved", `document.getElementById('channel-form').dataset.mode === 'create'`)
	m2 := e.channelNamed("Support mail")
	if m2.Settings["from_name"] != "Help desk" || m2.Settings["address"] != "help@example.com" {
		t.Fatalf("after edit: %v", m2.Settings)
	}
	if s := e.secrets(m.ID); s["imap_password"] != "imap-pw" || s["smtp_password"] != nil {
		t.Fatalf("secrets after edit: %v", s)
	}
	if got := a.text(fmt.Sprintf(`tr[data-channel="%d"] .kind`, m.ID)); got != "Email" {
		t.Fatalf("kind title %q", got)
	}
}
