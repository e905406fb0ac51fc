package discord

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func TestMain(m *testing.M) {
	standbyRetry = 100 * time.Millisecond
	handleBackoff = 20 * time.Millisecond
	reconnectBackoff = 50 * time.Millisecond
	os.Exit(m.Run())
}

const customer = "700000000000000001"

// setup starts a core with one Discord channel pointed at a fresh fake and
// waits until the gateway session is up.
func setup(t testing.TB, dialect string, extra map[string]any) (*conntest.Env, *fakeDiscord, store.Channel) {
	t.Helper()
	f := newFakeDiscord(t)
	env := conntest.New(t, dialect)
	settings := map[string]any{"guild_id": fakeGuild, "support_channels": []any{fakeSupport}, "api_base": f.srv.URL}
	for k, v := range extra {
		settings[k] = v
	}
	ch := env.AddChannel(Kind, "Discord", settings, map[string]any{"bot_token": f.token}, "")
	env.Start()
	t.Cleanup(func() { stopEnv(env, ch) })
	waitConnected(t, env, f, ch)
	return env, f, ch
}

// stopEnv stops the core and waits for the channel to stop, so no connector
// outlives its test (the store and the fake close after this).
func stopEnv(env *conntest.Env, ch store.Channel) {
	env.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if st, _, _ := env.Runtime.Status(ch.ID); st == connectors.StateStopped {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitConnected(t testing.TB, env *conntest.Env, f *fakeDiscord, ch store.Channel) {
	t.Helper()
	env.Eventually("gateway session", func() bool {
		st, _, _ := env.Runtime.Status(ch.ID)
		return st == connectors.StateConnected && f.connected()
	})
}

func ticketByKey(t *testing.T, env *conntest.Env, key string) *store.Ticket {
	t.Helper()
	tk, err := env.Inbox.TicketByKey(context.Background(), key)
	if err != nil {
		return nil
	}
	return tk
}

func inboundCount(env *conntest.Env, ticketID int64) int {
	n := 0
	for _, m := range env.Messages(ticketID) {
		if m.Direction == store.DirInbound {
			n++
		}
	}
	return n
}

func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

func TestSupportChannelThreadAndReply(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env, f, ch := setup(t, dialect, nil)
		ctx := context.Background()

		first := userMessage("1100", fakeSupport, fakeGuild, customer, "minji", "<@"+f.botID+"> 배송이 안 와요 <:sad:1234567890> <#"+fakeSupport+"> <@&"+fakeRole+">")
		first["mentions"] = []any{f.botUser()}
		f.dispatch("MESSAGE_CREATE", first)

		var tk *store.Ticket
		env.Eventually("ticket from the support channel", func() bool {
			tk = ticketByKey(t, env, ThreadKey("1100"))
			return tk != nil
		})
		_, threads, members := f.snapshot()
		if len(threads) != 1 || !strings.HasPrefix(threads[0], "1100:minji: @hanbox 배송이 안 와요") {
			t.Fatalf("threads = %q, want one on message 1100 named after the customer and text", threads)
		}
		if len(members) != 1 || members[0] != "1100/"+customer {
			t.Fatalf("thread members = %q, want the customer added", members)
		}
		msgs := env.Messages(tk.ID)
		if len(msgs) != 1 {
			t.Fatalf("messages = %d, want 1", len(msgs))
		}
		m := msgs[0]
		if m.Text != "@hanbox 배송이 안 와요 :sad: #support @고객지원" {
			t.Errorf("text = %q", m.Text)
		}
		if *m.ExternalID != "1100" || m.Meta["thread_id"] != "1100" || m.Meta["channel_id"] != fakeSupport || m.Meta["guild_id"] != fakeGuild {
			t.Errorf("external id %q, meta %v", *m.ExternalID, m.Meta)
		}
		c, err := env.Inbox.ContactByIdentity(ctx, inbox.IdentityDiscord, customer)
		if err != nil || c.ID != tk.ContactID || c.Name != "minji" {
			t.Fatalf("contact = %+v, %v; want the ticket's contact named minji", c, err)
		}

		// A message in the thread appends to the ticket.
		f.dispatch("MESSAGE_CREATE", userMessage("1101", "1100", fakeGuild, customer, "minji", "주문번호는 A-1042 입니다"))
		env.Eventually("thread message appended", func() bool { return inboundCount(env, tk.ID) == 2 })

		agent := env.Agent("agent@example.com", "Agent")
		reply, err := env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: tk.ID, AgentID: agent.ID, Text: "@everyone 확인해 볼게요!"})
		if err != nil {
			t.Fatal(err)
		}
		env.Eventually("reply delivered", func() bool {
			m, err := env.Inbox.Message(ctx, reply.ID)
			return err == nil && m.DeliveryStatus == store.DeliverySent
		})
		posts, _, _ := f.snapshot()
		if len(posts) != 1 {
			t.Fatalf("posts = %+v, want 1", posts)
		}
		p := posts[0]
		if p.ChannelID != "1100" || p.Content != "@everyone 확인해 볼게요!" {
			t.Errorf("post = %+v, want the reply in thread 1100", p)
		}
		if parse, ok := p.AllowedMentions["parse"].([]any); !ok || len(parse) != 0 {
			t.Errorf("allowed_mentions = %v, want an empty parse list", p.AllowedMentions)
		}
		if p.Reference != nil {
			t.Errorf("a reply in a thread should not quote: %v", p.Reference)
		}
		sent, _ := env.Inbox.Message(ctx, reply.ID)
		if sent.ExternalID == nil || *sent.ExternalID == "" {
			t.Errorf("sent message has no Discord id")
		}

		// The echo of the bot's own reply, another bot, and a channel that is
		// not watched are all ignored; events are handled in order, so once
		// the next customer message is in, the others were seen.
		other := userMessage("1102", fakeOther, fakeGuild, customer, "minji", "not a support channel")
		f.dispatch("MESSAGE_CREATE", other)
		bot := userMessage("1103", "1100", fakeGuild, "700000000000000099", "otherbot", "beep")
		bot["author"].(map[string]any)["bot"] = true
		f.dispatch("MESSAGE_CREATE", bot)
		f.dispatch("MESSAGE_CREATE", userMessage("1104", "1100", fakeGuild, customer, "minji", "감사합니다"))
		env.Eventually("last message", func() bool { return inboundCount(env, tk.ID) == 3 })
		if n := len(env.Messages(tk.ID)); n != 4 {
			t.Errorf("ticket has %d messages, want 3 inbound + 1 reply (echo and bot ignored)", n)
		}
		if len(env.Tickets()) != 1 {
			t.Errorf("tickets = %d, want 1 (unwatched channel ignored)", len(env.Tickets()))
		}
		_ = ch
	})
}

