package ui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// seedDemo fills the inbox with a realistic mix of tickets across channels.
func seedDemo(t *testing.T, e *testEnv) {
	t.Helper()
	ctx := e.ctx
	kinds := map[string]int64{"api": e.chanID}
	for _, c := range []struct{ kind, name string }{{"email", "support@shop.example"}, {"widget", "Website chat"}, {"slack", "Slack #vip"}, {"discord", "Discord"}} {
		ch := store.Channel{Kind: c.kind, Name: c.name, PublicKey: inbox.NewPublicID(), Enabled: false, Settings: store.JSONMap{}, Secrets: store.JSONMap{}}
		if err := e.srv.Store.DB.WithContext(ctx).Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
		// gorm writes the column default (true) for a false bool on create.
		if err := e.srv.Store.DB.WithContext(ctx).Model(&ch).Update("enabled", false).Error; err != nil {
			t.Fatal(err)
		}
		kinds[c.kind] = ch.ID
	}
	admin := agentID(t, e, "admin@example.com")
	demo := []struct {
		kind, name, email, subject, text string
		assign                           bool
		tags                             []string
		prio, status                     string
	}{
		{"email", "김민지", "minji@example.com", "배송이 아직 안 왔어요", "지난주 월요일에 주문했는데 아직 배송 조회가 안 됩니다. 확인 부탁드려요.", true, []string{"배송"}, "high", ""},
		{"widget", "이서준", "", "결제 오류 문의", "카드 결제를 하려고 하는데 계속 오류가 납니다. 다른 카드도 안 돼요.", false, nil, "urgent", ""},
		{"email", "Emma Clark", "emma@clark.example", "Refund for order #44817", "Hi, the jacket arrived in the wrong size. Could I get a refund instead of an exchange?", false, []string{"refund"}, "", ""},
		{"slack", "박지훈", "", "B2B 대량 주문 견적", "다음 달에 300개 정도 주문하려고 합니다. 견적서를 받을 수 있을까요?", true, []string{"b2b", "견적"}, "", ""},
		{"api", "최유나", "yuna@example.com", "회원 탈퇴 요청", "계정을 삭제하고 싶습니다. 개인정보도 모두 지워 주세요.", false, nil, "", ""},
		{"discord", "Lucas", "", "Discount code not working", "The code SPRING24 says it's expired but the banner says it runs until Sunday.", false, []string{"promo"}, "", ""},
		{"widget", "정하은", "", "사이즈 교환 가능한가요?", "M 사이즈를 샀는데 조금 작아요. L로 교환할 수 있나요?", true, []string{"교환"}, "", "pending"},
		{"email", "Noah Kim", "noah@kim.example", "Invoice needed for company expenses", "Could you send a tax invoice for order #44790 addressed to our company?", false, nil, "low", ""},
		{"api", "한도윤", "", "앱 로그인이 안 돼요", "업데이트 후 앱에서 로그인이 안 됩니다. 비밀번호는 맞아요.", false, []string{"앱"}, "", ""},
		{"email", "윤서연", "seoyeon@example.com", "선물 포장 요청", "주문 번호 44802 선물 포장해 주실 수 있나요? 메시지 카드도 넣어 주세요.", false, nil, "", ""},
	}
	for i, d := range demo {
		ref := inbox.ContactRef{Kind: inbox.IdentityAPI, ID: fmt.Sprintf("demo/%d", i), Verified: true, Name: d.name, Email: d.email}
		if d.email != "" && d.kind == "email" {
			ref = inbox.ContactRef{Kind: inbox.IdentityEmail, ID: d.email, Verified: true, Name: d.name}
		}
		res, err := e.srv.Inbox.Ingest(ctx, &inbox.Inbound{ChannelID: kinds[d.kind], ExternalID: fmt.Sprintf("demo-%d", i), Subject: d.subject,
			Text: d.text, Contact: ref, SentAt: time.Now().Add(-time.Duration(len(demo)-i) * 37 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		p := inbox.TicketPatch{}
		if d.assign {
			p.AssigneeID = &admin
		}
		if len(d.tags) > 0 {
			p.AddTags = d.tags
		}
		if d.prio != "" {
			p.Priority = &d.prio
		}
		if d.status != "" {
			p.Status = &d.status
		}
		if _, err := e.srv.Inbox.UpdateTicket(ctx, res.TicketID, admin, p); err != nil {
			t.Fatal(err)
		}
		// Spread the activity over the last hours, as a real inbox has it.
		at := time.Now().UTC().Add(-time.Duration(len(demo)-i) * 23 * time.Minute)
		if err := e.srv.Store.DB.WithContext(ctx).Model(&store.Ticket{}).Where("id = ?", res.TicketID).
			Updates(map[string]any{"last_message_at": at, "last_customer_at": at}).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserLayout renders a full inbox in Korean at laptop and phone widths:
// nothing may overflow sideways. With HANBOX_SCREENSHOTS set it also
// refreshes docs/inbox.png.
func TestBrowserLayout(t *testing.T) {
	e := newEnv(t, store.SQLite)
	seedDemo(t, e)
	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	shots := shotDir(t)
	a.do("korean", chromedp.Navigate(e.ts.URL+"/lang/ko?next=/"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
	if got := a.text("#list-title"); got != "진행 중" {
		t.Fatalf("list title %q, want Korean", got)
	}
	if n := eval[int](a, `document.querySelectorAll('#ticket-list .trow').length`); n != 9 {
		t.Fatalf("%d open tickets listed, want 9", n)
	}
	for _, w := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"laptop", 1366, 860, false}, {"phone", 390, 844, true}} {
		a.do("viewport "+w.name, chromedp.EmulateViewport(w.width, w.height), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("ticket-list")))
		for _, p := range []string{"/", "/tickets/" + firstTicket(t, e), "/admin/channels"} {
			a.do("open "+p, chromedp.Navigate(e.ts.URL+p), chromedp.WaitVisible(chromedp.ID("main")))
			if over := eval[bool](a, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
				t.Errorf("%s at %s: the page overflows sideways (%d > %d)", p, w.name,
					eval[int](a, `document.documentElement.scrollWidth`), eval[int](a, `window.innerWidth`))
			}
		}
		a.do("inbox "+w.name, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("ticket-list")))
		a.do("cursor", chromedp.KeyEvent("j"))
		p := a.screenshot(shots, "inbox-"+w.name+".png")
		if w.name == "laptop" && os.Getenv("HANBOX_SCREENSHOTS") != "" {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "docs", "inbox.png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func firstTicket(t *testing.T, e *testEnv) string {
	var tk store.Ticket
	if err := e.srv.Store.DB.Order("id").First(&tk).Error; err != nil {
		t.Fatal(err)
	}
	return tk.PublicID
}
