package api_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store/storetest"
)

// TestRestrictedTeamVisibility: a restricted team's tickets are seen by its
// members and admins only — in the ticket list and counts, search, the
// ticket itself and everything under it, the contact's ticket list,
// attachment downloads and the event stream; other agents get 404s and no
// events, and still see tickets of other teams.
func TestRestrictedTeamVisibility(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			agent := func(email, name string) (int64, string) {
				var a struct {
					ID int64 `json:"id"`
				}
				e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": email, "name": name, "password": "a long password"}, 201, &a)
				var login struct {
					Token string `json:"token"`
				}
				e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "a long password"}, 200, &login)
				return a.ID, login.Token
			}
			leeID, lee := agent("lee@example.com", "이멤버")
			_, kim := agent("kim@example.com", "김외부")
			var b2b teamOut
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "기업고객", "name_en": "B2B", "restricted": true,
				"channel_ids": []int64{e.chanID}, "member_ids": []int64{leeID}}, 201, &b2b)
			secret := e.ingest(map[string]any{"external_id": "s1", "contact": map[string]any{"external_id": "corp", "name": "비밀상사"}, "text": "계약 단가 문의 비밀"})
			// A ticket of no team stays visible to everyone.
			var open struct {
				ID     string `json:"id"`
				Number int64  `json:"number"`
			}
			e.call("PATCH", "/api/v1/teams/"+fmt.Sprint(b2b.ID), e.admin, map[string]any{"channel_ids": []int64{}}, 200, nil)
			public := e.ingest(map[string]any{"external_id": "p1", "contact": map[string]any{"external_id": "shop", "name": "일반고객"}, "text": "배송 문의 비밀"})
			e.call("GET", "/api/v1/tickets/"+public, kim, nil, 200, &open)

			// A note with a file on the secret ticket, by the member.
			var note struct {
				Attachments []struct {
					ID  int64  `json:"id"`
					URL string `json:"url"`
				} `json:"attachments"`
			}
			e.call("POST", "/api/v1/tickets/"+secret+"/notes", lee, map[string]any{"text": "단가표",
				"attachments": []map[string]string{{"name": "price.txt", "content_type": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("단가"))}}}, 201, &note)
			if len(note.Attachments) != 1 {
				t.Fatalf("note = %+v", note)
			}
			file := fmt.Sprintf("/api/v1/attachments/%d", note.Attachments[0].ID)

			list := func(token, query string) []string {
				var page struct {
					Items []ticketOut `json:"items"`
				}
				e.call("GET", "/api/v1/tickets"+query, token, nil, 200, &page)
				var ids []string
				for _, it := range page.Items {
					ids = append(ids, it.ID)
				}
				return ids
			}
			for _, c := range []struct {
				who, token string
				sees       bool
			}{{"member", lee, true}, {"admin", e.admin, true}, {"outsider", kim, false}} {
				got := list(c.token, "?status=all")
				has := strings.Contains(strings.Join(got, ","), secret)
				if has != c.sees || !strings.Contains(strings.Join(got, ","), public) {
					t.Fatalf("%s lists %v (secret %s seen: %v, want %v)", c.who, got, secret, has, c.sees)
				}
				got = list(c.token, "?status=all&q="+urlQuery("비밀"))
				if strings.Contains(strings.Join(got, ","), secret) != c.sees || len(got) != map[bool]int{true: 2, false: 1}[c.sees] {
					t.Fatalf("%s searches and finds %v", c.who, got)
				}
				want := 200
				if !c.sees {
					want = 404
				}
				e.call("GET", "/api/v1/tickets/"+secret, c.token, nil, want, nil)
				resp := e.raw("GET", file, c.token, "", nil)
				if resp.status != want {
					t.Fatalf("%s downloads the file: %d, want %d", c.who, resp.status, want)
				}
			}
			// Everything under the ticket is hidden from the outsider.
			for _, c := range []struct{ method, path string }{
				{"PATCH", "/api/v1/tickets/" + secret}, {"POST", "/api/v1/tickets/" + secret + "/notes"},
				{"POST", "/api/v1/tickets/" + secret + "/replies"}, {"GET", "/api/v1/tickets/" + secret + "/links"},
				{"POST", "/api/v1/tickets/" + secret + "/presence"},
			} {
				e.call(c.method, c.path, kim, map[string]any{"text": "x", "state": "viewing", "status": "resolved"}, 404, nil)
			}
			e.call("POST", "/api/v1/tickets/"+public+"/merge", kim, map[string]any{"from": secret}, 404, nil)
			var counts map[string]int64
			e.call("GET", "/api/v1/tickets/counts", kim, nil, 200, &counts)
			if counts["open"] != 1 {
				t.Fatalf("outsider counts %v", counts)
			}
			var contact struct {
				Tickets []ticketOut `json:"tickets"`
			}
			var full struct {
				Contact struct {
					ID int64 `json:"id"`
				} `json:"contact"`
			}
			e.call("GET", "/api/v1/tickets/"+secret, e.admin, nil, 200, &full)
			// A contact known only from the secret ticket is hidden too
			// (TestRestrictedContactVisibility has the rest).
			e.call("GET", fmt.Sprintf("/api/v1/contacts/%d", full.Contact.ID), kim, nil, 404, nil)
			e.call("GET", fmt.Sprintf("/api/v1/contacts/%d", full.Contact.ID), lee, nil, 200, &contact)
			if len(contact.Tickets) != 1 {
				t.Fatalf("member sees the contact's tickets %+v", contact.Tickets)
			}

			// The event stream: the outsider gets the public ticket's events, not the secret one's.
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+kim)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			if l := <-lines; !strings.HasPrefix(l, "retry:") {
				t.Fatalf("stream starts with %q", l)
			}
			var secretT struct {
				Number int64 `json:"number"`
			}
			e.call("GET", "/api/v1/tickets/"+secret, lee, nil, 200, &secretT)
			e.call("POST", "/api/v1/tickets/"+secret+"/notes", lee, map[string]any{"text": "내부 메모"}, 201, nil)
			e.call("POST", "/api/v1/tickets/"+public+"/notes", e.admin, map[string]any{"text": "공개 메모"}, 201, nil)
			secretRef := fmt.Sprintf(`"ticket_id":%d`, secretT.Number-1000)
			publicRef := fmt.Sprintf(`"ticket_id":%d`, open.Number-1000)
			for l := range lines {
				if strings.Contains(l, secretRef) {
					t.Fatalf("the outsider's stream carried %s", l)
				}
				if strings.Contains(l, publicRef) {
					return
				}
			}
			t.Fatal("stream ended before the public ticket's event")
		})
	}
}

