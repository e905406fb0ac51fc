package widget

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
)

// helpAPI serves the public help endpoints the widget calls (suggest, and
// a published article) from the harness's own store, through package kb
// as the API does (api/kb.go is tested in package api).
func helpAPI(h *harness) http.Handler {
	k := kb.New(h.env.Store)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/kb/suggest", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		hits, err := k.Suggest(r.Context(), q.Get("q"), q.Get("locale"), 5)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		items := []map[string]any{}
		for _, hit := range hits {
			items = append(items, map[string]any{"id": hit.Article.ID, "title": hit.Article.Title, "url": h.srv.URL + kb.Path(&hit.Article), "score": hit.Score})
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
	})
	mux.HandleFunc("GET /api/v1/kb/public/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		a, err := k.Get(r.Context(), id)
		if err != nil || a.Status != store.KBPublished {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": a.ID, "title": a.Title, "html": string(k.Render(a.Body))})
	})
	return mux
}

var botCases = []struct {
	lang, first, name, greeting, dept, askName, handedOff, human string
}{
	{lang: "ko", first: "배송이 아직 안 왔어요", name: "김민지", greeting: "안녕하세요! 한박스입니다.", dept: "배송", askName: "성함을 알려 주세요.",
		handedOff: "상담원에게 연결해 드릴게요. 잠시만 기다려 주세요.", human: "사람과 상담"},
	{lang: "en", first: "my parcel has not arrived", name: "Minji Kim", greeting: "Hi! This is Hanbox.", dept: "Shipping", askName: "May I have your name?",
		handedOff: "Connecting you with a person. Please hold on.", human: "Talk to a person"},
}

// TestBrowserBotFlow: in Korean and in English, the bot greets the
// visitor's first message, asks their name, offers department buttons;
// clicking one files the ticket to that team (and auto-assignment gives it
// to the team's online agent); the answers land on the contact. After a
// reload every bot message is there exactly once and answered buttons
// stay gone.
func TestBrowserBotFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	for _, c := range botCases {
		t.Run(c.lang, func(t *testing.T) {
			site, pageHTML := hostSite(t)
			h := newHarness(t, "sqlite", siteSettings(t, site.URL, c.lang))
			*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			svc := h.env.Inbox
			agent := h.env.Agent("minsu@support.example", "Minsu")
			team := func(ko, en string, members []int64) *store.Team {
				on := true
				tm, err := svc.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en, AutoAssign: &on, MemberIDs: &members})
				if err != nil {
					t.Fatal(err)
				}
				return tm
			}
			billing, shipping := team("결제팀", "Billing", nil), team("배송팀", "Shipping", []int64{agent.ID})
			if _, err := svc.SetAvailability(ctx, agent.ID, inbox.AvailabilityOnline); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.SaveBotFlow(ctx, 0, inbox.BotFlowInput{ChannelID: h.ch.ID, Enabled: true,
				GreetingKo: "안녕하세요! 한박스입니다.", GreetingEn: "Hi! This is Hanbox.",
				Steps: []store.BotStep{{Kind: store.BotStepName, Required: true}, {Kind: store.BotStepDepartment, Required: true, Options: []store.BotOption{
					{LabelKo: "결제", LabelEn: "Billing", TeamID: billing.ID}, {LabelKo: "배송", LabelEn: "Shipping", TeamID: shipping.ID}}}}}); err != nil {
				t.Fatal(err)
			}
			if err := svc.EnableBot(ctx); err != nil {
				t.Fatal(err)
			}
			if err := svc.AddConsumer(ctx, svc.Routing()); err != nil {
				t.Fatal(err)
			}
			go svc.RunConsumers(ctx, inbox.ConsumeOptions{Poll: 20 * time.Millisecond})

			b := newBrowser(t)
			if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/")); err != nil {
				t.Fatal(err)
			}
			b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
			b.eval(`window.__hanboxWidget.open(), 'ok'`)
			b.eval(fmt.Sprintf(`window.__hanboxWidget.send(%q), 'ok'`, c.first))
			botText := `[...window.__hanboxWidget.root.querySelectorAll('.m.bot .b')].map(e => e.textContent)`
			b.poll("greeting and name question", fmt.Sprintf(`JSON.stringify(%s) === JSON.stringify([%q, %q])`, botText, c.greeting, c.askName), botText)
			label := b.eval(`window.__hanboxWidget.root.querySelector('.m.bot .who').textContent`)
			if want := map[string]string{"ko": "자동 안내", "en": "Assistant"}[c.lang]; label != want {
				t.Fatalf("bot label %q, want %q", label, want)
			}
			if got := b.eval(`[...window.__hanboxWidget.root.querySelectorAll('.m.bot .qr button')].map(e => e.textContent).join('|')`); got != c.human {
				t.Fatalf("buttons under the name question: %q", got)
			}
			b.eval(fmt.Sprintf(`window.__hanboxWidget.send(%q), 'ok'`, c.name))
			b.poll("department buttons", fmt.Sprintf(`[...window.__hanboxWidget.root.querySelectorAll('.m.bot .qr button')].some(e => e.textContent === %q)`, c.dept))
			b.eval(fmt.Sprintf(`[...window.__hanboxWidget.root.querySelectorAll('.m.bot .qr button')].find(e => e.textContent === %q).click(), 'ok'`, c.dept))
			b.poll("handoff", fmt.Sprintf(`%s.includes(%q)`, botText, c.handedOff))
			h.env.Eventually("ticket filed to the shipping team and assigned", func() bool {
				ts := h.env.Tickets()
				return len(ts) == 1 && ts[0].TeamID != nil && *ts[0].TeamID == shipping.ID && ts[0].AssigneeID != nil && *ts[0].AssigneeID == agent.ID
			})
			tk := h.env.Tickets()[0]
			var ct store.Contact
			if err := h.env.Store.DB.Take(&ct, tk.ContactID).Error; err != nil || ct.Name != c.name {
				t.Fatalf("contact name %q (%v), want %q", ct.Name, err, c.name)
			}
			if n := b.eval(`String(window.__hanboxWidget.root.querySelectorAll('.m.bot .qr').length)`); n != "0" {
				t.Fatalf("answered questions still show %s button rows", n)
			}
			before := b.eval(`JSON.stringify(` + botText + `)`)

			// Reconnect: the same bot messages, once each, and no buttons.
			if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
				t.Fatal(err)
			}
			b.poll("widget reconnected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
			b.poll("history", fmt.Sprintf(`%s.includes(%q)`, botText, c.handedOff))
			if after := b.eval(`JSON.stringify(` + botText + `)`); after != before {
				t.Fatalf("bot messages after reload:\n%s\nwant\n%s", after, before)
			}
			if n := b.eval(`String(window.__hanboxWidget.root.querySelectorAll('.m.bot .qr').length)`); n != "0" {
				t.Fatalf("answered buttons came back after reload: %s", n)
			}
			var stored int64
			h.env.Store.DB.Model(&store.Message{}).Where("ticket_id = ? AND author_type = ? AND direction = ?", tk.ID, store.AuthorBot, store.DirOutbound).Count(&stored)
			if stored != 4 {
				t.Fatalf("stored bot messages = %d, want 4 (greeting, name, department, handoff)", stored)
			}
		})
	}
}

