package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// Limits on inbound messages.
const (
	// MaxAttachmentBytes bounds one mirrored attachment; larger files are
	// noted in the message instead.
	MaxAttachmentBytes = 8 << 20
	// maxAttachments bounds the files mirrored from one message, and
	// maxAttachmentTotal their bytes together.
	maxAttachments     = 10
	maxAttachmentTotal = 25 << 20
	// maxPlaces bounds the channel placement cache.
	maxPlaces = 10000
	// handleAttempts bounds the retries of one gateway event before it is
	// quarantined; the gateway stream waits meanwhile, so order is kept.
	handleAttempts = 8
)

// handleBackoff is the first wait between attempts at one event.
var handleBackoff = time.Second

// Where a channel is, for inbound routing.
type placeKind int

const (
	placeNone    placeKind = iota // not watched
	placeSupport                  // a support channel
	placeThread                   // a thread under a support channel
	placeDM                       // a direct message channel
)

type place struct {
	kind   placeKind
	parent string // the support channel of a thread
}

// ThreadKey is the thread key of a Discord thread or DM channel.
func ThreadKey(channelID string) string { return "discord:" + channelID }

// channelUserKey threads the messages of one user in a support channel when
// open_threads is off.
func channelUserKey(channelID, userID string) string {
	return "discord:" + channelID + ":" + userID
}

func (c *Channel) isBot(u *discordgo.User) bool {
	if u == nil || u.Bot || u.System {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return u.ID == c.botID
}

// onCreateRaw decodes a MESSAGE_CREATE payload and handles it; a payload
// that does not decode is quarantined.
func (c *Channel) onCreateRaw(ctx context.Context, sink connectors.Sink, st *discordgo.State, raw json.RawMessage) {
	var m discordgo.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		var id struct {
			ID any `json:"id"`
		}
		_ = json.Unmarshal(raw, &id)
		ext := fmt.Sprint(id.ID)
		c.log.Error("discord: message quarantined", "message_id", ext, "err", err)
		if c.deps.Quarantine != nil {
			if qerr := c.deps.Quarantine.Quarantine(ctx, c.ch.ID, ext, raw, "discord message: undecodable: "+err.Error()); qerr != nil {
				c.log.Error("discord: quarantine", "message_id", ext, "err", qerr)
			}
		}
		return
	}
	c.onCreate(ctx, sink, st, &m)
}

// onCreate handles MESSAGE_CREATE. It runs on the gateway's reader, so the
// next event waits until this one is stored (or given up and quarantined).
func (c *Channel) onCreate(ctx context.Context, sink connectors.Sink, st *discordgo.State, m *discordgo.Message) {
	if c.isBot(m.Author) || m.WebhookID != "" {
		return
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return // joins, pins, thread notices...
	}
	c.retry(ctx, "message", m, func() error {
		pl, err := c.classify(ctx, st, m)
		if err != nil || pl.kind == placeNone {
			return err
		}
		in := c.inbound(ctx, st, m, pl)
		if _, err := sink.Ingest(ctx, in); err != nil {
			return err
		}
		c.log.Debug("discord: message stored", "message_id", m.ID, "channel", m.ChannelID)
		// Checkpoints move only after the message is committed.
		if err := c.checkpoints.advance(ctx, m.ChannelID, m.GuildID, m.ID); err != nil {
			c.log.Warn("discord: save checkpoint", "channel", m.ChannelID, "err", err)
		}
		if thread, _ := in.Meta["thread_id"].(string); pl.kind == placeSupport && thread != "" {
			if err := c.checkpoints.advance(ctx, thread, m.GuildID, thread); err != nil {
				c.log.Warn("discord: save checkpoint", "channel", thread, "err", err)
			}
		}
		return nil
	})
}

// onUpdate records an edit of a stored message.
func (c *Channel) onUpdate(ctx context.Context, st *discordgo.State, m *discordgo.Message) {
	if m.Author != nil && c.isBot(m.Author) {
		return
	}
	if m.EditedTimestamp == nil {
		return // embeds unfurled, a pin: not an edit of the text
	}
	ed := c.deps.Edits
	if ed == nil {
		return
	}
	c.retry(ctx, "edit", m, func() error {
		err := ed.EditMessage(ctx, c.ch.ID, m.ID, c.render(st, m), false)
		if errors.Is(err, inbox.ErrNotFound) {
			return nil // not a message of a ticket
		}
		return err
	})
}

