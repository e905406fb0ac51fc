package audit_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func TestRedact(t *testing.T) {
	type channelBody struct {
		Name     string         `json:"name"`
		Settings map[string]any `json:"settings"`
		Secrets  map[string]any `json:"secrets"`
	}
	for _, c := range []struct {
		name string
		in   any
		want string
	}{
		{"struct with nested secrets", channelBody{Name: "메일", Settings: map[string]any{"imap": map[string]any{"host": "imap.example.com", "password": "pw1"}},
			Secrets: map[string]any{"bot_token": "xoxb-1"}},
			`{"name":"메일","secrets":"[redacted]","settings":{"imap":{"host":"imap.example.com","password":"[redacted]"}}}`},
		{"keys by any case", map[string]any{"API_Key": "k", "Authorization": "Bearer x", "client_secret": "s", "signing_secret": "", "revoke_tokens": true},
			`{"API_Key":"[redacted]","Authorization":"[redacted]","client_secret":"[redacted]","revoke_tokens":true,"signing_secret":""}`},
		{"lists", json.RawMessage(`[{"token":"t1"},{"name":"n"}]`), `[{"token":"[redacted]"},{"name":"n"}]`},
		{"not JSON", json.RawMessage(`password=x`), `null`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _ := json.Marshal(audit.Redact(c.in))
			if string(got) != c.want {
				t.Fatalf("got %s\nwant %s", got, c.want)
			}
		})
	}
	got, _ := json.Marshal(audit.RedactStrings(map[string]any{"current": "old pw", "new": "new pw", "revoke_tokens": true}))
	if string(got) != `{"current":"[redacted]","new":"[redacted]","revoke_tokens":true}` {
		t.Fatalf("RedactStrings: %s", got)
	}
}

// TestRecordAndFilter: Record takes the actor, address and user agent from
// the request; the store's filters select by actor, action (exact and
// prefix, with LIKE wildcards taken literally) and time; on both stores.
func TestRecordAndFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		rec := audit.New(st, audit.Options{Now: func() time.Time { return at }})
		admin := &store.Agent{Email: "admin@example.com", Name: "관리자", Role: store.RoleAdmin, Active: true}
		if err := st.CreateAgent(ctx, admin); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("POST", "/api/v1/channels", nil)
		r.RemoteAddr = "[2001:db8::1]:4321"
		r.Header.Set("User-Agent", "브라우저/1.0")
		r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Agent: admin}))
		rec.Record(r, audit.Entry{Action: "channels.create", TargetType: "channels", TargetID: int64(7), Changes: map[string]any{"name": "쇼핑몰", "token": "tok-1"}})
		at = at.Add(time.Hour)
		rec.Record(r, audit.Entry{Action: "channels_x.create"})
		at = at.Add(time.Hour)
		anon := httptest.NewRequest("POST", "/login", nil)
		rec.Record(anon, audit.Entry{Action: audit.ActionLoginFailed, ActorEmail: "who@example.com"})

		all, err := st.AuditEntries(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 || all[0].Action != audit.ActionLoginFailed || all[0].ActorID != nil || all[0].ActorEmail != "who@example.com" {
			t.Fatalf("entries %+v", all)
		}
		e := all[2]
		if e.ActorID == nil || *e.ActorID != admin.ID || e.ActorEmail != "admin@example.com" || e.RemoteIP != "2001:db8::1" ||
			e.UserAgent != "브라우저/1.0" || e.TargetID != "7" || e.Changes["name"] != "쇼핑몰" || e.Changes["token"] != audit.Redacted || !e.At.Equal(at.Add(-2*time.Hour)) {
			t.Fatalf("entry %+v", e)
		}
		for _, c := range []struct {
			f    store.AuditFilter
			want []string
		}{
			{store.AuditFilter{Action: "channels."}, []string{"channels.create"}},
			{store.AuditFilter{Action: "channels_"}, nil},
			{store.AuditFilter{Action: "channels_x.create"}, []string{"channels_x.create"}},
			{store.AuditFilter{ActorID: admin.ID}, []string{"channels_x.create", "channels.create"}},
			{store.AuditFilter{From: at.Add(-90 * time.Minute), To: at}, []string{"channels_x.create"}},
			{store.AuditFilter{Limit: 1}, []string{audit.ActionLoginFailed}},
		} {
			got, err := st.AuditEntries(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range got {
				names = append(names, g.Action)
			}
			if strings.Join(names, ",") != strings.Join(c.want, ",") {
				t.Errorf("%+v: %v, want %v", c.f, names, c.want)
			}
		}
		actions, err := st.AuditActions(ctx)
		if err != nil || len(actions) != 3 {
			t.Fatalf("actions %v %v", actions, err)
		}
		var nilRec *audit.Recorder
		nilRec.Record(r, audit.Entry{Action: "x"}) // records nothing, does not panic
	})
}