// TestRestrictedContactVisibility: a contact whose every ticket is in a
// restricted team is hidden from agents outside it — the contact, its
// profile, attribute edits, events, opt-outs, merges, the contact search
// and segment lists answer 404 or leave it out — while members and admins see it; a
// contact that also has a ticket outside the team stays visible.
func TestRestrictedContactVisibility(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			agent := func(email, name string) (int64, string) {
				var a struct {
					ID int64 `json:"id"`
				}
				e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": email, "name": name, "password": "a long password"}, 201, &a)
				var login struct {
					Token string `json:"token"`
				}
				e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "a long password"}, 200, &login)
				return a.ID, login.Token
			}
			leeID, lee := agent("lee@example.com", "이멤버")
			_, kim := agent("kim@example.com", "김외부")
			var b2b teamOut
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "기업고객", "name_en": "B2B", "restricted": true,
				"channel_ids": []int64{e.chanID}, "member_ids": []int64{leeID}}, 201, &b2b)
			secret := e.ingest(map[string]any{"external_id": "s1", "contact": map[string]any{"external_id": "corp", "name": "비밀상사"}, "text": "계약 단가 문의"})
			both := e.ingest(map[string]any{"external_id": "s2", "contact": map[string]any{"external_id": "mixed", "name": "혼합고객"}, "text": "기업 문의"})
			e.call("PATCH", "/api/v1/teams/"+fmt.Sprint(b2b.ID), e.admin, map[string]any{"channel_ids": []int64{}}, 200, nil)
			e.ingest(map[string]any{"external_id": "p1", "thread_key": "other", "contact": map[string]any{"external_id": "mixed", "name": "혼합고객"}, "text": "배송 문의"})
			contactOf := func(ticket string) int64 {
				var full struct {
					Contact struct {
						ID int64 `json:"id"`
					} `json:"contact"`
				}
				e.call("GET", "/api/v1/tickets/"+ticket, e.admin, nil, 200, &full)
				return full.Contact.ID
			}
			hidden, mixed := contactOf(secret), contactOf(both)
			if hidden == mixed {
				t.Fatal("one contact for both customers")
			}
			search := func(token string) map[int64]bool {
				var page struct {
					Items []struct {
						ID int64 `json:"id"`
					} `json:"items"`
				}
				e.call("GET", "/api/v1/contacts?q=%EA%B3%A0%EA%B0%9D", token, nil, 200, &page) // "고객"
				out := map[int64]bool{}
				for _, it := range page.Items {
					out[it.ID] = true
				}
				var all struct {
					Items []struct {
						ID int64 `json:"id"`
					} `json:"items"`
				}
				e.call("GET", "/api/v1/contacts", token, nil, 200, &all)
				for _, it := range all.Items {
					out[it.ID] = true
				}
				return out
			}
			for _, c := range []struct {
				who, token string
				sees       bool
			}{{"member", lee, true}, {"admin", e.admin, true}, {"outsider", kim, false}} {
				t.Run(c.who, func(t *testing.T) {
					want := 200
					if !c.sees {
						want = 404
					}
					h := fmt.Sprint(hidden)
					e.call("GET", "/api/v1/contacts/"+h, c.token, nil, want, nil)
					e.call("GET", "/api/v1/contacts/"+h+"/profile", c.token, nil, want, nil)
					e.call("GET", "/api/v1/contacts/"+h+"/opt-outs", c.token, nil, want, nil)
					if !c.sees {
						e.call("PATCH", "/api/v1/contacts/"+h, c.token, map[string]any{"attributes": map[string]any{"name": "바꿈"}}, 404, nil)
						e.call("POST", "/api/v1/contacts/"+h+"/events", c.token, map[string]any{"name": "viewed"}, 404, nil)
						e.call("PUT", "/api/v1/contacts/"+h+"/opt-outs/marketing", c.token, nil, 404, nil)
						e.call("POST", fmt.Sprintf("/api/v1/contacts/%d/merge", mixed), c.token, map[string]any{"from": h}, 404, nil)
					}
					// The customer with a ticket outside the team stays visible.
					e.call("GET", fmt.Sprintf("/api/v1/contacts/%d/profile", mixed), c.token, nil, 200, nil)
					got := search(c.token)
					if got[hidden] != c.sees || !got[mixed] {
						t.Fatalf("search sees hidden %v mixed %v, want %v true", got[hidden], got[mixed], c.sees)
					}
					// A segment of everyone lists them the same way.
					var pv struct {
						Items []struct {
							ID int64 `json:"id"`
						} `json:"items"`
					}
					e.call("POST", "/api/v1/segments/preview?limit=100", c.token, map[string]any{"match": "any", "conditions": []map[string]any{}}, 200, &pv)
					listed := map[int64]bool{}
					for _, it := range pv.Items {
						listed[it.ID] = true
					}
					if listed[hidden] != c.sees || !listed[mixed] {
						t.Fatalf("segment lists hidden %v mixed %v, want %v true", listed[hidden], listed[mixed], c.sees)
					}
				})
			}
		})
	}
}

