package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

func TestRender(t *testing.T) {
	st := discordgo.NewState()
	if err := st.GuildAdd(&discordgo.Guild{ID: fakeGuild,
		Channels: []*discordgo.Channel{{ID: fakeSupport, Name: "support", GuildID: fakeGuild}},
		Roles:    []*discordgo.Role{{ID: fakeRole, Name: "고객지원"}}}); err != nil {
		t.Fatal(err)
	}
	mentions := []*discordgo.User{{ID: "1", Username: "minji.kim", GlobalName: "김민지"}, {ID: "2", Username: "seojun"}}
	tests := []struct {
		name, in, want string
		state          *discordgo.State
	}{
		{"plain", "안녕하세요", "안녕하세요", nil},
		{"user mentions", "<@1> and <@!2>", "@김민지 and @seojun", nil},
		{"unknown user", "<@3>", "@user", nil},
		{"role from state", "<@&" + fakeRole + "> 도와주세요", "@고객지원 도와주세요", st},
		{"role without state", "<@&" + fakeRole + ">", "@role", nil},
		{"channel from state", "see <#" + fakeSupport + ">", "see #support", st},
		{"unknown channel", "<#42>", "#channel", st},
		{"custom emoji", "<:sad_cat:12345> <a:dance:678>", ":sad_cat: :dance:", nil},
		{"timestamp", "<t:1764000000:R>", "2025-11-24 16:00 UTC", nil},
		{"slash command", "</order status:99>", "/order status", nil},
		{"everyone stays text", "@everyone <@&x>", "@everyone <@&x>", nil},
		{"not markup", "a < b > c <@abc>", "a < b > c <@abc>", nil},
	}
	c := &Channel{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.render(tt.state, &discordgo.Message{Content: tt.in, GuildID: fakeGuild, Mentions: mentions})
			if got != tt.want {
				t.Errorf("render(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		parts int
	}{
		{"short", "hello", 1},
		{"exact", strings.Repeat("a", 2000), 1},
		{"hangul over", strings.Repeat("가", 2001), 2},
		{"lines", strings.Repeat(strings.Repeat("b", 99)+"\n", 50), 3},
		{"words", strings.Repeat("word ", 1000), 3},
		{"no breaks", strings.Repeat("x", 4500), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitText(tt.in, 2000)
			if len(parts) != tt.parts {
				t.Fatalf("parts = %d, want %d", len(parts), tt.parts)
			}
			var joined strings.Builder
			for _, p := range parts {
				if n := utf8.RuneCountInString(p); n > 2000 || n == 0 {
					t.Errorf("part of %d characters", n)
				}
				joined.WriteString(p)
			}
			strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if strip(joined.String()) != strip(tt.in) {
				t.Errorf("parts lost text")
			}
		})
	}
}

func TestSettingsValidate(t *testing.T) {
	no := false
	tests := []struct {
		name string
		s    Settings
		ok   bool
	}{
		{"channels", Settings{GuildID: fakeGuild, SupportChannels: []string{fakeSupport}}, true},
		{"dms only", Settings{}, true},
		{"nothing watched", Settings{AllowDMs: &no}, false},
		{"bad channel id", Settings{SupportChannels: []string{"#support"}}, false},
		{"bad guild id", Settings{GuildID: "my server"}, false},
		{"bad api base", Settings{APIBase: "discord.com"}, false},
		{"api base", Settings{APIBase: "http://127.0.0.1:8080"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if (Settings{}).openThreads() != true || (Settings{OpenThreads: &no}).openThreads() != false {
		t.Error("open_threads must default to true")
	}
}

// gatewayEvent reads a dispatch from testdata.
func gatewayEvent(t *testing.T, name string) (string, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		T string         `json:"t"`
		D map[string]any `json:"d"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e.T, e.D
}

// TestRecordedPayloads feeds Discord-shaped events from testdata through the
// fake gateway.
func TestRecordedPayloads(t *testing.T) {
	env, f, _ := setup(t, store.SQLite, nil)
	ctx := context.Background()

	typ, guild := gatewayEvent(t, "message_create_guild.json")
	png := []byte("\x89PNG\r\n\x1a\nreceipt")
	att := guild["attachments"].([]any)[0].(map[string]any)
	att["url"] = f.addFile("receipt.png", png) // the fake stands in for the CDN
	att["size"] = len(png)
	f.dispatch(typ, guild)
	var tk *store.Ticket
	env.Eventually("guild ticket", func() bool { tk = ticketByKey(t, env, ThreadKey("1310123457000000000")); return tk != nil })
	m := env.Messages(tk.ID)[0]
	want := "@hanbox 주문한 키보드가 아직 안 왔어요 :sad_cat: @고객지원 확인 부탁드려요 (2025-11-24 16:00 UTC)"
	if m.Text != want || len(m.Attachments) != 1 || m.Attachments[0].Name != "receipt.png" {
		t.Errorf("text %q, attachments %+v", m.Text, m.Attachments)
	}
	c, err := env.Inbox.ContactByIdentity(ctx, "discord", "700000000000000001")
	if err != nil || c.Name != "민지 (고객)" {
		t.Errorf("contact = %+v, %v; want the server nickname", c, err)
	}

	typ, upd := gatewayEvent(t, "message_update.json")
	f.dispatch(typ, upd)
	typ, dm := gatewayEvent(t, "message_create_dm.json")
	f.dispatch(typ, dm)
	var dmTicket *store.Ticket
	env.Eventually("DM ticket", func() bool {
		dmTicket = ticketByKey(t, env, ThreadKey("950000000000000001"))
		return dmTicket != nil
	})
	d := env.Messages(dmTicket.ID)[0]
	if d.Text != "환불은 언제 되나요? /order status 로 확인이 안 돼요\n[sticker: Wave]" {
		t.Errorf("DM text = %q", d.Text)
	}
	if m := env.Messages(tk.ID)[0]; m.Text != "주문번호 A-1042 키보드가 아직 안 왔어요" || m.EditedAt == nil {
		t.Errorf("after MESSAGE_UPDATE: %q edited %v", m.Text, m.EditedAt)
	}
	typ, del := gatewayEvent(t, "message_delete.json")
	f.dispatch(typ, del)
	env.Eventually("deleted", func() bool { return env.Messages(tk.ID)[0].DeletedAt != nil })
}

func TestInviteURLInReadme(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	u := InviteURL("YOUR_APPLICATION_ID")
	if !strings.Contains(string(readme), u) {
		t.Errorf("README does not show the invite URL %s", u)
	}
}

type recordingQuarantine struct{ ids, reasons []string }

func (q *recordingQuarantine) Quarantine(_ context.Context, _ int64, ext string, raw []byte, reason string) error {
	if !json.Valid(raw) {
		reason = "raw is not JSON: " + reason
	}
	q.ids, q.reasons = append(q.ids, ext), append(q.reasons, reason)
	return nil
}

type flakySink struct {
	calls, failures int
	err             error
}

func (s *flakySink) Ingest(context.Context, *inbox.Inbound) (inbox.IngestResult, error) {
	s.calls++
	if s.calls <= s.failures {
		return inbox.IngestResult{}, s.err
	}
	return inbox.IngestResult{MessageID: 1}, nil
}

func TestIngestFailures(t *testing.T) {
	saved := handleBackoff
	handleBackoff = time.Millisecond
	t.Cleanup(func() { handleBackoff = saved })
	dm := func(id string) *discordgo.Message {
		return &discordgo.Message{ID: id, ChannelID: "950000000000000009", Content: "hi",
			Author: &discordgo.User{ID: customer, Username: "minji"}}
	}
	tests := []struct {
		name        string
		sink        *flakySink
		calls       int
		quarantined bool
	}{
		{"transient errors are retried", &flakySink{failures: 2, err: errors.New("database is locked")}, 3, false},
		{"rejected input is quarantined", &flakySink{failures: 100, err: fmt.Errorf("%w: text too large", inbox.ErrInvalid)}, 1, true},
		{"persistent errors end in quarantine", &flakySink{failures: 100, err: errors.New("disk full")}, handleAttempts, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &recordingQuarantine{}
			c, err := New(connectors.Channel{ID: 1, Kind: Kind, Settings: map[string]any{}, Secrets: map[string]any{"bot_token": "x"}},
				connectors.Deps{Quarantine: q})
			if err != nil {
				t.Fatal(err)
			}
			c.onCreate(context.Background(), tt.sink, nil, dm("4242"))
			if tt.sink.calls != tt.calls {
				t.Errorf("Ingest calls = %d, want %d", tt.sink.calls, tt.calls)
			}
			if got := len(q.ids) == 1 && q.ids[0] == "4242"; got != tt.quarantined {
				t.Errorf("quarantined %v (%q), want %v", q.ids, q.reasons, tt.quarantined)
			}
		})
	}
}