// TestBrowserHelpTab: in Korean and in English, the visitor opens the help
// tab, types, sees matching published articles (never a draft), reads one
// inside the widget and says it answered their question (one self-served
// visit is stored); on another article they say no, the chat opens with the
// article attached, and their message carries it to the agent.
func TestBrowserHelpTab(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	cases := []struct {
		lang, query, yesTitle, noTitle, draft, ask, glad, about, msg string
	}{
		{lang: "ko", query: "배송", yesTitle: "배송 기간 안내", noTitle: "해외 배송 안내", draft: "배송 초안 문서", ask: "이 문서로 궁금한 점이 해결되었나요?",
			glad: "도움이 되어 기쁩니다!", about: "읽던 문서: ", msg: "해외 배송도 되나요?"},
		{lang: "en", query: "shipping", yesTitle: "Shipping times", noTitle: "International shipping", draft: "Shipping draft", ask: "Did this answer your question?",
			glad: "Glad it helped!", about: "About: ", msg: "Do you ship to Canada?"},
	}
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			site, pageHTML := hostSite(t)
			h := newHarness(t, "sqlite", siteSettings(t, site.URL, c.lang))
			h.kb = helpAPI(h)
			*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
			ctx := context.Background()
			k := kb.New(h.env.Store)
			article := func(title, body, status string) *store.KBArticle {
				a, err := k.Create(ctx, kb.Input{Title: &title, Body: &body, Locale: &c.lang, Status: &status}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			yes := article(c.yesTitle, "**2~3일** / **2-3 days** <script>document.title='pwned'</script>", store.KBPublished)
			no := article(c.noTitle, "Overseas / 해외", store.KBPublished)
			article(c.draft, "draft", store.KBDraft)
			// The rest of a small shop's help center, so a search word is
			// as telling as in a real one.
			for i, topic := range []string{"환불 refund", "결제 payment", "회원 가입 account", "쿠폰 coupon", "교환 exchange", "영수증 receipt", "포인트 points", "비밀번호 password"} {
				article(fmt.Sprintf("%s %d", topic, i), topic+" "+topic, store.KBPublished)
			}

			b := newBrowser(t)
			if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/")); err != nil {
				t.Fatal(err)
			}
			b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
			b.eval(`window.__hanboxWidget.open(), 'ok'`)
			tabs := b.eval(`[...window.__hanboxWidget.root.querySelectorAll('.tabs button')].map(e => e.textContent).join('|')`)
			if want := map[string]string{"ko": "채팅|도움말", "en": "Chat|Help"}[c.lang]; tabs != want {
				t.Fatalf("tabs %q, want %q", tabs, want)
			}
			b.eval(`window.__hanboxWidget.root.querySelector('.tabs button[data-tab="help"]').click(), 'ok'`)
			b.eval(fmt.Sprintf(`(() => { const q = window.__hanboxWidget.root.querySelector('.helpv input'); q.value = %q; q.dispatchEvent(new Event('input')); return 'ok'; })()`, c.query))
			results := `[...window.__hanboxWidget.root.querySelectorAll('.hres button')].map(e => e.textContent)`
			b.poll("results", fmt.Sprintf(`%s.length === 2`, results))
			if got := b.eval(`JSON.stringify(` + results + `.sort())`); strings.Contains(got, c.draft) {
				t.Fatalf("a draft is offered: %s", got)
			}
			b.eval(fmt.Sprintf(`window.__hanboxWidget.root.querySelector('.hres button[data-article="%d"]').click(), 'ok'`, yes.ID))
			b.poll("article shown", fmt.Sprintf(`(() => { const a = window.__hanboxWidget.root.querySelector('.art:not(.hidden)'); return !!a && a.querySelector('h2').textContent === %q && !!a.querySelector('.body strong'); })()`, c.yesTitle))
			if got := b.eval(`window.__hanboxWidget.root.querySelector('.art .ask span').textContent + '|' + window.__hanboxWidget.root.querySelectorAll('.art script').length + '|' + document.title`); got != c.ask+"|0|" && !strings.HasPrefix(got, c.ask+"|0|") || strings.Contains(got, "pwned") {
				t.Fatalf("question / sanitizing: %q", got)
			}
			b.eval(`window.__hanboxWidget.root.querySelector('.art .ask .yes').click(), 'ok'`)
			b.poll("thanks", fmt.Sprintf(`(window.__hanboxWidget.root.querySelector('.art .glad') || {}).textContent === %q`, c.glad))
			h.env.Eventually("self-served visit stored", func() bool {
				n, _, err := h.env.Store.SelfServed(ctx, time.Time{}, time.Time{})
				return err == nil && n == 1
			})
			if len(h.env.Tickets()) != 0 {
				t.Fatal("a self-served visit opened a ticket")
			}

			// "No": back to the results, the other article, then the chat.
			b.eval(`window.__hanboxWidget.root.querySelector('.art .hback').click(), 'ok'`)
			b.eval(fmt.Sprintf(`window.__hanboxWidget.root.querySelector('.hres button[data-article="%d"]').click(), 'ok'`, no.ID))
			b.poll("second article", fmt.Sprintf(`(window.__hanboxWidget.root.querySelector('.art h2') || {}).textContent === %q`, c.noTitle))
			b.eval(`window.__hanboxWidget.root.querySelector('.art .ask .no').click(), 'ok'`)
			b.poll("chat with the article attached", fmt.Sprintf(`!window.__hanboxWidget.root.querySelector('.chatv').classList.contains('hidden') &&
				(window.__hanboxWidget.root.querySelector('.ctx:not(.hidden) span') || {}).textContent === %q`, c.about+c.noTitle))
			b.eval(fmt.Sprintf(`window.__hanboxWidget.send(%q), 'ok'`, c.msg))
			h.env.Eventually("ticket", func() bool { return len(h.env.Tickets()) == 1 })
			msgs := h.env.Messages(h.env.Tickets()[0].ID)
			if len(msgs) == 0 || msgs[0].Text != c.msg {
				t.Fatalf("messages %+v", msgs)
			}
			ref, _ := msgs[0].Meta["kb_article"].(map[string]any)
			if ref == nil || ref["title"] != c.noTitle || ref["id"] != float64(no.ID) {
				t.Fatalf("article on the message: %v", msgs[0].Meta["kb_article"])
			}
			if n := b.eval(`String(window.__hanboxWidget.root.querySelectorAll('.ctx:not(.hidden)').length)`); n != "0" {
				t.Fatal("the article stays attached after sending")
			}
		})
	}
}
