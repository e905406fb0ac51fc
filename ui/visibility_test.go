package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestRestrictedTeamPages: an agent outside a restricted team does not see
// its tickets in the inbox (lists, search, the ticket page, a message's
// body, the contact page of a customer known only from its tickets); a
// member does.
func TestRestrictedTeamPages(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			for _, a := range []string{"lee@example.com", "kim@example.com"} {
				if err := auth.CreateAgent(e.ctx, e.srv.Store, a, a, store.RoleAgent, "agent-password"); err != nil {
					t.Fatal(err)
				}
			}
			lee := e.login("lee@example.com", "agent-password")
			kim := e.login("kim@example.com", "agent-password")
			e.call("POST", "/api/v1/teams", e.adminTok, map[string]any{"name_ko": "기업고객", "name_en": "B2B", "restricted": true,
				"channel_ids": []int64{e.chanID}, "member_ids": []int64{agentID(t, e, "lee@example.com")}}, http.StatusCreated, nil)
			secret := e.ingest(map[string]any{"external_id": "s1", "thread_key": "s1", "contact": map[string]any{"external_id": "corp", "name": "비밀상사"},
				"text": "계약 단가 문의"})
			var tk struct {
				Messages []struct {
					ID int64 `json:"id"`
				} `json:"messages"`
				Contact struct {
					ID int64 `json:"id"`
				} `json:"contact"`
			}
			e.call("GET", "/api/v1/tickets/"+secret, lee, nil, http.StatusOK, &tk)
			for _, c := range []struct {
				who, session string
				sees         bool
			}{{"member", lee, true}, {"outsider", kim, false}, {"admin", e.adminTok, true}} {
				for _, path := range []string{"/tickets?view=all", "/tickets?q=" + "%EB%8B%A8%EA%B0%80"} {
					resp, body := e.get(path, c.session)
					if resp.StatusCode != http.StatusOK || strings.Contains(body, secret) != c.sees {
						t.Fatalf("%s on %s: status %d, lists the secret ticket %v (want %v)", c.who, path, resp.StatusCode, strings.Contains(body, secret), c.sees)
					}
				}
				want := http.StatusOK
				if !c.sees {
					want = http.StatusNotFound
				}
				if resp, body := e.get("/tickets/"+secret, c.session); resp.StatusCode != want || !c.sees && strings.Contains(body, "계약 단가") {
					t.Fatalf("%s opens the ticket: %d, want %d", c.who, resp.StatusCode, want)
				}
				if resp, _ := e.get("/messages/"+itoa(tk.Messages[0].ID)+"/body", c.session); resp.StatusCode != want {
					t.Fatalf("%s opens a message body: %d, want %d", c.who, resp.StatusCode, want)
				}
				// The contact known only from the secret ticket, and its profile.
				if resp, body := e.get("/contacts/"+itoa(tk.Contact.ID), c.session); resp.StatusCode != want || !c.sees && strings.Contains(body, "비밀상사") {
					t.Fatalf("%s opens the contact: %d, want %d", c.who, resp.StatusCode, want)
				}
			}
		})
	}
}
