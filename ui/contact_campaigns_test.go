package ui_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestContactTimelineCampaignSends: the contact page's timeline lists each
// campaign message sent to the customer (campaign name, channel, and what
// became of it: seen, clicked, replied), among the other entries by time,
// in Korean and English; another customer's sends are not there.
func TestContactTimelineCampaignSends(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			pub := e.ingest(map[string]any{"external_id": "m1", "thread_key": "m1", "contact": map[string]any{"external_id": "minji", "name": "김민지"},
				"text": "배송 문의"})
			other := e.ingest(map[string]any{"external_id": "o1", "thread_key": "o1", "contact": map[string]any{"external_id": "other", "name": "다른 고객"},
				"text": "문의"})
			tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pub)
			if err != nil {
				t.Fatal(err)
			}
			otk, _ := e.srv.Inbox.TicketByPublicID(e.ctx, other)
			db := e.srv.Store.DB
			mk := func(name, channel string) int64 {
				cp := store.Campaign{Name: name, Enabled: true, Channel: channel, TriggerKind: store.TriggerEvent, BodyKo: "본문"}
				if err := db.Create(&cp).Error; err != nil {
					t.Fatal(err)
				}
				return cp.ID
			}
			welcome, cart := mk("환영 <인사>", store.CampaignWidget), mk("장바구니 알림", store.CampaignEmail)
			base := tk.CreatedAt.Add(time.Hour)
			ts := func(h int) *time.Time { v := base.Add(time.Duration(h) * time.Hour); return &v }
			send := func(id, campaign, contact int64, channel string, at time.Time, mod func(*store.CampaignSend)) {
				sd := store.CampaignSend{PublicID: "s" + itoa(id), CampaignID: campaign, ContactID: contact, RoundKey: "once",
					Channel: channel, Status: store.SendDelivered, CreatedAt: at, UpdatedAt: at}
				if mod != nil {
					mod(&sd)
				}
				if err := db.Create(&sd).Error; err != nil {
					t.Fatal(err)
				}
			}
			send(1, welcome, tk.ContactID, store.CampaignWidget, *ts(0), func(s *store.CampaignSend) { s.SeenAt, s.ClickedAt = ts(1), ts(1) })
			send(2, cart, tk.ContactID, store.CampaignEmail, *ts(2), func(s *store.CampaignSend) { s.RepliedAt = ts(3) })
			send(3, cart, otk.ContactID, store.CampaignEmail, *ts(2), nil)

			page := func(lang string) string {
				t.Helper()
				req, _ := http.NewRequest("GET", e.ts.URL+"/contacts/"+itoa(tk.ContactID), nil)
				req.Header.Set("Accept-Language", lang)
				req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: e.adminTok})
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("contact page: %d", resp.StatusCode)
				}
				return string(b)
			}
			li := regexp.MustCompile(`(?s)<li class="(tl-[a-z]+)"[^>]*>(.*?)</li>`)
			for _, c := range []struct {
				lang  string
				wants [2][]string
			}{
				{"ko", [2][]string{{"라이프사이클 메시지", "장바구니 알림", "이메일", "답장"}, {"환영 &lt;인사&gt;", "위젯", "확인", "클릭"}}},
				{"en", [2][]string{{"Campaign message", "장바구니 알림", "Email", "Replied"}, {"환영 &lt;인사&gt;", "Widget", "Seen", "Clicked"}}},
			} {
				body := page(c.lang)
				var kinds []string
				var camps []string
				for _, m := range li.FindAllStringSubmatch(body, -1) {
					kinds = append(kinds, m[1])
					if m[1] == "tl-campaign" {
						camps = append(camps, m[2])
					}
				}
				if got := strings.Join(kinds, ","); got != "tl-campaign,tl-campaign,tl-ticket" {
					t.Fatalf("%s: timeline %q", c.lang, got)
				}
				for i, wants := range c.wants {
					for _, w := range wants {
						if !strings.Contains(camps[i], w) {
							t.Errorf("%s: campaign entry %d lacks %q: %s", c.lang, i, w, camps[i])
						}
					}
				}
				if strings.Contains(camps[0], `data-state="seen"`) || strings.Contains(camps[1], `data-state="replied"`) {
					t.Errorf("%s: states on the wrong entry: %q", c.lang, camps)
				}
				if strings.Contains(body, `data-campaign-send="s3"`) {
					t.Errorf("%s: another customer's send is listed", c.lang)
				}
			}
		})
	}
}
