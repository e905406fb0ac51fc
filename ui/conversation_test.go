package ui_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// convEnv is a test environment with two customers' tickets: Minji's (with a
// file, an agent reply, a note and a tag change), and Jun's (with a file)
// merged into hers.
type convEnv struct {
	*testEnv
	minji, jun *store.Ticket
	tok        string
	agentID    int64
}

func newConvEnv(t *testing.T, dialect string) *convEnv {
	t.Helper()
	e := newEnv(t, dialect)
	pngB64 := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
	mp := e.ingest(map[string]any{"external_id": "m1", "subject": "신발 교환", "text": "사이즈 교환이 되나요?",
		"contact":     map[string]any{"external_id": "cust-minji", "name": "김민지", "email": "minji@customer.test"},
		"attachments": []any{map[string]any{"name": "receipt.png", "content_type": "image/png", "data": pngB64}}})
	jp := e.ingest(map[string]any{"external_id": "j1", "subject": "환불", "text": "준의 비밀 환불 요청",
		"contact":     map[string]any{"external_id": "cust-jun", "name": "박준", "email": "jun@customer.test"},
		"attachments": []any{map[string]any{"name": "jun-id.png", "content_type": "image/png", "data": pngB64}}})
	ctx := e.ctx
	minji, err := e.srv.Inbox.TicketByPublicID(ctx, mp)
	if err != nil {
		t.Fatal(err)
	}
	jun, _ := e.srv.Inbox.TicketByPublicID(ctx, jp)
	var admin store.Agent
	e.srv.Store.DB.Where("email = ?", "admin@example.com").Take(&admin)
	e.call("POST", "/api/v1/tickets/"+mp+"/replies", e.adminTok, map[string]any{"text": "네, 교환해 드릴게요."}, http.StatusCreated, nil)
	e.call("POST", "/api/v1/tickets/"+mp+"/notes", e.adminTok, map[string]any{"text": "내부 메모: 블랙리스트 확인"}, http.StatusCreated, nil)
	e.call("PATCH", "/api/v1/tickets/"+mp, e.adminTok, map[string]any{"tags": []string{"vip-internal"}}, http.StatusOK, nil)
	e.call("POST", "/api/v1/tickets/"+mp+"/merge", e.adminTok, map[string]any{"from": jp}, http.StatusOK, nil)
	url, err := e.srv.Inbox.ConversationLink(ctx, minji.ID, "minji@customer.test")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(url, "/c/")
	return &convEnv{testEnv: e, minji: minji, jun: jun, tok: tok, agentID: admin.ID}
}

func (e *convEnv) page(path, lang string, cookies ...*http.Cookie) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *convEnv) attachmentIDs(ticketID int64) map[string]int64 {
	e.t.Helper()
	var atts []store.Attachment
	e.srv.Store.DB.Table("attachments").Select("attachments.*").Joins("JOIN messages ON messages.id = attachments.message_id").
		Where("messages.ticket_id = ?", ticketID).Find(&atts)
	out := map[string]int64{}
	for _, a := range atts {
		out[a.Name] = a.ID
	}
	return out
}

// The page renders the customer-visible thread without JavaScript, in
// Korean and English: the customer's message, its file and the agent's
// reply; never the note, the tag change, or the other customer's part of
// the merged ticket, in the HTML or its boot JSON.
func TestConversationPageShowsOnlyTheCustomersThread(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newConvEnv(t, d)
			for _, lc := range []struct{ lang, heading, you string }{{"ko", "상담 내역", "나"}, {"en", "Your conversation", "You"}} {
				resp, body := e.page("/c/"+e.tok, lc.lang)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d\n%s", lc.lang, resp.StatusCode, body)
				}
				for _, want := range []string{"사이즈 교환이 되나요?", "네, 교환해 드릴게요.", "receipt.png", "신발 교환", lc.heading, ">" + lc.you + "<"} {
					if !strings.Contains(body, want) {
						t.Errorf("%s: page lacks %q", lc.lang, want)
					}
				}
				for _, never := range []string{"내부 메모", "블랙리스트", "vip-internal", "준의 비밀", "jun-id.png", "박준", "merged"} {
					if strings.Contains(body, never) {
						t.Errorf("%s: page shows %q", lc.lang, never)
					}
				}
				if resp.Header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
					t.Errorf("headers %v", resp.Header)
				}
			}
		})
	}
}

