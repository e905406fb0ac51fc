package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserMentionPickerTeam: on a ticket of a restricted team the @
// picker offers only the agents who can see it (the team's members and
// admins, as GET /tickets/{id}/mentionable says and as the server filters
// mentions); an agent outside the team is not offered, and a note that
// names them anyway through the API mentions nobody outside.
func TestBrowserMentionPickerTeam(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	e := newEnv(t, store.SQLite)
	for _, a := range []struct{ email, name string }{{"lee@example.com", "이서연"}, {"park@example.com", "이준호"}} {
		if err := auth.CreateAgent(e.ctx, e.srv.Store, a.email, a.name, store.RoleAgent, "agent-password"); err != nil {
			t.Fatal(err)
		}
	}
	lee, park := agentID(t, e, "lee@example.com"), agentID(t, e, "park@example.com")
	e.call("POST", "/api/v1/teams", e.adminTok, map[string]any{"name_ko": "결제팀", "name_en": "Billing", "restricted": true,
		"channel_ids": []int64{e.chanID}, "member_ids": []int64{lee}}, http.StatusCreated, nil)
	pid := e.ingest(map[string]any{"external_id": "mp1", "subject": "결제 오류", "text": "카드 결제가 안 돼요",
		"contact": map[string]any{"external_id": "mp-c1", "name": "김민지"}})
	tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
	if err != nil || tk.TeamID == nil {
		t.Fatalf("ticket not in the team: %+v %v", tk, err)
	}

	var list struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	e.call("GET", "/api/v1/tickets/"+pid+"/mentionable", e.adminTok, nil, http.StatusOK, &list)
	var names []string
	for _, it := range list.Items {
		names = append(names, it.Name)
	}
	if got := strings.Join(names, ","); !strings.Contains(got, "이서연") || strings.Contains(got, "이준호") {
		t.Fatalf("mentionable = %s", got)
	}

	bctx := browser(t)
	a := newTab(t, bctx)
	a.login(e.ts.URL, "admin@example.com", "admin-password")
	a.do("ticket", chromedp.Navigate(e.ts.URL+"/tickets/"+pid), chromedp.WaitVisible(chromedp.ID("composer")))
	a.ready()
	a.waitJS("suggestions loaded", `document.getElementById('composer').dataset.suggest === 'ready'`)
	a.do("note mode", chromedp.Click(chromedp.CSS(`input[name=mode][value=note]`)), chromedp.Click(chromedp.ID("body")))
	a.do("type @이", chromedp.SendKeys(chromedp.ID("body"), "봐 주세요 @이"))
	a.waitJS("suggestion shown", `!document.getElementById('suggest').hidden && document.getElementById('suggest').textContent.includes('이서연')`)
	if got := a.text("#suggest"); strings.Contains(got, "이준호") {
		t.Fatalf("the picker offers an agent outside the restricted team: %q", got)
	}

	// Named anyway through the API: the server drops the outsider.
	var msg struct {
		ID int64 `json:"id"`
	}
	e.call("POST", "/api/v1/tickets/"+pid+"/notes", e.adminTok, map[string]any{"text": "둘 다 봐 주세요", "mentions": []int64{lee, park}}, http.StatusCreated, &msg)
	var mentioned []int64
	if err := e.srv.Store.DB.Model(&store.Mention{}).Where("ticket_id = ?", tk.ID).Pluck("agent_id", &mentioned).Error; err != nil || len(mentioned) != 1 || mentioned[0] != lee {
		t.Fatalf("mentions %v %v, want [%d]", mentioned, err, lee)
	}
}
