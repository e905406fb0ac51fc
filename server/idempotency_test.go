package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestRepliesWithIdempotencyKey is issue 10 item 12 over HTTP: a client that
// retries POST /replies or /notes after a lost answer, with the same
// Idempotency-Key, gets the first message back (201 again) and nothing is sent
// twice; the key with another body is refused with 422.
func TestRepliesWithIdempotencyKey(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := newTestServer(t, d)
			var ch channelCreated
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop"}, 201, &ch)
			var in struct {
				TicketID string `json:"ticket_id"`
			}
			ts.do("POST", fmt.Sprintf("/api/v1/channels/%d/inbound", ch.Channel.ID), ch.Token, map[string]any{"external_id": "m-1",
				"contact": map[string]any{"external_id": "u-1"}, "text": "배송 문의"}, 201, &in)
			post := func(path, key string, body any) (int, int64, string) {
				t.Helper()
				raw, _ := json.Marshal(body)
				req, _ := http.NewRequest("POST", ts.http.URL+"/api/v1/tickets/"+in.TicketID+path, bytes.NewReader(raw))
				req.Header.Set("Authorization", "Bearer "+ts.token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				var m struct {
					ID    int64 `json:"id"`
					Error struct{ Code string }
				}
				json.Unmarshal(b, &m)
				if m.Error.Code != "" {
					return resp.StatusCode, 0, m.Error.Code
				}
				return resp.StatusCode, m.ID, string(b)
			}
			reply := map[string]any{"text": "내일 도착합니다"}
			s1, id1, raw := post("/replies", "draft-7", reply)
			if s1 != 201 || id1 == 0 {
				t.Fatalf("first reply: %d %s", s1, raw)
			}
			s2, id2, raw := post("/replies", "draft-7", reply) // the answer to the first was lost
			if s2 != 201 || id2 != id1 {
				t.Fatalf("retried reply: %d %s; want 201 with message %d", s2, raw, id1)
			}
			var n int64
			ts.srv.Store.DB.Model(&store.Outbox{}).Where("purpose = ?", store.PurposeReply).Count(&n)
			if n != 1 {
				t.Fatalf("outbox rows = %d, want 1", n)
			}
			if s, _, code := post("/replies", "draft-7", map[string]any{"text": "다른 답변"}); s != 422 || code != "idempotency_key_reused" {
				t.Fatalf("same key, other body: %d %s", s, code)
			}
			n1s, n1, _ := post("/notes", "note-1", map[string]any{"text": "VIP"})
			n2s, n2, _ := post("/notes", "note-1", map[string]any{"text": "VIP"})
			if n1s != 201 || n2s != 201 || n1 == 0 || n2 != n1 {
				t.Fatalf("notes: %d/%d and %d/%d", n1s, n1, n2s, n2)
			}
			var doc struct {
				Paths map[string]map[string]struct {
					Parameters []struct{ Name, In string }
				}
			}
			ts.do("GET", "/api/v1/openapi.json", "-", nil, 200, &doc)
			for _, p := range []string{"/tickets/{id}/replies", "/tickets/{id}/notes"} {
				found := false
				for _, prm := range doc.Paths[p]["post"].Parameters {
					found = found || (prm.Name == "Idempotency-Key" && prm.In == "header")
				}
				if !found {
					t.Errorf("OpenAPI does not document Idempotency-Key on %s", p)
				}
			}
		})
	}
}
