package widget

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// TestBrowserQueuePlace: a visitor writing while nobody in the team is
// online reads their place in the queue in the widget's header, in Korean
// and in English; once an agent takes the chat the line goes.
func TestBrowserQueuePlace(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	for _, c := range []struct{ locale, first, second string }{
		{"ko", "대기 순서: 1번째입니다.", "대기 순서: 2번째입니다."},
		{"en", "You are number 1 in the queue.", "You are number 2 in the queue."},
	} {
		t.Run(c.locale, func(t *testing.T) {
			site, pageHTML := hostSite(t)
			settings := siteSettings(t, site.URL, c.locale)
			settings["allowed_origins"] = []any{site.URL, testOrigin} // the other visitor's site too
			h := newHarness(t, "sqlite", settings)
			*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
			ctx := context.Background()
			agent := h.env.Agent("jisoo@support.example", "Jisoo")
			on := true
			ko, en := "상담팀", "Support"
			if _, err := h.env.Inbox.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en, AutoAssign: &on,
				ChannelIDs: &[]int64{h.ch.ID}, MemberIDs: &[]int64{agent.ID}}); err != nil {
				t.Fatal(err)
			}
			// Someone else is already waiting (a chat from another visitor).
			other := h.session(SessionRequest{})
			h.mustDial(other.SessionToken, "").ask("o-1", "먼저 문의합니다", 1)

			b := newBrowser(t)
			if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/pricing")); err != nil {
				t.Fatalf("navigate: %v", err)
			}
			b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
			b.eval(`window.__hanboxWidget.send('결제 문의드립니다'), 'ok'`)
			const status = `window.__hanboxWidget.root.querySelector('.head .s').textContent`
			b.poll("second in the queue", fmt.Sprintf(`%s === %q`, status, c.second))
			// The chat ahead gets an agent: this one moves up.
			first := h.env.Tickets()[0]
			if _, err := h.env.Inbox.UpdateTicket(ctx, first.ID, 0, inbox.TicketPatch{AssigneeID: &agent.ID}); err != nil {
				t.Fatal(err)
			}
			b.poll("first in the queue", fmt.Sprintf(`%s === %q`, status, c.first))
			mine := h.env.Tickets()[1]
			if _, err := h.env.Inbox.UpdateTicket(ctx, mine.ID, 0, inbox.TicketPatch{AssigneeID: &agent.ID}); err != nil {
				t.Fatal(err)
			}
			b.poll("no longer waiting", fmt.Sprintf(`!%s.includes(%q) && !%s.includes(%q)`, status, "대기 순서", status, "queue"))
		})
	}
}

// TestBrowserQueueWait: with an agent of the team online and five recent
// first responses ten minutes apart, a waiting visitor reads their place
// and the expected wait (two places: about 20 minutes), in Korean and in
// English; one place up, it halves.
func TestBrowserQueueWait(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromiumPath(t)
	for _, c := range []struct{ locale, first, second string }{
		{"ko", "대기 순서: 1번째입니다. 약 10분 안에 상담원이 답변할 예정입니다.", "대기 순서: 2번째입니다. 약 20분 안에 상담원이 답변할 예정입니다."},
		{"en", "You are number 1 in the queue; an agent should answer in about 10 min.", "You are number 2 in the queue; an agent should answer in about 20 min."},
	} {
		t.Run(c.locale, func(t *testing.T) {
			site, pageHTML := hostSite(t)
			settings := siteSettings(t, site.URL, c.locale)
			settings["allowed_origins"] = []any{site.URL, testOrigin}
			h := newHarness(t, "sqlite", settings)
			*pageHTML = fmt.Sprintf(hostPage, h.srv.URL, h.ch.PublicKey)
			ctx := context.Background()
			agent := h.env.Agent("jisoo@support.example", "Jisoo")
			on := true
			ko, en := "상담팀", "Support"
			team, err := h.env.Inbox.CreateTeam(ctx, 0, inbox.TeamInput{NameKo: &ko, NameEn: &en, AutoAssign: &on,
				ChannelIDs: &[]int64{h.ch.ID}, MemberIDs: &[]int64{agent.ID}})
			if err != nil {
				t.Fatal(err)
			}
			// Online but nobody assigns here (no routing consumer in the
			// harness): the chats wait, and the team's pace is known.
			if _, err := h.env.Inbox.SetAvailability(ctx, agent.ID, inbox.AvailabilityOnline); err != nil {
				t.Fatal(err)
			}
			answered(t, h, team.ID, []int{5, 15, 25, 35, 45})
			other := h.session(SessionRequest{})
			h.mustDial(other.SessionToken, "").ask("o-1", "먼저 문의합니다", 1)

			b := newBrowser(t)
			if err := chromedp.Do(b.ctx, chromedp.Navigate(site.URL+"/pricing")); err != nil {
				t.Fatalf("navigate: %v", err)
			}
			b.poll("widget connected", `window.__hanboxWidget && window.__hanboxWidget.state.wsOpen === true`)
			b.eval(`window.__hanboxWidget.send('결제 문의드립니다'), 'ok'`)
			const status = `window.__hanboxWidget.root.querySelector('.head .s').textContent`
			b.poll("second in the queue, about 20 minutes", fmt.Sprintf(`%s === %q`, status, c.second))
			var waiting []int64
			for _, tk := range h.env.Tickets() {
				if tk.Status == store.StatusOpen {
					waiting = append(waiting, tk.ID)
				}
			}
			if len(waiting) != 2 {
				t.Fatalf("%d waiting tickets", len(waiting))
			}
			if _, err := h.env.Inbox.UpdateTicket(ctx, waiting[0], 0, inbox.TicketPatch{AssigneeID: &agent.ID}); err != nil {
				t.Fatal(err)
			}
			b.poll("first in the queue, about 10 minutes", fmt.Sprintf(`%s === %q`, status, c.first))
		})
	}
}

// answered files resolved tickets of team whose first responses came the
// given minutes ago: the team's recent pace.
func answered(t *testing.T, h *harness, teamID int64, minutesAgo []int) {
	t.Helper()
	db := h.env.Store.DB
	contact := store.Contact{Name: "지난 고객"}
	if err := db.Create(&contact).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	for _, m := range minutesAgo {
		at := now.Add(-time.Duration(m) * time.Minute)
		tk := store.Ticket{PublicID: inbox.NewPublicID(), ReplyToken: inbox.NewPublicID(), Status: store.StatusResolved, Priority: store.PriorityNormal,
			TeamID: &teamID, ContactID: contact.ID, ChannelID: h.ch.ID, LastChannelID: h.ch.ID, LastMessageAt: at,
			FirstResponseAt: &at, CreatedAt: at.Add(-time.Minute), UpdatedAt: at}
		if err := db.Create(&tk).Error; err != nil {
			t.Fatal(err)
		}
	}
}