func TestDirectMessage(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env, f, _ := setup(t, dialect, nil)
		ctx := context.Background()
		const dm = "950000000000000001"
		f.dispatch("MESSAGE_CREATE", userMessage("2100", dm, "", customer, "minji", "환불 문의"))
		var tk *store.Ticket
		env.Eventually("DM ticket", func() bool { tk = ticketByKey(t, env, ThreadKey(dm)); return tk != nil })
		f.dispatch("MESSAGE_CREATE", userMessage("2101", dm, "", customer, "minji", "카드 결제였어요"))
		env.Eventually("second DM appended", func() bool { return inboundCount(env, tk.ID) == 2 })
		if _, threads, _ := f.snapshot(); len(threads) != 0 {
			t.Errorf("a DM must not open threads: %q", threads)
		}

		agent := env.Agent("agent@example.com", "Agent")
		if _, err := env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: tk.ID, AgentID: agent.ID, Text: "환불해 드렸습니다"}); err != nil {
			t.Fatal(err)
		}
		env.Eventually("DM reply", func() bool { p, _, _ := f.snapshot(); return len(p) == 1 })
		p, _, _ := f.snapshot()
		if p[0].ChannelID != dm || p[0].Content != "환불해 드렸습니다" || p[0].Reference != nil {
			t.Errorf("post = %+v, want the reply in the DM channel", p[0])
		}
	})
}

func TestNoThreadsRepliesInChannel(t *testing.T) {
	env, f, _ := setup(t, store.SQLite, map[string]any{"open_threads": false, "allow_dms": false})
	ctx := context.Background()
	f.dispatch("MESSAGE_CREATE", userMessage("2200", "950000000000000002", "", customer, "minji", "DMs are off"))
	f.dispatch("MESSAGE_CREATE", userMessage("2201", fakeSupport, fakeGuild, customer, "minji", "help"))
	f.dispatch("MESSAGE_CREATE", userMessage("2202", fakeSupport, fakeGuild, customer, "minji", "still there?"))
	key := channelUserKey(fakeSupport, customer)
	var tk *store.Ticket
	env.Eventually("channel ticket", func() bool {
		tk = ticketByKey(t, env, key)
		return tk != nil && inboundCount(env, tk.ID) == 2
	})
	if n := len(env.Tickets()); n != 1 {
		t.Fatalf("tickets = %d, want 1 (the DM is ignored)", n)
	}
	agent := env.Agent("agent@example.com", "Agent")
	if _, err := env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: tk.ID, AgentID: agent.ID, Text: "yes"}); err != nil {
		t.Fatal(err)
	}
	env.Eventually("channel reply", func() bool { p, _, _ := f.snapshot(); return len(p) == 1 })
	p, threads, _ := f.snapshot()
	if len(threads) != 0 {
		t.Errorf("threads opened with open_threads off: %q", threads)
	}
	if p[0].ChannelID != fakeSupport || p[0].Reference == nil || p[0].Reference["message_id"] != "2202" {
		t.Errorf("post = %+v, want a reply to message 2202 in the support channel", p[0])
	}
	if p[0].AllowedMentions["replied_user"] != true {
		t.Errorf("allowed_mentions = %v, want replied_user so the customer is notified", p[0].AllowedMentions)
	}
}

