package api_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// lastEvent returns the payload of the latest durable event of typ on the
// ticket.
func lastEvent(t *testing.T, e *env, typ string, ticketID int64) map[string]any {
	t.Helper()
	var payload string
	if err := e.srv.Store.DB.Raw("SELECT payload FROM events WHERE type = ? AND ticket_id = ? ORDER BY id DESC LIMIT 1", typ, ticketID).Row().Scan(&payload); err != nil {
		t.Fatalf("%s event of ticket %d: %v", typ, ticketID, err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(payload), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMentionsUnreadProfileAPI: notes mention agents (the mentions view,
// the event), tickets are unread per agent until read, message and ticket
// events name the assignee and team, agents edit their own profile
// (signature added to replies as chosen), admins edit saved replies.
func TestMentionsUnreadProfileAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			var agent struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/agents", e.admin, map[string]any{"email": "lee@example.com", "name": "이상담", "password": "lee password 1"}, 201, &agent)
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@example.com", "password": "lee password 1"}, 200, &login)
			lee := login.Token
			var team struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/teams", e.admin, map[string]any{"name_ko": "결제팀", "channel_ids": []int64{e.chanID}, "member_ids": []int64{agent.ID}}, 201, &team)

			pid := e.ingest(map[string]any{"external_id": "m1", "thread_key": "o-1", "subject": "환불", "text": "환불해 주세요", "contact": map[string]any{"external_id": "c1", "name": "김민지"}})
			tk, err := e.srv.Inbox.TicketByPublicID(e.ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			if ev := lastEvent(t, e, "ticket.created", tk.ID); ev["team_id"] != float64(team.ID) {
				t.Fatalf("ticket.created %v, want team_id %d", ev, team.ID)
			}

			// Unread per agent.
			type list struct {
				Items []struct {
					ID     string `json:"id"`
					Unread bool   `json:"unread"`
				} `json:"items"`
			}
			unread := func(tok string) bool {
				t.Helper()
				var l list
				e.call("GET", "/api/v1/tickets", tok, nil, 200, &l)
				if len(l.Items) != 1 {
					t.Fatalf("tickets %+v", l)
				}
				return l.Items[0].Unread
			}
			if !unread(lee) || !unread(e.admin) {
				t.Fatal("a new ticket is not unread")
			}
			e.call("POST", "/api/v1/tickets/"+pid+"/read", lee, nil, 200, nil)
			if unread(lee) || !unread(e.admin) {
				t.Fatalf("after Lee read it: lee %v admin %v", unread(lee), unread(e.admin))
			}

			// A note mentioning Lee (and an unknown agent, dropped).
			var note struct {
				ID int64 `json:"id"`
			}
			e.call("POST", "/api/v1/tickets/"+pid+"/notes", e.admin, map[string]any{"text": "@이상담 확인 부탁", "mentions": []int64{agent.ID, 9999}}, 201, &note)
			ids, err := e.srv.Store.MentionsOf(e.ctx, note.ID)
			if err != nil || len(ids) != 1 || ids[0] != agent.ID {
				t.Fatalf("mentions %v %v", ids, err)
			}
			ev := lastEvent(t, e, "message.created", tk.ID)
			if m, _ := ev["message"].(map[string]any); m == nil || len(m["mentions"].([]any)) != 1 || m["mentions"].([]any)[0] != float64(agent.ID) {
				t.Fatalf("note event %v", ev)
			}
			var l list
			e.call("GET", "/api/v1/tickets?mentions=me", lee, nil, 200, &l)
			if len(l.Items) != 1 || l.Items[0].ID != pid {
				t.Fatalf("Lee's mentions %+v", l)
			}
			e.call("GET", "/api/v1/tickets?mentions=me", e.admin, nil, 200, &l)
			if len(l.Items) != 0 {
				t.Fatalf("admin's mentions %+v", l)
			}
			var ae apiError
			e.call("GET", "/api/v1/tickets?mentions=lee", lee, nil, 400, &ae)
			many := make([]int64, 51)
			e.call("POST", "/api/v1/tickets/"+pid+"/notes", e.admin, map[string]any{"text": "x", "mentions": many}, 422, &ae)
			if ae.Error.Reason != "too_many_mentions" {
				t.Fatalf("too many mentions: %+v", ae)
			}

			// The customer's message on Lee's ticket names Lee.
			e.call("PATCH", "/api/v1/tickets/"+pid, e.admin, map[string]any{"assignee": agent.ID}, 200, nil)
			e.ingest(map[string]any{"external_id": "m2", "thread_key": "o-1", "text": "아직인가요?", "contact": map[string]any{"external_id": "c1", "name": "김민지"}})
			ev = lastEvent(t, e, "message.created", tk.ID)
			if m, _ := ev["message"].(map[string]any); m == nil || m["direction"] != "inbound" || m["assignee_id"] != float64(agent.ID) {
				t.Fatalf("inbound event %v", ev)
			}
			if !unread(lee) {
				t.Fatal("the customer wrote again: not unread for Lee")
			}

			// Profile: checked fields; the signature goes on replies as chosen.
			e.call("PATCH", "/api/v1/agents/me/profile", lee, map[string]any{"locale": "fr"}, 400, &ae)
			e.call("PATCH", "/api/v1/agents/me/profile", lee, map[string]any{"signature_mode": "sometimes"}, 400, &ae)
			e.call("PATCH", "/api/v1/agents/me/profile", lee, map[string]any{"notify_on": []string{"weather"}}, 400, &ae)
			e.call("PATCH", "/api/v1/agents/me/profile", lee, map[string]any{"name": " "}, 422, &ae)
			var prof struct {
				Name          string   `json:"name"`
				Signature     string   `json:"signature"`
				SignatureMode string   `json:"signature_mode"`
				NotifyDesktop bool     `json:"notify_desktop"`
				NotifyOn      []string `json:"notify_on"`
			}
			e.call("PATCH", "/api/v1/agents/me/profile", lee, map[string]any{"name": "이서연", "signature": "이서연 드림\n한박스 고객센터", "signature_mode": "email",
				"notify_desktop": true, "notify_on": []string{"mention", "assigned", "mention"}}, 200, &prof)
			if prof.Name != "이서연" || prof.SignatureMode != "email" || !prof.NotifyDesktop || strings.Join(prof.NotifyOn, ",") != "assigned,mention" {
				t.Fatalf("profile %+v", prof)
			}
			e.call("GET", "/api/v1/agents/me/profile", lee, nil, 200, &prof)
			if prof.Signature != "이서연 드림\n한박스 고객센터" {
				t.Fatalf("profile read back %+v", prof)
			}
			var msg struct {
				Text string `json:"text"`
			}
			e.call("POST", "/api/v1/tickets/"+pid+"/replies", lee, map[string]any{"text": "확인했습니다."}, 201, &msg)
			if msg.Text != "확인했습니다." {
				t.Fatalf("email-only signature on an api reply: %q", msg.Text)
			}
			e.call("PATCH", "/api/v1/agents/me/profile", lee, map[string]any{"signature_mode": "all"}, 200, &prof)
			e.call("POST", "/api/v1/tickets/"+pid+"/replies", lee, map[string]any{"text": "처리했습니다.\n"}, 201, &msg)
			if msg.Text != "처리했습니다.\n\n이서연 드림\n한박스 고객센터" {
				t.Fatalf("reply with signature: %q", msg.Text)
			}
			// The admin's own replies carry no one else's signature.
			e.call("POST", "/api/v1/tickets/"+pid+"/replies", e.admin, map[string]any{"text": "관리자입니다."}, 201, &msg)
			if msg.Text != "관리자입니다." {
				t.Fatalf("admin reply %q", msg.Text)
			}

			// Saved replies: admins edit them.
			var sr struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
				Body string `json:"body"`
			}
			e.call("POST", "/api/v1/saved-replies", e.admin, map[string]any{"name": "인사", "body": "안녕하세요"}, 201, &sr)
			path := "/api/v1/saved-replies/" + strconv.FormatInt(sr.ID, 10)
			e.call("PATCH", path, lee, map[string]any{"name": "x", "body": "y"}, 403, &ae)
			e.call("PATCH", path, e.admin, map[string]any{"name": "", "body": "y"}, 422, &ae)
			e.call("PATCH", "/api/v1/saved-replies/99999", e.admin, map[string]any{"name": "x", "body": "y"}, 404, &ae)
			e.call("PATCH", path, e.admin, map[string]any{"name": "첫 인사", "body": "안녕하세요 {{contact.name}}님"}, 200, &sr)
			var got []store.SavedReply
			if got, err = e.srv.Store.ListSavedReplies(e.ctx); err != nil || len(got) != 1 || got[0].Name != "첫 인사" || got[0].Body != "안녕하세요 {{contact.name}}님" {
				t.Fatalf("saved replies %+v %v", got, err)
			}
		})
	}
}
