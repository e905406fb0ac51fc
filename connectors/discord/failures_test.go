package discord

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

func TestRateLimitedReplyRetriedWithoutDuplicates(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env, f, _ := setup(t, dialect, nil)
		ctx := context.Background()
		const dm = "950000000000000004"
		f.dispatch("MESSAGE_CREATE", userMessage("5100", dm, "", customer, "minji", "긴 답변 부탁해요"))
		var tk *store.Ticket
		env.Eventually("ticket", func() bool { tk = ticketByKey(t, env, ThreadKey(dm)); return tk != nil })

		// 2500 characters: two Discord messages. The first goes through; the
		// second is rate limited, so the dispatcher retries the whole reply,
		// and the nonce keeps Discord from posting the first part twice.
		long := strings.Repeat("가", 1500) + "\n" + strings.Repeat("나", 999)
		f.mu.Lock()
		f.retryAfter, f.limitAt = 0.4, 2
		f.mu.Unlock()
		agent := env.Agent("agent@example.com", "Agent")
		reply, err := env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: tk.ID, AgentID: agent.ID, Text: long})
		if err != nil {
			t.Fatal(err)
		}
		env.Eventually("reply delivered", func() bool {
			m, err := env.Inbox.Message(ctx, reply.ID)
			return err == nil && m.DeliveryStatus == store.DeliverySent
		})
		posts, _, _ := f.snapshot()
		f.mu.Lock()
		attempts := append([]time.Time(nil), f.attempts...)
		f.mu.Unlock()
		if len(posts) != 2 {
			t.Fatalf("distinct posts = %d, want 2 (the nonce dedupes the retried first part)", len(posts))
		}
		if got := posts[0].Content + "\n" + posts[1].Content; got != long {
			t.Errorf("parts do not add up to the reply: %d + %d runes", len([]rune(posts[0].Content)), len([]rune(posts[1].Content)))
		}
		for _, p := range posts {
			if n := len([]rune(p.Content)); n > 2000 || p.Nonce == "" {
				t.Errorf("part of %d runes with nonce %q", n, p.Nonce)
			}
		}
		if len(attempts) < 3 {
			t.Fatalf("create-message attempts = %d, want at least 3 (ok, 429, retry)", len(attempts))
		}
		if gap := attempts[2].Sub(attempts[1]); gap < 400*time.Millisecond {
			t.Errorf("retried %v after the 429, before retry_after (400ms)", gap)
		}
	})
}

// newDirect builds a connector against the fake without a core, for Send.
func newDirect(t *testing.T, f *fakeDiscord, token string) *Channel {
	t.Helper()
	c, err := New(connectors.Channel{ID: 1, Kind: Kind, Settings: map[string]any{
		"guild_id": fakeGuild, "support_channels": []any{fakeSupport}, "api_base": f.srv.URL,
	}, Secrets: map[string]any{"bot_token": token}}, connectors.Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendErrors(t *testing.T) {
	f := newFakeDiscord(t)
	out := func() *inbox.Outbound {
		return &inbox.Outbound{MessageID: 7, Text: "hello", ReplyTo: &inbox.ReplyContext{ExternalID: "1",
			Meta: map[string]any{"channel_id": fakeSupport, "thread_id": "1100"}}}
	}
	tests := []struct {
		name        string
		token       string
		status      int
		code        int
		rateLimit   int
		permanent   bool
		unreachable bool
		retryAfter  time.Duration
		mention     string
	}{
		{name: "bad token", token: "wrong", permanent: true, mention: "invalid bot token"},
		{name: "no permission", token: f.token, status: 403, code: 50013, permanent: true, mention: "Send Messages in Threads"},
		{name: "deleted thread", token: f.token, status: 404, code: 10003, permanent: true, mention: "not found"},
		{name: "DMs closed", token: f.token, status: 403, code: 50007, unreachable: true},
		{name: "rate limited", token: f.token, rateLimit: 1, retryAfter: 2500 * time.Millisecond},
		{name: "server error", token: f.token, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			f.postStatus, f.postCode, f.rateLimit, f.retryAfter = tt.status, tt.code, tt.rateLimit, 2.5
			f.mu.Unlock()
			c := newDirect(t, f, tt.token)
			_, err := c.Send(context.Background(), out())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := connectors.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got := errors.Is(err, connectors.ErrUnreachable); got != tt.unreachable {
				t.Errorf("unreachable = %v, want %v (%v)", got, tt.unreachable, err)
			}
			var ra *inbox.RetryAfterError
			if tt.retryAfter > 0 && (!errors.As(err, &ra) || ra.After != tt.retryAfter) {
				t.Errorf("err = %v, want retry after %v", err, tt.retryAfter)
			}
			if tt.mention != "" && !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("err = %v, want it to mention %q", err, tt.mention)
			}
		})
	}

	t.Run("no reply context", func(t *testing.T) {
		c := newDirect(t, f, f.token)
		_, err := c.Send(context.Background(), &inbox.Outbound{Text: "hi"})
		if !errors.Is(err, connectors.ErrUnreachable) {
			t.Errorf("err = %v, want ErrUnreachable so the dispatcher continues by email", err)
		}
	})
}