func TestEditAndDelete(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env, f, _ := setup(t, dialect, nil)
		f.dispatch("MESSAGE_CREATE", userMessage("3100", fakeSupport, fakeGuild, customer, "minji", "주문 취소 원해요"))
		f.dispatch("MESSAGE_CREATE", userMessage("3101", "3100", fakeGuild, customer, "minji", "잘못 보냈어요"))
		var tk *store.Ticket
		env.Eventually("ticket", func() bool {
			tk = ticketByKey(t, env, ThreadKey("3100"))
			return tk != nil && inboundCount(env, tk.ID) == 2
		})
		edit := userMessage("3100", fakeSupport, fakeGuild, customer, "minji", "주문 취소 원해요 (A-1042)")
		edit["edited_timestamp"] = time.Now().UTC().Format(time.RFC3339)
		f.dispatch("MESSAGE_UPDATE", edit)
		// An embed unfurl is an update without edited_timestamp: not an edit.
		unfurl := userMessage("3101", "3100", fakeGuild, customer, "minji", "")
		f.dispatch("MESSAGE_UPDATE", unfurl)
		// Edits and deletions of messages Hanbox never stored are ignored.
		stranger := userMessage("3999", fakeOther, fakeGuild, customer, "minji", "edited elsewhere")
		stranger["edited_timestamp"] = time.Now().UTC().Format(time.RFC3339)
		f.dispatch("MESSAGE_UPDATE", stranger)
		f.dispatch("MESSAGE_DELETE", map[string]any{"id": "3998", "channel_id": fakeOther, "guild_id": fakeGuild})
		f.dispatch("MESSAGE_DELETE", map[string]any{"id": "3101", "channel_id": "3100", "guild_id": fakeGuild})
		env.Eventually("edit and delete recorded", func() bool {
			ms := env.Messages(tk.ID)
			return len(ms) == 2 && ms[0].EditedAt != nil && ms[1].DeletedAt != nil
		})
		ms := env.Messages(tk.ID)
		if ms[0].Text != "주문 취소 원해요 (A-1042)" || ms[0].Meta["original_text"] != "주문 취소 원해요" {
			t.Errorf("edited message: text %q, meta %v", ms[0].Text, ms[0].Meta)
		}
		if ms[1].Text != "잘못 보냈어요" || ms[1].EditedAt != nil {
			t.Errorf("the unfurl update changed message 2: %q edited %v", ms[1].Text, ms[1].EditedAt)
		}
		var quarantined int64
		env.Store.DB.Model(&store.Quarantine{}).Count(&quarantined)
		if quarantined != 0 {
			t.Errorf("quarantined %d events, want none", quarantined)
		}
	})
}

func TestResumeAfterDrop(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env, f, ch := setup(t, dialect, nil)
		const dm = "950000000000000003"
		send := func(from, to int) {
			for i := from; i < to; i++ {
				f.dispatch("MESSAGE_CREATE", userMessage(fmt.Sprintf("41%02d", i), dm, "", customer, "minji", fmt.Sprintf("message %d", i)))
			}
		}
		send(0, 5)
		var tk *store.Ticket
		env.Eventually("first messages", func() bool {
			tk = ticketByKey(t, env, ThreadKey(dm))
			return tk != nil && inboundCount(env, tk.ID) == 5
		})
		// Drop right after more events went out: some may be unread.
		send(5, 8)
		f.drop()
		// Sent while the bot is away: only a RESUME gets them.
		send(8, 12)
		waitConnected(t, env, f, ch)
		// A redelivered event (as after an invalid session) is stored once.
		send(3, 4)
		send(12, 15)
		env.Eventually("all messages after resume", func() bool { return inboundCount(env, tk.ID) == 15 })
		// Discord asks for a reconnect (op 7): close, reconnect, resume.
		f.askReconnect()
		send(15, 18)
		env.Eventually("resumed after op 7", func() bool {
			_, resumes, _, _ := f.counts()
			return resumes >= 2 && f.connected()
		})
		send(18, 20)
		env.Eventually("all messages after op 7", func() bool { return inboundCount(env, tk.ID) == 20 })
		identifies, resumes, _, _ := f.counts()
		if identifies != 1 || resumes != 2 {
			t.Errorf("identifies = %d, resumes = %d; want one session resumed twice", identifies, resumes)
		}
		f.mu.Lock()
		heartbeats := f.heartbeats
		f.mu.Unlock()
		if heartbeats < 3 {
			t.Errorf("heartbeats = %d, want one per connection at least", heartbeats)
		}
		seen := map[string]int{}
		for _, m := range env.Messages(tk.ID) {
			seen[*m.ExternalID]++
		}
		for i := range 20 {
			id := fmt.Sprintf("41%02d", i)
			if seen[id] != 1 {
				t.Errorf("message %s stored %d times, want exactly once", id, seen[id])
			}
		}
		if len(env.Tickets()) != 1 {
			t.Errorf("tickets = %d, want 1", len(env.Tickets()))
		}
	})
}
