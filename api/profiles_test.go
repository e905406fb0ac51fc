package api_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

type profileBody struct {
	Contact struct {
		ID int64 `json:"id"`
	} `json:"contact"`
	Attributes map[string]any `json:"attributes"`
	Events     []struct {
		Name       string         `json:"name"`
		Properties map[string]any `json:"properties"`
	} `json:"events"`
}

type segmentContacts struct {
	Count int64 `json:"count"`
	Items []struct {
		ID int64 `json:"id"`
	} `json:"items"`
	NextBefore int64 `json:"next_before"`
}

func TestProfilesAndSegmentsAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			e.apiChannel()
			e.ingest(map[string]any{"external_id": "m1", "text": "안녕하세요", "contact": map[string]any{"email": "minji@example.com", "name": "김민지"}})
			e.ingest(map[string]any{"external_id": "m2", "text": "hello", "contact": map[string]any{"email": "joe@example.com", "name": "Joe"}})
			if err := auth.CreateAgent(context.Background(), e.srv.Store, "kim@example.com", "Kim", store.RoleAgent, "long enough password"); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "kim@example.com", "password": "long enough password"}, 200, &login)
			agent := login.Token

			// Definitions are the admin's.
			e.call("POST", "/api/v1/attributes", agent, map[string]string{"key": "plan", "label_ko": "요금제", "type": "text"}, 403, nil)
			e.call("POST", "/api/v1/attributes", e.admin, map[string]string{"key": "plan", "label_ko": "요금제", "label_en": "Plan", "type": "text"}, 201, nil)
			e.call("POST", "/api/v1/attributes", e.admin, map[string]string{"key": "seats", "label_en": "Seats", "type": "number"}, 201, nil)
			e.call("POST", "/api/v1/attributes", e.admin, map[string]string{"key": "plan", "label_en": "again", "type": "text"}, 422, nil)
			e.call("PATCH", "/api/v1/attributes/plan", e.admin, map[string]string{"label_ko": "플랜", "label_en": "Plan"}, 200, nil)
			e.call("PATCH", "/api/v1/attributes/plan", e.admin, map[string]string{"type": "number"}, 422, nil)
			e.call("DELETE", "/api/v1/attributes/messages", e.admin, nil, 422, nil)
			var defs struct {
				Items []struct {
					Key, LabelKo string
					Builtin      bool `json:"builtin"`
				} `json:"items"`
			}
			e.call("GET", "/api/v1/attributes", agent, nil, 200, &defs)
			if len(defs.Items) != len(store.BuiltinAttributes())+2 {
				t.Fatalf("definitions %+v", defs)
			}

			// PATCH by email; typed values; read-only built-ins refused.
			var p profileBody
			e.call("PATCH", "/api/v1/contacts/"+url.PathEscape("Minji@Example.com"), agent, map[string]any{"attributes": map[string]any{"plan": "pro", "seats": 5, "email_marketing": true}}, 200, &p)
			if p.Attributes["plan"] != "pro" || p.Attributes["seats"] != 5.0 || p.Attributes["email_marketing"] != true || p.Attributes["messages"] != 1.0 {
				t.Fatalf("patched %+v", p)
			}
			minji := p.Contact.ID
			e.call("PATCH", "/api/v1/contacts/"+strconv.FormatInt(minji, 10), agent, map[string]any{"attributes": map[string]any{"seats": "five"}}, 422, nil)
			e.call("PATCH", "/api/v1/contacts/"+strconv.FormatInt(minji, 10), agent, map[string]any{"attributes": map[string]any{"messages": 100}}, 422, nil)
			e.call("PATCH", "/api/v1/contacts/nobody@example.com", agent, map[string]any{"attributes": map[string]any{"plan": "x"}}, 404, nil)
			e.call("PATCH", "/api/v1/contacts/"+strconv.FormatInt(minji, 10), agent, map[string]any{"attributes": map[string]any{"plan": nil}}, 200, &profileBody{})
			p = profileBody{}
			e.call("GET", "/api/v1/contacts/joe@example.com/profile", agent, nil, 200, &p)
			if p.Contact.ID == minji || p.Attributes["messages"] != 1.0 {
				t.Fatalf("joe: %+v", p)
			}
			p = profileBody{}
			e.call("GET", "/api/v1/contacts/"+strconv.FormatInt(minji, 10)+"/profile", agent, nil, 200, &p)
			if _, ok := p.Attributes["plan"]; ok {
				t.Fatalf("null did not unset: %+v", p.Attributes)
			}

			// Events.
			e.call("POST", "/api/v1/contacts/"+strconv.FormatInt(minji, 10)+"/events", agent, map[string]any{"name": "order_paid", "properties": map[string]any{"amount": 39000}}, 201, nil)
			e.call("POST", "/api/v1/contacts/"+strconv.FormatInt(minji, 10)+"/events", agent, map[string]any{"name": "", "properties": map[string]any{}}, 422, nil)
			e.call("GET", "/api/v1/contacts/"+strconv.FormatInt(minji, 10)+"/profile", agent, nil, 200, &p)
			if len(p.Events) != 1 || p.Events[0].Name != "order_paid" || p.Events[0].Properties["amount"] != 39000.0 {
				t.Fatalf("events %+v", p.Events)
			}

			// Segments: preview unsaved, save, list contacts.
			def := map[string]any{"match": "all", "conditions": []map[string]any{
				{"kind": "attribute", "key": "email_marketing", "op": "true"},
				{"kind": "event", "name": "order_paid", "days": 30}}}
			var pv segmentContacts
			e.call("POST", "/api/v1/segments/preview", agent, def, 200, &pv)
			if pv.Count != 1 || len(pv.Items) != 1 || pv.Items[0].ID != minji {
				t.Fatalf("preview %+v", pv)
			}
			e.call("POST", "/api/v1/segments/preview", agent, map[string]any{"match": "any", "conditions": []map[string]any{}}, 200, &pv)
			if pv.Count != 2 {
				t.Fatalf("everyone: %+v", pv)
			}
			e.call("POST", "/api/v1/segments/preview", agent, map[string]any{"match": "all", "conditions": []map[string]any{{"kind": "attribute", "key": "seats", "op": "contains", "value": "1"}}}, 422, nil)
			e.call("POST", "/api/v1/segments", agent, map[string]any{"name": "구매 고객", "definition": def}, 403, nil)
			var sg struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			}
			e.call("POST", "/api/v1/segments", e.admin, map[string]any{"name": "구매 고객", "definition": def}, 201, &sg)
			id := strconv.FormatInt(sg.ID, 10)
			e.call("GET", "/api/v1/segments/"+id+"/contacts", agent, nil, 200, &pv)
			if pv.Count != 1 || pv.Items[0].ID != minji {
				t.Fatalf("segment contacts %+v", pv)
			}
			def["match"] = "any"
			e.call("PUT", "/api/v1/segments/"+id, e.admin, map[string]any{"name": "구매 또는 동의", "definition": def}, 200, &sg)
			var list struct {
				Items []struct {
					Name string `json:"name"`
				} `json:"items"`
			}
			e.call("GET", "/api/v1/segments", agent, nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0].Name != "구매 또는 동의" {
				t.Fatalf("segments %+v", list)
			}
			e.call("DELETE", "/api/v1/segments/"+id, e.admin, nil, 200, nil)
			e.call("GET", "/api/v1/segments/"+id, agent, nil, 404, nil)

			// Page conditions validate; an unmerged contact has no merge to undo.
			e.call("POST", "/api/v1/segments/preview", agent, map[string]any{"match": "all", "conditions": []any{map[string]any{"kind": "page", "op": "pattern", "value": "/pricing*", "days": 7}}}, 200, nil)
			e.call("POST", "/api/v1/segments/preview", agent, map[string]any{"match": "all", "conditions": []any{map[string]any{"kind": "page", "op": "eq", "value": "/pricing"}}}, 422, nil)
			e.call("POST", "/api/v1/segments/preview", agent, map[string]any{"match": "all", "conditions": []any{map[string]any{"kind": "page", "op": "contains"}}}, 422, nil)
			e.call("POST", "/api/v1/contacts/"+strconv.FormatInt(minji, 10)+"/unmerge", agent, nil, 422, nil)

			// Every endpoint is in the OpenAPI document.
			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			e.call("GET", "/api/v1/openapi.json", "", nil, 200, &doc)
			for path, methods := range map[string][]string{
				"/contacts/{id}": {"patch"}, "/contacts/{id}/events": {"post"}, "/contacts/{id}/profile": {"get"}, "/contacts/{id}/unmerge": {"post"},
				"/attributes": {"get", "post"}, "/attributes/{key}": {"patch", "delete"},
				"/segments": {"get", "post"}, "/segments/preview": {"post"}, "/segments/{id}": {"get", "put", "delete"}, "/segments/{id}/contacts": {"get"},
			} {
				for _, m := range methods {
					if doc.Paths[path][m] == nil {
						t.Errorf("openapi lacks %s %s", m, path)
					}
				}
			}
		})
	}
}
