package discord

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
)

// snowflake returns a Discord id made now, as real message ids are: the
// catch-up skips checkpoints older than two weeks.
func snowflake(n int) string {
	ms := time.Now().UnixMilli() - 1420070400000
	return strconv.FormatInt(ms<<22+int64(n), 10)
}

func TestBackfillAfterNewSession(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env, f, ch := setup(t, dialect, nil)
		const dm = "950000000000000008"
		ids := make([]string, 8)
		for i := range ids {
			ids[i] = snowflake(i)
		}
		f.dispatch("MESSAGE_CREATE", userMessage(ids[0], dm, "", customer, "minji", "DM 1"))
		f.dispatch("MESSAGE_CREATE", userMessage(ids[1], fakeSupport, fakeGuild, customer, "minji", "채널 1"))
		f.dispatch("MESSAGE_CREATE", userMessage(ids[2], ids[1], fakeGuild, customer, "minji", "스레드 1"))
		var dmT, threadT *store.Ticket
		env.Eventually("first messages", func() bool {
			dmT, threadT = ticketByKey(t, env, ThreadKey(dm)), ticketByKey(t, env, ThreadKey(ids[1]))
			return dmT != nil && threadT != nil && inboundCount(env, threadT.ID) == 2
		})

		// The session ends (the bot was away too long): Discord will not
		// replay, so what was said meanwhile must come from the history.
		f.drop()
		f.invalidate()
		f.offline(userMessage(ids[3], dm, "", customer, "minji", "DM 2 (offline)"))
		f.offline(userMessage(ids[4], ids[1], fakeGuild, customer, "minji", "스레드 2 (offline)"))
		f.offline(userMessage(ids[5], fakeSupport, fakeGuild, "700000000000000003", "seojun", "새 문의 (offline)"))
		f.offline(userMessage(ids[6], fakeOther, fakeGuild, customer, "minji", "unwatched"))
		waitConnected(t, env, f, ch)
		env.Eventually("offline messages caught up", func() bool {
			return inboundCount(env, dmT.ID) == 2 && inboundCount(env, threadT.ID) == 3 && ticketByKey(t, env, ThreadKey(ids[5])) != nil
		})
		f.dispatch("MESSAGE_CREATE", userMessage(ids[7], dm, "", customer, "minji", "DM 3 (live)"))
		env.Eventually("live after catch-up", func() bool { return inboundCount(env, dmT.ID) == 3 })
		if identifies, _, _, _ := f.counts(); identifies != 2 {
			t.Errorf("identifies = %d, want 2 (the invalidated session was replaced)", identifies)
		}
		if n := len(env.Tickets()); n != 3 {
			t.Errorf("tickets = %d, want 3 (DM, thread, new offline question)", n)
		}
		// The checkpoint is written after the message is stored, so it is
		// waited for (a CI race-detector run read it in between once).
		wants := []string{`"` + dm + `":{"last":"` + ids[7] + `"}`, `"` + ids[1] + `":{"last":"` + ids[4] + `","guild":"` + fakeGuild + `"}`}
		var raw string
		env.Eventually("checkpoints of the live message", func() bool {
			var err error
			if raw, err = env.Store.GetState(context.Background(), ch.ID, checkpointKey); err != nil {
				return false
			}
			for _, want := range wants {
				if !strings.Contains(raw, want) {
					return false
				}
			}
			return true
		})
	})
}