// A link opens files of its own conversation only; expired, revoked and
// forged links open nothing; a second browser sees the forwarded warning.
func TestConversationPageLinkRules(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newConvEnv(t, d)
			atts := e.attachmentIDs(e.minji.ID) // Jun's file is in Minji's ticket since the merge
			own, junFile := atts["receipt.png"], atts["jun-id.png"]
			if own == 0 || junFile == 0 {
				t.Fatalf("attachments %v", atts)
			}
			if resp, body := e.page("/c/"+e.tok+"/files/"+itoa(own)+"?download=1", ""); resp.StatusCode != http.StatusOK ||
				!strings.HasPrefix(body, "\x89PNG") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("own file: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
			}
			// Jun's file sits in the same ticket now, but it is not Minji's to see.
			if resp, _ := e.page("/c/"+e.tok+"/files/"+itoa(junFile), ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("the other customer's file: %d", resp.StatusCode)
			}
			// A link for Jun's (merged) ticket reads Jun's part, never Minji's files.
			jurl, _ := e.srv.Inbox.ConversationLink(e.ctx, e.jun.ID, "jun@customer.test")
			_, jtok, _ := strings.Cut(jurl, "/c/")
			if resp, _ := e.page("/c/"+jtok+"/files/"+itoa(own), ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("ticket B's link opens ticket A's file: %d", resp.StatusCode)
			}
			if _, body := e.page("/c/"+jtok, "ko"); !strings.Contains(body, "준의 비밀 환불 요청") || strings.Contains(body, "사이즈 교환") {
				t.Errorf("Jun's page shows Minji's thread or not his own")
			}

			// The first browser to open the link is its device; another sees the warning.
			resp, body := e.page("/c/"+e.tok, "en")
			var device *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == "hanbox_device" {
					device = c
				}
			}
			if device == nil || !device.HttpOnly || strings.Contains(body, `id="forwarded"`) {
				t.Fatalf("first opening: cookie %+v, warning shown: %v", device, strings.Contains(body, `id="forwarded"`))
			}
			if _, body := e.page("/c/"+e.tok, "en", device); strings.Contains(body, `id="forwarded"`) {
				t.Error("the same browser got the forwarded warning")
			}
			_, body = e.page("/c/"+e.tok, "en")
			if !strings.Contains(body, `id="forwarded">This link was sent to mi***@customer.test`) || !strings.Contains(body, "사이즈 교환이 되나요?") {
				t.Errorf("another browser: no warning, or not the conversation")
			}

			// Forged, expired, revoked.
			if resp, body := e.page("/c/"+e.tok+"x", "en"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "This link does not work") {
				t.Errorf("forged: %d", resp.StatusCode)
			}
			links, _ := e.srv.Inbox.ConversationLinks(e.ctx, e.minji.ID)
			var minjiLink store.ConversationLink
			for _, l := range links {
				if l.TicketID == e.minji.ID {
					minjiLink = l
				}
			}
			e.srv.Store.DB.Model(&store.ConversationLink{}).Where("id = ?", minjiLink.ID).Update("expires_at", time.Now().Add(-time.Minute))
			if resp, body := e.page("/c/"+e.tok, "ko"); resp.StatusCode != http.StatusGone || !strings.Contains(body, "만료") || strings.Contains(body, "사이즈") {
				t.Errorf("expired: %d", resp.StatusCode)
			}
			if resp, _ := e.page("/c/"+e.tok+"/files/"+itoa(own), ""); resp.StatusCode != http.StatusGone {
				t.Errorf("expired link's file: %d", resp.StatusCode)
			}
			e.srv.Store.DB.Model(&store.ConversationLink{}).Where("id = ?", minjiLink.ID).Update("expires_at", time.Now().Add(time.Hour))
			// Agents see the link on the ticket and revoke it through the API.
			var list struct {
				Items []struct {
					ID            int64      `json:"id"`
					Recipient     string     `json:"recipient"`
					State         string     `json:"state"`
					OtherDeviceAt *time.Time `json:"other_device_at"`
				} `json:"items"`
			}
			e.call("GET", "/api/v1/tickets/"+e.minji.PublicID+"/links", e.adminTok, nil, http.StatusOK, &list)
			if len(list.Items) != 2 || list.Items[0].State != "live" {
				t.Fatalf("links %+v", list)
			}
			var mine int64
			for _, it := range list.Items {
				if it.Recipient == "minji@customer.test" {
					mine = it.ID
					if it.OtherDeviceAt == nil {
						t.Error("the opening in another browser is not recorded")
					}
				}
			}
			e.call("DELETE", "/api/v1/tickets/"+e.jun.PublicID+"/links/"+itoa(mine), e.adminTok, nil, http.StatusNotFound, nil)
			e.call("DELETE", "/api/v1/tickets/"+e.minji.PublicID+"/links/"+itoa(mine), e.adminTok, nil, http.StatusOK, nil)
			if resp, body := e.page("/c/"+e.tok, "en"); resp.StatusCode != http.StatusGone || !strings.Contains(body, "turned off") {
				t.Errorf("revoked: %d", resp.StatusCode)
			}
			// The agent's ticket page shows the links and the revoke button.
			_, tp := e.get("/tickets/"+e.minji.PublicID, e.adminTok)
			if !strings.Contains(tp, "jun@customer.test") || !strings.Contains(tp, `data-revoke-link="`) || !strings.Contains(tp, "minji@customer.test") {
				t.Errorf("ticket page lacks the links card")
			}
		})
	}
}

