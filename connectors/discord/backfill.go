package discord

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hanbox/hanbox/connectors"
)

// A RESUME makes Discord replay what a dropped socket missed, but a new
// session (a restart, a failover to another instance, an invalidated
// session) starts from now. To not lose what was said in between, the
// connector keeps, per watched channel, the id of the newest message it
// stored, and after every READY fetches newer messages over REST. The inbox
// dedupes what the gateway also delivered.

const (
	checkpointKey = "checkpoints"
	// maxCheckpoints bounds the channels remembered; the least recently
	// active are forgotten first.
	maxCheckpoints = 200
	// backfillAge is how old a checkpoint may be and still be caught up.
	backfillAge = 14 * 24 * time.Hour
	// backfillPages bounds the pages of 100 messages fetched per channel.
	backfillPages = 10
)

// checkpoint is the newest stored message of one channel.
type checkpoint struct {
	Last  string `json:"last"`
	Guild string `json:"guild,omitempty"` // empty for DMs
}

// checkpoints tracks the newest stored message per channel, persisted in the
// channel's State.
type checkpoints struct {
	state connectors.State

	mu     sync.Mutex
	m      map[string]checkpoint
	putMu  sync.Mutex // orders Puts so an older map never overwrites a newer one
	loaded bool
}

func (cp *checkpoints) load(ctx context.Context) error {
	if cp.state == nil {
		return nil
	}
	raw, err := cp.state.Get(ctx, checkpointKey)
	if errors.Is(err, connectors.ErrNotFound) {
		raw, err = "{}", nil
	}
	if err != nil {
		return err
	}
	m := map[string]checkpoint{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		m = map[string]checkpoint{} // a corrupt value only costs the catch-up
	}
	cp.mu.Lock()
	cp.m, cp.loaded = m, true
	cp.mu.Unlock()
	return nil
}

// advance records that message id of channelID is stored. It never moves a
// checkpoint backwards.
func (cp *checkpoints) advance(ctx context.Context, channelID, guildID, id string) error {
	cp.putMu.Lock()
	defer cp.putMu.Unlock()
	cp.mu.Lock()
	if !cp.loaded {
		cp.mu.Unlock()
		return nil
	}
	if cur, ok := cp.m[channelID]; ok && !newer(id, cur.Last) {
		cp.mu.Unlock()
		return nil
	}
	cp.m[channelID] = checkpoint{Last: id, Guild: guildID}
	for len(cp.m) > maxCheckpoints {
		oldest := ""
		for ch, c := range cp.m {
			if oldest == "" || newer(cp.m[oldest].Last, c.Last) {
				oldest = ch
			}
		}
		delete(cp.m, oldest)
	}
	raw, err := json.Marshal(cp.m)
	cp.mu.Unlock()
	if err != nil || cp.state == nil {
		return err
	}
	return cp.state.Put(ctx, checkpointKey, string(raw))
}

func (cp *checkpoints) forget(channelID string) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	delete(cp.m, channelID)
}

func (cp *checkpoints) snapshot() map[string]checkpoint {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	out := make(map[string]checkpoint, len(cp.m))
	for k, v := range cp.m {
		out[k] = v
	}
	return out
}

// newer reports whether snowflake a is after snowflake b.
func newer(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return a > b
	}
	return x > y
}

// backfill fetches, for every remembered channel, the messages newer than
// its checkpoint and handles them like gateway events, oldest first.
func (c *Channel) backfill(ctx context.Context, sink connectors.Sink, st *discordgo.State) {
	cps := c.checkpoints.snapshot()
	total := 0
	for channelID, cp := range cps {
		if ctx.Err() != nil {
			return
		}
		if at, err := discordgo.SnowflakeTimestamp(cp.Last); err == nil && time.Since(at) > backfillAge {
			c.checkpoints.forget(channelID)
			continue
		}
		after := cp.Last
		for page := 0; page < backfillPages; page++ {
			msgs, err := c.fetchAfter(ctx, channelID, after)
			if err != nil {
				switch httpStatus(err) {
				case http.StatusForbidden, http.StatusNotFound:
					c.checkpoints.forget(channelID) // deleted, or the bot lost access
				default:
					c.log.Warn("discord: catch up on channel", "channel", channelID, "err", err)
				}
				break
			}
			if len(msgs) == 0 {
				break
			}
			slices.SortFunc(msgs, func(a, b *discordgo.Message) int {
				switch {
				case newer(a.ID, b.ID):
					return 1
				case newer(b.ID, a.ID):
					return -1
				}
				return 0
			})
			for _, m := range msgs {
				m.GuildID = cp.Guild // REST messages do not carry it
				c.onCreate(ctx, sink, st, m)
				total++
			}
			after = msgs[len(msgs)-1].ID
			if len(msgs) < 100 {
				break
			}
		}
	}
	if total > 0 {
		c.log.Info("discord: caught up on messages sent while disconnected", "messages", total)
	}
}

// fetchAfter lists up to 100 messages after id, waiting out one rate limit.
func (c *Channel) fetchAfter(ctx context.Context, channelID, after string) ([]*discordgo.Message, error) {
	for attempt := 0; ; attempt++ {
		msgs, err := c.rest.ChannelMessages(channelID, 100, "", after, "", discordgo.WithContext(ctx))
		var rle *discordgo.RateLimitError
		if attempt == 0 && errors.As(err, &rle) && rle.RateLimit != nil && rle.TooManyRequests != nil {
			if !connectors.Sleep(ctx, rle.RetryAfter) {
				return nil, ctx.Err()
			}
			continue
		}
		return msgs, err
	}
}