func TestSendAttachments(t *testing.T) {
	f := newFakeDiscord(t)
	c := newDirect(t, f, f.token)
	file := func(name, body string) inbox.OutboundAttachment {
		return inbox.OutboundAttachment{Name: name, ContentType: "text/plain", Size: int64(len(body)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }}
	}
	var atts []inbox.OutboundAttachment
	for i := range 11 {
		atts = append(atts, file("영수증"+string(rune('a'+i))+".txt", "receipt"))
	}
	atts = append(atts, inbox.OutboundAttachment{Name: "huge.bin", Size: maxUploadBytes + 1})
	ref, err := c.Send(context.Background(), &inbox.Outbound{MessageID: 9, Text: "파일 보내드려요", Attachments: atts,
		ReplyTo: &inbox.ReplyContext{Meta: map[string]any{"channel_id": "950000000000000005", "dm": true}}})
	if err != nil {
		t.Fatal(err)
	}
	posts, _, _ := f.snapshot()
	if len(posts) != 2 {
		t.Fatalf("posts = %d, want 2 (ten files per message)", len(posts))
	}
	if len(posts[0].Files) != 10 || len(posts[1].Files) != 1 || string(posts[0].Files["영수증a.txt"]) != "receipt" {
		t.Errorf("files per post = %d, %d", len(posts[0].Files), len(posts[1].Files))
	}
	if !strings.Contains(posts[0].Content, "파일 보내드려요") || !strings.Contains(posts[0].Content, "huge.bin is too large") {
		t.Errorf("content = %q, want the text and a note about the oversized file", posts[0].Content)
	}
	if ids, _ := ref.Meta["discord_message_ids"].([]string); ref.ID == "" || len(ids) != 2 || ids[0] != ref.ID {
		t.Errorf("ref = %+v", ref)
	}
}