// An unmerge through the API gives each customer their own conversation
// back, on their pages too; unmerging again is refused.
func TestUnmergeRestoresPages(t *testing.T) {
	e := newConvEnv(t, store.SQLite)
	jurl, _ := e.srv.Inbox.ConversationLink(e.ctx, e.jun.ID, "jun@customer.test")
	_, jtok, _ := strings.Cut(jurl, "/c/")
	_, before := e.page("/c/"+jtok, "ko")
	if !strings.Contains(before, "준의 비밀 환불 요청") || strings.Contains(before, "사이즈 교환") {
		t.Fatalf("Jun's page before the unmerge")
	}
	_, tp := e.get("/tickets/"+e.jun.PublicID, e.adminTok)
	if !strings.Contains(tp, `data-action="unmerge"`) {
		t.Fatal("the merged ticket's page has no Unmerge button")
	}
	e.call("POST", "/api/v1/tickets/"+e.jun.PublicID+"/unmerge", e.adminTok, nil, http.StatusOK, nil)
	var tk struct {
		Status   string `json:"status"`
		Messages []struct {
			Text string `json:"text"`
		} `json:"messages"`
	}
	e.call("GET", "/api/v1/tickets/"+e.jun.PublicID, e.adminTok, nil, http.StatusOK, &tk)
	if tk.Status != "open" || len(tk.Messages) < 1 || !strings.Contains(tk.Messages[0].Text, "준의 비밀") {
		t.Fatalf("Jun's ticket after the unmerge: %+v", tk)
	}
	if _, after := e.page("/c/"+jtok, "ko"); !strings.Contains(after, "준의 비밀 환불 요청") {
		t.Error("Jun's page after the unmerge")
	}
	atts := e.attachmentIDs(e.jun.ID)
	if resp, _ := e.page("/c/"+jtok+"/files/"+itoa(atts["jun-id.png"]), ""); resp.StatusCode != http.StatusOK {
		t.Errorf("Jun's file on his page: %d", resp.StatusCode)
	}
	if _, mp := e.page("/c/"+e.tok, "ko"); strings.Contains(mp, "준의 비밀") || !strings.Contains(mp, "사이즈 교환") {
		t.Error("Minji's page after the unmerge")
	}
	e.call("POST", "/api/v1/tickets/"+e.jun.PublicID+"/unmerge", e.adminTok, nil, http.StatusUnprocessableEntity, nil)
}
