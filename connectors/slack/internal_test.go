package slack

import (
	"errors"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"안녕하세요 &lt;고객님&gt; &amp; 팀", "안녕하세요 <고객님> & 팀"},
		{"see <https://shop.example.kr/o/1|주문 1>", "see 주문 1 (https://shop.example.kr/o/1)"},
		{"bare <https://example.com/x>", "bare https://example.com/x"},
		{"hi <@U0AGENT01|jiyoung> in <#C0CUSTOMR|support>", "hi @jiyoung in #support"},
		{"<!here> 확인", "@here 확인"},
		{"mail <mailto:a@b.kr|a@b.kr>", "mail a@b.kr"},
		{"<https://same.example|https://same.example>", "https://same.example"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCutPrefixFold(t *testing.T) {
	tests := []struct {
		in, prefix, rest string
		ok               bool
	}{
		{"note: 확인 필요", "note:", " 확인 필요", true},
		{"NOTE:x", "note:", "x", true},
		{"notes are nice", "note:", "notes are nice", false},
		{"no", "note:", "no", false},
		{"메모: 내부용", "메모:", " 내부용", true},
	}
	for _, tt := range tests {
		rest, ok := cutPrefixFold(tt.in, tt.prefix)
		if rest != tt.rest || ok != tt.ok {
			t.Errorf("cutPrefixFold(%q, %q) = %q, %v", tt.in, tt.prefix, rest, ok)
		}
	}
}

func TestTSTime(t *testing.T) {
	got := tsTime("1764000200.000300")
	want := time.Unix(1764000200, 300_000).UTC()
	if !got.Equal(want) {
		t.Fatalf("tsTime = %v, want %v", got, want)
	}
	if !tsTime("garbage").IsZero() {
		t.Fatal("garbage ts should give zero time")
	}
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		bad  string // substring of the error; empty means valid
	}{
		{"notify only", Settings{NotifyChannel: "C0NOTIFY1"}, ""},
		{"customer only, socket", Settings{CustomerChannels: []string{"C1"}, Mode: ModeSocket}, ""},
		{"nothing to do", Settings{}, "notify_channel"},
		{"bad mode", Settings{NotifyChannel: "C1", Mode: "rtm"}, "mode"},
		{"channel name", Settings{NotifyChannel: "#support"}, "not a channel id"},
		{"overlap", Settings{NotifyChannel: "C1", CustomerChannels: []string{"C1"}}, "cannot also"},
		{"bad url", Settings{NotifyChannel: "C1", APIURL: "slack.com/api"}, "api_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if tt.bad == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.bad != "" && (err == nil || !strings.Contains(err.Error(), tt.bad)) {
				t.Fatalf("error = %v, want one about %q", err, tt.bad)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	f := Filter{ChannelIDs: []int64{3, 4}, Tags: []string{"vip"}}
	if !f.matches(3, []string{"billing", "vip"}) {
		t.Fatal("channel 3 with vip should match")
	}
	if f.matches(5, []string{"vip"}) || f.matches(3, nil) {
		t.Fatal("other channel or missing tag should not match")
	}
	if !(Filter{}).matches(9, nil) {
		t.Fatal("empty filter matches all")
	}
}

func TestTransportErr(t *testing.T) {
	var reported []string
	c := &Channel{deps: connectors.Deps{Status: func(state string, err error) { reported = append(reported, state) }}}

	err := c.transportErr("chat.postMessage", &slackgo.RateLimitedError{RetryAfter: 7 * time.Second})
	var ra *inbox.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 7*time.Second {
		t.Fatalf("429 → %v, want RetryAfter 7s", err)
	}
	for _, code := range []string{"channel_not_found", "not_in_channel", "invalid_auth", "account_inactive"} {
		err := c.transportErr("chat.postMessage", slackgo.SlackErrorResponse{Err: code})
		if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), code) {
			t.Fatalf("%s → %v, want permanent", code, err)
		}
	}
	if len(reported) != 4 || reported[0] != connectors.StateError {
		t.Fatalf("status reports = %v", reported)
	}
	if err := c.transportErr("chat.postMessage", slackgo.SlackErrorResponse{Err: "internal_error"}); connectors.IsPermanent(err) {
		t.Fatalf("internal_error should be retried: %v", err)
	}
	if err := c.transportErr("chat.postMessage", slackgo.StatusCodeError{Code: 503}); connectors.IsPermanent(err) {
		t.Fatalf("503 should be retried: %v", err)
	}
	c.healthy()
	if reported[len(reported)-1] != connectors.StateConnected {
		t.Fatalf("a success after errors should report connected: %v", reported)
	}
}