func TestInboundAttachments(t *testing.T) {
	env, f, _ := setup(t, "sqlite", nil)
	const dm = "950000000000000006"
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
	m := userMessage("6100", dm, "", customer, "minji", "")
	m["attachments"] = []any{
		map[string]any{"id": "6101", "filename": "screenshot.png", "size": len(png), "content_type": "image/png",
			"url": f.addFile("screenshot.png", png), "proxy_url": f.srv.URL + "/attachments/screenshot.png", "width": 10, "height": 10},
		map[string]any{"id": "6102", "filename": "video.mp4", "size": MaxAttachmentBytes + 1, "content_type": "video/mp4",
			"url": f.srv.URL + "/attachments/video.mp4"},
		map[string]any{"id": "6103", "filename": "gone.txt", "size": 10, "url": f.srv.URL + "/attachments/gone.txt"},
		map[string]any{"id": "6104", "filename": "evil.txt", "size": 10, "url": "http://169.254.169.254/latest/meta-data"},
	}
	f.dispatch("MESSAGE_CREATE", m)
	var tk *store.Ticket
	env.Eventually("ticket with attachment", func() bool { tk = ticketByKey(t, env, ThreadKey(dm)); return tk != nil })
	msgs := env.Messages(tk.ID)
	if len(msgs) != 1 || len(msgs[0].Attachments) != 1 {
		t.Fatalf("messages %d, attachments %+v; want one mirrored file", len(msgs), msgs)
	}
	a := msgs[0].Attachments[0]
	if a.Name != "screenshot.png" || a.ContentType != "image/png" || a.Size != int64(len(png)) {
		t.Errorf("attachment = %+v", a)
	}
	r, err := env.Store.OpenBlob(a.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, png) {
		t.Errorf("stored bytes differ from the upload")
	}
	for _, want := range []string{"video.mp4", "gone.txt (download answered 404)", "evil.txt (not a Discord attachment URL)"} {
		if !strings.Contains(msgs[0].Text, want) {
			t.Errorf("text %q does not note %q", msgs[0].Text, want)
		}
	}
	if notes, _ := msgs[0].Meta["attachment_errors"].([]any); len(notes) != 3 {
		t.Errorf("meta attachment_errors = %v, want 3 notes", msgs[0].Meta["attachment_errors"])
	}
}

func TestThreadReusedOnReplay(t *testing.T) {
	// A replayed top-level message whose thread was opened before (a crash
	// between thread and ticket) reuses the thread instead of failing.
	env, f, _ := setup(t, "sqlite", nil)
	f.addThread("7100", fakeSupport)
	f.dispatch("MESSAGE_CREATE", userMessage("7100", fakeSupport, fakeGuild, customer, "minji", "다시"))
	var tk *store.Ticket
	env.Eventually("ticket", func() bool { tk = ticketByKey(t, env, ThreadKey("7100")); return tk != nil })
	if _, threads, _ := f.snapshot(); len(threads) != 0 {
		t.Errorf("threads = %q, want none created", threads)
	}
	// A user-made thread under the support channel is watched too.
	f.addThread("7200", fakeSupport)
	f.dispatch("MESSAGE_CREATE", userMessage("7201", "7200", fakeGuild, customer, "minji", "새 스레드"))
	env.Eventually("thread ticket", func() bool { return ticketByKey(t, env, ThreadKey("7200")) != nil })
}

func TestInvalidToken(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		f := newFakeDiscord(t)
		env := conntest.New(t, dialect)
		ch := env.AddChannel(Kind, "Discord", map[string]any{"support_channels": []any{fakeSupport}, "api_base": f.srv.URL},
			map[string]any{"bot_token": "revoked"}, "")
		env.Start()
		t.Cleanup(func() { stopEnv(env, ch) })
		env.Eventually("error state", func() bool {
			st, last, _ := env.Runtime.Status(ch.ID)
			return st == connectors.StateError && strings.Contains(last, "invalid bot token: reset it in the Developer Portal")
		})
		// The runtime sets its in-memory state just before it writes the
		// channel row, so the row is waited for too, not read once.
		env.Eventually("error state stored", func() bool {
			var row store.Channel
			return env.Store.DB.Take(&row, ch.ID).Error == nil &&
				row.Status == connectors.StateError && strings.Contains(row.LastError, "invalid bot token")
		})
		// No gateway connection was tried and the token was checked once;
		// the connector now holds off (TestFatalHoldsOff) before the runtime
		// may restart it, so there is no reconnect loop.
		_, _, dials, me := f.counts()
		if dials != 0 || me != 1 {
			t.Errorf("gateway dials = %d, token checks = %d; want 0 and 1 (no reconnect loop)", dials, me)
		}
	})
}