// onDelete records the deletion of a stored message.
func (c *Channel) onDelete(ctx context.Context, id string) {
	ed := c.deps.Edits
	if ed == nil {
		return
	}
	c.retry(ctx, "delete", &discordgo.Message{ID: id}, func() error {
		err := ed.EditMessage(ctx, c.ch.ID, id, "", true)
		if errors.Is(err, inbox.ErrNotFound) {
			return nil
		}
		return err
	})
}

// retry runs fn until it succeeds, backing off between attempts. Input the
// inbox rejects, and events that keep failing, are quarantined with the raw
// payload so an admin sees them.
func (c *Channel) retry(ctx context.Context, what string, m *discordgo.Message, fn func() error) {
	wait := handleBackoff
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || ctx.Err() != nil {
			return
		}
		if errors.Is(err, inbox.ErrInvalid) || attempt >= handleAttempts {
			c.quarantine(ctx, m, fmt.Sprintf("discord %s: %v", what, err))
			return
		}
		c.log.Warn("discord: could not handle "+what+"; retrying", "message_id", m.ID, "attempt", attempt, "err", err)
		if !connectors.Sleep(ctx, wait) {
			return
		}
		wait = min(wait*2, 30*time.Second)
	}
}

func (c *Channel) quarantine(ctx context.Context, m *discordgo.Message, reason string) {
	raw, _ := json.Marshal(m)
	c.log.Error("discord: message quarantined", "message_id", m.ID, "reason", reason)
	if c.deps.Quarantine == nil {
		return
	}
	if err := c.deps.Quarantine.Quarantine(ctx, c.ch.ID, m.ID, raw, reason); err != nil {
		c.log.Error("discord: quarantine", "message_id", m.ID, "err", err)
	}
}

// classify says whether a message is in a support channel, a thread under
// one, a DM, or somewhere not watched. Threads are looked up in the gateway
// state, then over REST; answers are cached.
func (c *Channel) classify(ctx context.Context, st *discordgo.State, m *discordgo.Message) (place, error) {
	if m.GuildID == "" {
		if !c.settings.allowDMs() {
			return place{}, nil
		}
		return place{kind: placeDM}, nil
	}
	if c.settings.GuildID != "" && m.GuildID != c.settings.GuildID {
		return place{}, nil
	}
	if c.support[m.ChannelID] {
		return place{kind: placeSupport}, nil
	}
	c.mu.Lock()
	pl, ok := c.places[m.ChannelID]
	c.mu.Unlock()
	if ok {
		return pl, nil
	}
	var ch *discordgo.Channel
	if st != nil {
		ch, _ = st.Channel(m.ChannelID)
	}
	if ch == nil {
		var err error
		ch, err = c.rest.Channel(m.ChannelID, discordgo.WithContext(ctx))
		if err != nil {
			switch httpStatus(err) {
			case http.StatusForbidden, http.StatusNotFound:
				ch = &discordgo.Channel{ID: m.ChannelID}
			default:
				return place{}, fmt.Errorf("discord: look up channel %s: %w", m.ChannelID, err)
			}
		}
	}
	if ch.IsThread() && c.support[ch.ParentID] {
		pl = place{kind: placeThread, parent: ch.ParentID}
	}
	c.remember(m.ChannelID, pl)
	return pl, nil
}

func (c *Channel) remember(channelID string, pl place) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.places) >= maxPlaces {
		clear(c.places)
	}
	c.places[channelID] = pl
}

// inbound builds the Inbound for a customer message, opening a Discord
// thread for a new conversation in a support channel when configured.
func (c *Channel) inbound(ctx context.Context, st *discordgo.State, m *discordgo.Message, pl place) *inbox.Inbound {
	in := &inbox.Inbound{
		ChannelID:  c.ch.ID,
		ExternalID: m.ID,
		Contact: inbox.ContactRef{
			Kind: inbox.IdentityDiscord, ID: m.Author.ID, Verified: true, Name: displayName(m.Author, m.Member),
		},
		SentAt: m.Timestamp,
		Meta:   map[string]any{"message_id": m.ID, "author_id": m.Author.ID},
	}
	if m.GuildID != "" {
		in.Meta["guild_id"] = m.GuildID
	}
	var key string
	switch pl.kind {
	case placeDM:
		key = ThreadKey(m.ChannelID)
		in.Meta["channel_id"] = m.ChannelID
		in.Meta["dm"] = true
	case placeThread:
		key = ThreadKey(m.ChannelID)
		in.Meta["channel_id"] = pl.parent
		in.Meta["thread_id"] = m.ChannelID
	case placeSupport:
		in.Meta["channel_id"] = m.ChannelID
		if c.settings.openThreads() {
			thread, err := c.openThread(ctx, m)
			if err == nil {
				in.Meta["thread_id"] = thread
				in.OwnKeys = []string{ThreadKey(thread)}
				c.remember(thread, place{kind: placeThread, parent: m.ChannelID})
				break
			}
			c.log.Warn("discord: could not open a thread; replying in the channel", "message_id", m.ID, "err", err)
			in.Meta["thread_error"] = err.Error()
		}
		key = channelUserKey(m.ChannelID, m.Author.ID)
	}
	if key != "" {
		in.ThreadKeys = []string{key}
		in.OwnKeys = []string{key}
	}
	text := c.render(st, m)
	atts, notes := c.attachments(ctx, m.Attachments)
	in.Attachments = atts
	if len(notes) > 0 {
		in.Meta["attachment_errors"] = notes
		for _, n := range notes {
			text += "\n[attachment not copied: " + n + "]"
		}
	}
	for _, s := range m.StickerItems {
		text += "\n[sticker: " + s.Name + "]"
	}
	text = strings.TrimSpace(text)
	if text == "" && len(atts) == 0 {
		text = "[message without text]"
	}
	if len(text) > inbox.MaxTextBytes {
		text = plaintext.Clip(text, inbox.MaxTextBytes)
	}
	in.Text = text
	return in
}