func TestBlocksKoreanTruncation(t *testing.T) {
	subject := strings.Repeat("가", 300)
	n := &inbox.Notification{Ticket: inbox.TicketRef{ID: 1, Number: 1001, Subject: subject, Status: "resolved"},
		Contact: inbox.PersonRef{Name: "<!channel>"}, ChannelKind: "email", ChannelName: "Mail"}
	blocks := Blocks(n, "")
	h := blocks[0].(*slackgo.HeaderBlock)
	if got := []rune(h.Text.Text); len(got) != 150 || got[149] != '…' {
		t.Fatalf("header has %d runes", len(got))
	}
	s := blocks[1].(*slackgo.SectionBlock)
	if strings.Contains(s.Fields[0].Text, "<!channel>") {
		t.Fatalf("customer name not escaped: %s", s.Fields[0].Text)
	}
	acts := blocks[len(blocks)-1].(*slackgo.ActionBlock)
	for _, el := range acts.Elements.ElementSet {
		if b, ok := el.(*slackgo.ButtonBlockElement); ok && strings.HasPrefix(b.ActionID, ActionResolve) {
			t.Fatal("a resolved ticket should not offer Resolve")
		}
	}
}

// The origin's badge comes from its kind's description; a kind without one
// gets the inbox tray.
func TestBlocksBadgeFromDescription(t *testing.T) {
	for kind, want := range map[string]string{Kind: ":slack:", "no-such-kind": ":inbox_tray:"} {
		n := &inbox.Notification{Ticket: inbox.TicketRef{ID: 1, Number: 1001, Subject: "s"}, ChannelKind: kind, ChannelName: "Desk"}
		s := Blocks(n, "")[1].(*slackgo.SectionBlock)
		if !strings.Contains(s.Fields[1].Text, want+" Desk") {
			t.Errorf("%s: channel field %q, want badge %s", kind, s.Fields[1].Text, want)
		}
	}
}

func TestRecent(t *testing.T) {
	r := newRecent(2)
	if !r.add("a") || r.add("a") {
		t.Fatal("a should be new once")
	}
	r.add("b")
	r.add("c") // evicts a
	if !r.add("a") {
		t.Fatal("a should have been forgotten")
	}
	r.remove("c")
	if !r.add("c") {
		t.Fatal("removed key should be new again")
	}
}

// A customer's name and subject on a card cannot carry bidirectional
// controls that would reorder them or the card's text after them.
func TestBlocksDropBidiControls(t *testing.T) {
	n := &inbox.Notification{Ticket: inbox.TicketRef{ID: 1, Number: 7, Subject: "invoice\u202Egnp.exe", Status: "open"},
		Contact: inbox.PersonRef{Name: "\u202Enimda 관리자\u2066"}, ChannelKind: "email", ChannelName: "Mail"}
	blocks := Blocks(n, "")
	h := blocks[0].(*slackgo.HeaderBlock)
	if h.Text.Text != "#7 invoicegnp.exe" {
		t.Fatalf("header %q", h.Text.Text)
	}
	s := blocks[1].(*slackgo.SectionBlock)
	if !strings.Contains(s.Fields[0].Text, "nimda 관리자") || plaintext.HasBidi(s.Fields[0].Text) {
		t.Fatalf("customer field %q", s.Fields[0].Text)
	}
	if got := fallbackText(n); plaintext.HasBidi(got) {
		t.Fatalf("fallback text %q", got)
	}
}
