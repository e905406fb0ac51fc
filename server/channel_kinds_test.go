package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/store"
)

type kindJSON struct {
	Kind   string `json:"kind"`
	Title  struct{ Ko, En string }
	Fields []struct {
		Key       string `json:"key"`
		Type      string `json:"type"`
		Generated bool   `json:"generated"`
	} `json:"fields"`
	Endpoints []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	} `json:"endpoints"`
}

// GET /api/v1/channel-kinds serves every kind's description; the admin UI
// builds its forms from it (issue 11 item 3).
func TestChannelKindsServed(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	var list struct{ Items []kindJSON }
	ts.do("GET", "/api/v1/channel-kinds", "", nil, 200, &list)
	byKind := map[string]kindJSON{}
	for _, k := range list.Items {
		byKind[k.Kind] = k
	}
	for _, kind := range []string{"api", "discord", "email", "slack", "widget"} {
		k, ok := byKind[kind]
		if !ok || k.Title.Ko == "" || k.Title.En == "" || len(k.Fields) == 0 {
			t.Errorf("kind %s: %+v", kind, k)
		}
	}
	secret := func(kind, key string) bool {
		for _, f := range byKind[kind].Fields {
			if f.Key == key {
				return f.Type == "secret"
			}
		}
		return false
	}
	if !secret("widget", "identity_secret") || !secret("slack", "bot_token") || !secret("email", "imap_password") {
		t.Errorf("secrets are not marked")
	}
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	ts.do("GET", "/api/v1/openapi.json", "-", nil, 200, &doc)
	if _, ok := doc.Paths["/channel-kinds"]; !ok {
		t.Errorf("OpenAPI document lacks /channel-kinds")
	}
}

// A secret set over the API used to be able to name a host file, which
// Hanbox then read and sent as, for example, the Slack token to any api_url
// (issue 10 item 5). File references are refused with a 422 that says so;
// nothing is read.
func TestChannelSecretsRefuseFileReferences(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	p := filepath.Join(t.TempDir(), "host-secret")
	os.WriteFile(p, []byte("HOST-FILE-CONTENT"), 0o600)
	for name, secrets := range map[string]map[string]any{
		"file: value":  {"bot_token": "file:" + p, "signing_secret": "s"},
		"_file key":    {"bot_token_file": p, "signing_secret": "s"},
		"upper case":   {"bot_token": " FILE:" + p, "signing_secret": "s"},
		"not a string": {"bot_token": map[string]any{"path": p}, "signing_secret": "s"},
	} {
		t.Run(name, func(t *testing.T) {
			var e struct {
				Error struct{ Code, Message string }
			}
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "slack", "name": "Desk",
				"settings": map[string]any{"notify_channel": "C0123"}, "secrets": secrets}, 422, &e)
			if e.Error.Code != "invalid_secret" || !strings.Contains(e.Error.Message, "bot_token") {
				t.Fatalf("error %+v", e.Error)
			}
		})
	}
	var ch channelCreated
	ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop"}, 201, &ch)
	var e struct {
		Error struct{ Code, Message string }
	}
	ts.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.Channel.ID), "", map[string]any{"secrets": map[string]any{"webhook_secret": "file:" + p}}, 422, &e)
	if e.Error.Code != "invalid_secret" {
		t.Fatalf("patch: %+v", e.Error)
	}
	// Nothing stored a reference, and no answer ever carried the file.
	var rows []store.Channel
	ts.srv.Store.DB.Find(&rows)
	for _, r := range rows {
		for k, v := range r.Secrets {
			if s, _ := v.(string); strings.HasPrefix(s, "file:") || strings.HasSuffix(k, "_file") {
				t.Fatalf("channel %d stored %s=%v", r.ID, k, v)
			}
		}
	}
}

// The api kind's webhook secret is generated when left empty and shown
// once; afterwards only its name is ever sent (secrets are write-only).
func TestGeneratedSecretShownOnce(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	var created struct {
		channelCreated
		Generated map[string]string `json:"generated_secrets"`
		Channel   struct {
			ID         int64             `json:"id"`
			InboundURL string            `json:"inbound_url"`
			Endpoints  map[string]string `json:"endpoints"`
		} `json:"channel"`
	}
	ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "api", "name": "Shop"}, 201, &created)
	sec := created.Generated["webhook_secret"]
	if sec == "" || created.WebhookSecret != sec {
		t.Fatalf("generated secret %q / %q", sec, created.WebhookSecret)
	}
	if want := fmt.Sprintf("/api/v1/channels/%d/inbound", created.Channel.ID); created.Channel.InboundURL != want || !strings.HasSuffix(created.Channel.Endpoints["inbound"], want) {
		t.Errorf("inbound %q, endpoints %v", created.Channel.InboundURL, created.Channel.Endpoints)
	}
	for _, path := range []string{fmt.Sprintf("/api/v1/channels/%d", created.Channel.ID), "/api/v1/channels"} {
		raw := ts.do("GET", path, "", nil, 200, nil)
		if strings.Contains(string(raw), sec) {
			t.Fatalf("%s sent the secret back: %s", path, raw)
		}
		if !strings.Contains(string(raw), `"webhook_secret"`) {
			t.Fatalf("%s does not name the secret: %s", path, raw)
		}
	}
}