// openThread starts a public thread on a customer's message and adds the
// customer to it, so they are notified of replies. A thread that already
// exists for the message (a replayed event) is reused: its id is the
// message's id.
func (c *Channel) openThread(ctx context.Context, m *discordgo.Message) (string, error) {
	name := displayName(m.Author, m.Member)
	if first, _, _ := strings.Cut(strings.TrimSpace(c.render(nil, m)), "\n"); first != "" {
		name += ": " + first
	}
	th, err := c.rest.MessageThreadStartComplex(m.ChannelID, m.ID, &discordgo.ThreadStart{
		Name: plaintext.Shorten(name, 100), AutoArchiveDuration: 10080,
	}, discordgo.WithContext(ctx))
	if err != nil {
		if apiCode(err) == 160004 { // a thread has already been created for this message
			return m.ID, nil
		}
		return "", fmt.Errorf("discord: start thread: %w", err)
	}
	if err := c.rest.ThreadMemberAdd(th.ID, m.Author.ID, discordgo.WithContext(ctx)); err != nil {
		c.log.Warn("discord: add customer to thread", "thread_id", th.ID, "err", err)
	}
	return th.ID, nil
}

// attachments mirrors a message's files, bounded in size and number.
// Failures become notes; they never fail the message.
func (c *Channel) attachments(ctx context.Context, list []*discordgo.MessageAttachment) ([]inbox.Attachment, []string) {
	var (
		out   []inbox.Attachment
		notes []string
		total int
	)
	for i, a := range list {
		if a == nil {
			continue
		}
		name := a.Filename
		if name == "" {
			name = "attachment"
		}
		if i >= maxAttachments {
			notes = append(notes, fmt.Sprintf("%s (more than %d files)", name, maxAttachments))
			continue
		}
		if a.Size > MaxAttachmentBytes {
			notes = append(notes, fmt.Sprintf("%s (%d bytes, larger than %d)", name, a.Size, MaxAttachmentBytes))
			continue
		}
		if total+a.Size > maxAttachmentTotal {
			notes = append(notes, fmt.Sprintf("%s (the message's files exceed %d bytes together)", name, maxAttachmentTotal))
			continue
		}
		data, err := c.download(ctx, a.URL)
		if err != nil {
			c.log.Warn("discord: download attachment", "file", name, "err", err)
			notes = append(notes, fmt.Sprintf("%s (%v)", name, err))
			continue
		}
		ct := a.ContentType
		if ct == "" {
			ct = http.DetectContentType(data)
		}
		total += len(data)
		out = append(out, inbox.Attachment{Name: name, ContentType: ct, Data: data})
	}
	return out, notes
}

// download fetches an attachment from Discord's CDN (or the api_base host).
func (c *Channel) download(ctx context.Context, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !c.fileHosts[u.Host] {
		return nil, errors.New("not a Discord attachment URL")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download failed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download answered %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxAttachmentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("download failed: %w", err)
	}
	if len(data) > MaxAttachmentBytes {
		return nil, fmt.Errorf("larger than %d bytes", MaxAttachmentBytes)
	}
	return data, nil
}

// displayName is the name a person shows in a guild: nickname, global
// display name, then username.
func displayName(u *discordgo.User, m *discordgo.Member) string {
	switch {
	case m != nil && m.Nick != "":
		return m.Nick
	case u == nil:
		return ""
	case u.GlobalName != "":
		return u.GlobalName
	default:
		return u.Username
	}
}