// TestMentionsRespectVisibility: a note on a restricted team's ticket
// records mentions of its members and of admins only; a mentioned agent
// outside the team is dropped (no mention row, not in the event, nothing in
// their mentions view) and the note still saves.
func TestMentionsRespectVisibility(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			agent := func(email, name, role string) (int64, string) {
				var a struct {
					ID int64 `json:"id"`
				}
				e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": email, "name": name, "password": "a long password", "role": role}, 201, &a)
				var login struct {
					Token string `json:"token"`
				}
				e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "a long password"}, 200, &login)
				return a.ID, login.Token
			}
			leeID, lee := agent("lee@example.com", "이멤버", "agent")
			kimID, kim := agent("kim@example.com", "김외부", "agent")
			parkID, _ := agent("park@example.com", "박관리", "admin")
			var b2b teamOut
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "기업고객", "name_en": "B2B", "restricted": true,
				"channel_ids": []int64{e.chanID}, "member_ids": []int64{leeID}}, 201, &b2b)
			secret := e.ingest(map[string]any{"external_id": "s1", "contact": map[string]any{"external_id": "corp", "name": "비밀상사"}, "text": "계약 단가 문의"})
			e.call("GET", "/api/v1/tickets/"+secret, kim, nil, 404, nil)

			var note struct {
				ID       int64  `json:"id"`
				TicketID string `json:"ticket_id"`
			}
			e.call("POST", "/api/v1/tickets/"+secret+"/notes", lee, map[string]any{"text": "@김외부 @박관리 @이멤버 단가 확인",
				"mentions": []int64{kimID, parkID, leeID}}, 201, &note)
			ids, err := e.srv.Store.MentionsOf(e.ctx, note.ID)
			if err != nil || fmt.Sprint(ids) != fmt.Sprint([]int64{leeID, parkID}) {
				t.Fatalf("mentions %v %v, want member %d and admin %d, not outsider %d", ids, err, leeID, parkID, kimID)
			}
			var tk struct {
				ID int64 `json:"id"`
			}
			if err := e.srv.Store.DB.Table("messages").Select("ticket_id").Where("id = ?", note.ID).Scan(&tk.ID).Error; err != nil {
				t.Fatal(err)
			}
			ev := lastEvent(t, e, "message.created", tk.ID)
			m, _ := ev["message"].(map[string]any)
			if m == nil || fmt.Sprint(m["mentions"]) != fmt.Sprint([]any{float64(leeID), float64(parkID)}) {
				t.Fatalf("note event %v", ev)
			}
			var l struct {
				Items []ticketOut `json:"items"`
			}
			e.call("GET", "/api/v1/tickets?mentions=me", kim, nil, 200, &l)
			if len(l.Items) != 0 {
				t.Fatalf("outsider's mentions %+v", l)
			}
			e.call("GET", "/api/v1/tickets?mentions=me", lee, nil, 200, &l)
			if len(l.Items) != 1 || l.Items[0].ID != secret {
				t.Fatalf("member's mentions %+v", l)
			}
			// Only an outsider mentioned: the note saves with no mentions.
			e.call("POST", "/api/v1/tickets/"+secret+"/notes", lee, map[string]any{"text": "@김외부", "mentions": []int64{kimID}}, 201, &note)
			if ids, err := e.srv.Store.MentionsOf(e.ctx, note.ID); err != nil || len(ids) != 0 {
				t.Fatalf("outsider-only mentions %v %v", ids, err)
			}
		})
	}
}