func TestGatewayRefusals(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{4014, "enable MESSAGE CONTENT INTENT"},
		{4004, "invalid bot token"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.want), func(t *testing.T) {
			f := newFakeDiscord(t)
			f.identifyErr = tt.code
			env := conntest.New(t, store.SQLite)
			ch := env.AddChannel(Kind, "Discord", map[string]any{"support_channels": []any{fakeSupport}, "api_base": f.srv.URL},
				map[string]any{"bot_token": f.token}, "")
			env.Start()
			t.Cleanup(func() { stopEnv(env, ch) })
			env.Eventually("error state", func() bool {
				st, last, _ := env.Runtime.Status(ch.ID)
				return st == connectors.StateError && strings.Contains(last, tt.want)
			})
			f.mu.Lock()
			intents := f.intents
			f.mu.Unlock()
			if intents&(1<<15) == 0 || intents&(1<<9) == 0 || intents&(1<<12) == 0 {
				t.Errorf("intents = %b, want guild messages, direct messages and message content", intents)
			}
		})
	}
}

func TestSingleOwnerOnPostgres(t *testing.T) {
	if os.Getenv("HANBOX_TEST_POSTGRES") == "" {
		t.Skip("HANBOX_TEST_POSTGRES not set: locks are always granted on SQLite")
	}
	f := newFakeDiscord(t)
	env := conntest.New(t, store.Postgres)
	ch := env.AddChannel(Kind, "Discord", map[string]any{"support_channels": []any{fakeSupport}, "api_base": f.srv.URL},
		map[string]any{"bot_token": f.token}, "")

	start := func() (*connectors.Runtime, context.CancelFunc, chan struct{}) {
		ctx, cancel := context.WithCancel(context.Background())
		rt := connectors.NewRuntime(env.Store, env.Inbox, connectors.RuntimeOptions{
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		done := make(chan struct{})
		go func() { defer close(done); _ = rt.Run(ctx) }()
		return rt, cancel, done
	}
	status := func(rt *connectors.Runtime) string { st, _, _ := rt.Status(ch.ID); return st }

	const dm = "950000000000000007"
	a, stopA, doneA := start()
	env.Eventually("first instance connected", func() bool { return status(a) == connectors.StateConnected })
	f.dispatch("MESSAGE_CREATE", userMessage(snowflake(0), dm, "", customer, "minji", "before failover"))
	var tk *store.Ticket
	env.Eventually("message via the first owner", func() bool { tk = ticketByKey(t, env, ThreadKey(dm)); return tk != nil })
	b, stopB, doneB := start()
	t.Cleanup(func() { stopA(); stopB(); <-doneA; <-doneB })
	env.Eventually("second instance on standby", func() bool { return status(b) == StateStandby })
	if identifies, _, dials, _ := f.counts(); identifies != 1 || dials != 1 {
		t.Fatalf("identifies = %d, dials = %d with two instances; want one session", identifies, dials)
	}

	// Between the owners, a message is sent that no gateway delivers; the new
	// owner catches up from the checkpoint the first one stored.
	hold := make(chan struct{})
	f.mu.Lock()
	f.holdHello = hold
	f.mu.Unlock()
	stopA()
	<-doneA
	f.offline(userMessage(snowflake(1), dm, "", customer, "minji", "during failover"))
	f.mu.Lock()
	f.holdHello = nil
	f.mu.Unlock()
	close(hold)
	env.Eventually("second instance takes over", func() bool { return status(b) == connectors.StateConnected && f.connected() })
	if identifies, _, _, _ := f.counts(); identifies != 2 {
		t.Errorf("identifies = %d, want 2 (the standby opened its own session)", identifies)
	}
	f.dispatch("MESSAGE_CREATE", userMessage(snowflake(2), dm, "", customer, "minji", "after failover"))
	env.Eventually("every message once via the new owner", func() bool { return inboundCount(env, tk.ID) == 3 })
	if n := len(env.Messages(tk.ID)); n != 3 {
		t.Errorf("messages = %d, want 3", n)
	}
}

func TestHostileEvents(t *testing.T) {
	env, f, ch := setup(t, store.SQLite, nil)
	const dm = "950000000000000010"
	noID := userMessage("", dm, "", customer, "minji", "no id")
	numericID := userMessage("x", dm, "", customer, "minji", "numeric id")
	numericID["id"] = 6200 // Discord ids are strings
	noAuthor := userMessage("6201", dm, "", customer, "minji", "no author")
	noAuthor["author"] = nil
	badAttachments := userMessage("6202", dm, "", customer, "minji", "odd attachments")
	badAttachments["attachments"] = []any{nil, map[string]any{"id": "1", "size": -5, "url": "ftp://x"}}
	huge := userMessage("6203", dm, "", customer, "minji", strings.Repeat("가", 5000)+" <@"+strings.Repeat("9", 30)+">")
	for _, m := range []map[string]any{noID, numericID, noAuthor, badAttachments, huge} {
		f.dispatch("MESSAGE_CREATE", m)
	}
	f.dispatch("MESSAGE_CREATE", userMessage("6204", dm, "", customer, "minji", "still working"))
	var tk *store.Ticket
	env.Eventually("valid messages stored", func() bool {
		tk = ticketByKey(t, env, ThreadKey(dm))
		return tk != nil && inboundCount(env, tk.ID) == 3
	})
	var q []store.Quarantine
	env.Store.DB.Where("channel_id = ?", ch.ID).Find(&q)
	if len(q) != 2 {
		t.Fatalf("quarantined %d events, want 2 (the two without a usable id)", len(q))
	}
	reasons := map[string]bool{}
	for _, row := range q {
		reasons[row.ExternalID] = true
		if len(row.Raw) == 0 || !(strings.Contains(row.Reason, "external_id") || strings.Contains(row.Reason, "undecodable")) {
			t.Errorf("quarantine row %q: reason %q, %d raw bytes", row.ExternalID, row.Reason, len(row.Raw))
		}
	}
	if !reasons["6200"] {
		t.Errorf("the undecodable message 6200 is not in quarantine: %v", reasons)
	}
	msgs := env.Messages(tk.ID)
	if !strings.Contains(msgs[0].Text, "attachment not copied") {
		t.Errorf("odd attachments not noted: %q", msgs[0].Text)
	}
	if st, _, _ := env.Runtime.Status(ch.ID); st != connectors.StateConnected {
		t.Errorf("status = %s after hostile events, want connected", st)
	}
}

// TestFatalHoldsOff: after a configuration error the connector waits before
// Start returns (30 s, doubling per repeat, capped), far longer than the
// runtime's first restart delay, so a bad token is not retried in a loop.
// The waits pass on synctest's clock.
func TestFatalHoldsOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var states []string
		c := &Channel{log: slog.New(slog.DiscardHandler), deps: connectors.Deps{Status: func(s string, _ error) { states = append(states, s) }}}
		for i, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
			start := time.Now()
			if err := c.fatal(context.Background(), errInvalidToken); !errors.Is(err, errInvalidToken) {
				t.Fatalf("fatal returned %v", err)
			}
			if got := time.Since(start); got != want {
				t.Fatalf("hold-off %d lasted %s, want %s", i+1, got, want)
			}
		}
		c.fatalStreak = 20
		start := time.Now()
		c.fatal(context.Background(), errIntents)
		if got := time.Since(start); got != maxFatalBackoff {
			t.Fatalf("capped hold-off %s, want %s", got, maxFatalBackoff)
		}
		if len(states) != 4 || states[0] != connectors.StateError {
			t.Fatalf("states %v", states)
		}
		// Shutting down ends the hold-off at once.
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(time.Second); cancel() }()
		start = time.Now()
		c.fatal(ctx, errInvalidToken)
		if got := time.Since(start); got != time.Second {
			t.Fatalf("hold-off outlived its context: %s", got)
		}
	})
}
