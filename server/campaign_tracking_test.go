package server_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/smtp"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestCampaignEmailTracking is click and open tracking over a real SMTP
// session: a campaign email's links point at Hanbox's signed redirect and
// its HTML carries the open image. Following a link from the parsed mail
// redirects to exactly that link and counts one click (and seen) however
// often it is followed; the image counts seen; a token whose target or
// signature was changed is a 404, never a redirect; a campaign with open
// tracking off carries no image.
func TestCampaignEmailTracking(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts, mx, listen := newShopMail(t, d)
			first := "From: Minji <minji@customer.test>\r\nTo: hello@shop.test\r\nSubject: 문의\r\nMessage-ID: <first@customer.test>\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n안녕하세요\r\n"
			if err := smtp.SendMail(listen, nil, "minji@customer.test", []string{"hello@shop.test"}, []byte(first)); err != nil {
				t.Fatal(err)
			}
			waitLong(t, "the contact", func() bool {
				var n int64
				ts.srv.Store.DB.Model(&store.Identity{}).Where("kind = ? AND value = ?", "email", "minji@customer.test").Count(&n)
				return n == 1
			})

			const cart = "https://shop.test/cart?id=7&src=mail"
			const help = "https://shop.test/도움말"
			campaign := func(name, event string, opens bool) int64 {
				var c struct {
					ID int64 `json:"id"`
				}
				ts.do("POST", "/api/v1/campaigns", "", map[string]any{"name": name, "enabled": true, "channel": "email",
					"trigger": "event", "trigger_config": map[string]any{"event": event}, "track_opens": opens,
					"subject_ko": "장바구니", "body_ko": "담아 두신 상품: " + cart + ". 다른 곳: (" + help + ")",
					"quiet_start": "00:00", "quiet_end": "00:00", "cap_days": 0}, 201, &c)
				return c.ID
			}
			mailOf := func(id int64) (text, html string) {
				var raw []byte
				waitLong(t, "the campaign mail", func() bool {
					var send store.CampaignSend
					if ts.srv.Store.DB.Where("campaign_id = ?", id).Take(&send).Error != nil {
						return false
					}
					mx.mu.Lock()
					defer mx.mu.Unlock()
					for _, m := range mx.msgs {
						if strings.Contains(string(m), "X-Hanbox-Campaign: "+send.PublicID) {
							raw = m
							return true
						}
					}
					return false
				})
				return mailParts(t, raw)
			}
			stats := func(id int64) map[string]int64 {
				var c struct {
					Stats map[string]int64 `json:"stats"`
				}
				ts.do("GET", "/api/v1/campaigns/"+strconv.FormatInt(id, 10), "", nil, 200, &c)
				return c.Stats
			}
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			get := func(u string) *http.Response {
				t.Helper()
				resp, err := noFollow.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp
			}

			camp := campaign("장바구니 추적", "cart_added", true)
			ts.do("POST", "/api/v1/contacts/minji@customer.test/events", "", map[string]any{"name": "cart_added"}, 201, nil)
			text, html := mailOf(camp)
			// The HTML part shows each link as written and points it at /r/.
			m := regexp.MustCompile(`<a href="([^"]+)">([^<]+)</a>`).FindAllStringSubmatch(html, -1)
			var tracked []string
			for _, a := range m {
				if strings.Contains(a[1], "/r/") {
					tracked = append(tracked, strings.ReplaceAll(a[1], "&amp;", "&"))
					if want := []string{strings.ReplaceAll(cart, "&", "&amp;"), help}[min(len(tracked)-1, 1)]; a[2] != want || len(tracked) > 2 {
						t.Errorf("link %d text %q, want %q", len(tracked), a[2], want)
					}
				}
			}
			if len(tracked) != 2 || !strings.HasPrefix(tracked[0], ts.http.URL+"/r/") {
				t.Fatalf("tracked links %q in\n%s", tracked, html)
			}
			if !strings.Contains(text, tracked[0]+". 다른 곳: ("+tracked[1]+")") || strings.Contains(text, cart) {
				t.Errorf("text part:\n%s", text)
			}
			pix := regexp.MustCompile(`<img src="([^"]+)" width="1" height="1"`).FindStringSubmatch(html)
			if pix == nil || !strings.HasPrefix(pix[1], ts.http.URL+"/o/") {
				t.Fatalf("no open image in\n%s", html)
			}
			if s := stats(camp); s["seen"] != 0 || s["clicked"] != 0 {
				t.Fatalf("stats before reading %v", s)
			}

			// The image counts seen (twice is once), and is a GIF.
			for range 2 {
				if resp := get(pix[1]); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/gif" {
					t.Fatalf("open image: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
				}
			}
			if s := stats(camp); s["seen"] != 1 || s["clicked"] != 0 {
				t.Fatalf("stats after opening %v", s)
			}

			// Each link redirects to exactly its URL; three clicks are one.
			// (The Korean path comes percent-encoded, as HTTP wants.)
			for i, want := range []string{cart, cart, help} {
				resp := get(tracked[min(i/2, 1)])
				loc := resp.Header.Get("Location")
				if i == 2 {
					loc, _ = url.PathUnescape(loc)
				}
				if resp.StatusCode != http.StatusSeeOther || loc != want {
					t.Fatalf("click %d: %d to %q, want %q", i, resp.StatusCode, resp.Header.Get("Location"), want)
				}
			}
			var send store.CampaignSend
			if err := ts.srv.Store.DB.Where("campaign_id = ?", camp).Take(&send).Error; err != nil {
				t.Fatal(err)
			}
			clickedAt := send.ClickedAt
			if s := stats(camp); s["clicked"] != 1 || s["seen"] != 1 || s["sent"] != 1 || clickedAt == nil {
				t.Fatalf("stats after clicking %v (clicked at %v)", s, clickedAt)
			}

			// Tampered tokens: another target under the same signature, a
			// changed signature, an open token used as a click, garbage.
			tok := strings.TrimPrefix(tracked[0], ts.http.URL+"/r/")
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("token %q", tok)
			}
			evil := base64.RawURLEncoding.EncodeToString([]byte("https://evil.test/"))
			mac := []byte(parts[2])
			mac[0] ^= 1
			openTok := strings.TrimPrefix(pix[1], ts.http.URL+"/o/")
			for name, bad := range map[string]string{
				"other target":   parts[0] + "." + evil + "." + parts[2],
				"other send":     "aaaaaaaaaaaaaaaaaaaaaaaaaa." + parts[1] + "." + parts[2],
				"changed mac":    parts[0] + "." + parts[1] + "." + string(mac),
				"open as click":  openTok,
				"no signature":   parts[0] + "." + parts[1],
				"not a token at": "https:%2F%2Fevil.test",
			} {
				resp := get(ts.http.URL + "/r/" + bad)
				if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
					t.Errorf("%s: %d to %q", name, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			// A changed open token counts nothing (and still answers the
			// image: a mail app shows nothing either way).
			if err := ts.srv.Store.DB.Model(&store.CampaignSend{}).Where("id = ?", send.ID).Update("seen_at", nil).Error; err != nil {
				t.Fatal(err)
			}
			if resp := get(pix[1] + "x"); resp.StatusCode != 200 {
				t.Fatalf("changed open token: %d", resp.StatusCode)
			}
			if s := stats(camp); s["seen"] != 0 || s["clicked"] != 1 {
				t.Fatalf("stats after a changed open token %v", s)
			}
			if err := ts.srv.Store.DB.Where("id = ?", send.ID).Take(&send).Error; err != nil || !send.ClickedAt.Equal(*clickedAt) {
				t.Fatalf("clicked at %v, was %v (%v)", send.ClickedAt, clickedAt, err)
			}

			// Open tracking off: links still tracked, no image.
			quiet := campaign("열람 집계 안 함", "wishlist_added", false)
			ts.do("POST", "/api/v1/contacts/minji@customer.test/events", "", map[string]any{"name": "wishlist_added"}, 201, nil)
			_, html = mailOf(quiet)
			if strings.Contains(html, "<img") || strings.Contains(html, "/o/") || !strings.Contains(html, `href="`+ts.http.URL+"/r/") {
				t.Fatalf("open tracking off:\n%s", html)
			}
			var cj struct {
				TrackOpens bool `json:"track_opens"`
			}
			ts.do("GET", "/api/v1/campaigns/"+strconv.FormatInt(quiet, 10), "", nil, 200, &cj)
			if cj.TrackOpens {
				t.Fatal("track_opens reads true")
			}
		})
	}
}
