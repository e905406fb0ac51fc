package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

// Discord's limits on one message.
const (
	maxContent     = 2000
	maxFiles       = 10
	maxUploadBytes = 10 << 20 // the upload limit of a server without boosts
)

// sendPayload is a create-message body. It is ours rather than
// discordgo.MessageSend because that lacks nonce enforcement, which makes a
// retried reply (a 429 on its second part, a lost response) idempotent.
type sendPayload struct {
	Content         string                           `json:"content,omitempty"`
	Nonce           string                           `json:"nonce,omitempty"`
	EnforceNonce    bool                             `json:"enforce_nonce,omitempty"`
	AllowedMentions discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Reference       *discordgo.MessageReference      `json:"message_reference,omitempty"`
	// Components are a survey request's rating buttons (survey.go).
	Components []discordgo.MessageComponent `json:"components,omitempty"`
}

type post struct {
	content string
	files   []*discordgo.File
}

// Send implements connectors.Connector: it posts an agent reply into the
// customer's thread or DM (or, without a thread, into the support channel as
// a reply to their message). Long text is split at 2000 characters; files
// are uploaded ten per message. Mentions in the text never ping anyone.
func (c *Channel) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	if out.ReplyTo == nil {
		return inbox.ExternalRef{}, fmt.Errorf("discord: the customer has not written on this channel: %w", connectors.ErrUnreachable)
	}
	meta := out.ReplyTo.Meta
	target, _ := meta["thread_id"].(string)
	inThread := target != ""
	if target == "" {
		target, _ = meta["channel_id"].(string)
	}
	if target == "" {
		return inbox.ExternalRef{}, connectors.Permanent(errors.New("discord: the customer's message has no channel id"))
	}
	dm, _ := meta["dm"].(bool)

	posts, err := c.posts(out)
	if err != nil {
		return inbox.ExternalRef{}, err
	}
	if wait := c.bucketWait(target); wait > time.Second {
		return inbox.ExternalRef{}, connectors.RetryAfter(wait, errors.New("discord: rate limited on this channel"))
	}
	var ids []string
	for i, p := range posts {
		body := sendPayload{
			Content: p.content,
			// Parse is empty, not nil: "parse": [] allows no @everyone, role
			// or user pings from text an agent may have pasted.
			AllowedMentions: discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		}
		if out.MessageID > 0 {
			body.Nonce = fmt.Sprintf("hb%d.%d", out.MessageID, i)
			body.EnforceNonce = true
		}
		if i == 0 && !inThread && !dm && out.ReplyTo.ExternalID != "" {
			body.Reference = &discordgo.MessageReference{MessageID: out.ReplyTo.ExternalID, ChannelID: target, FailIfNotExists: new(bool)}
			body.AllowedMentions.RepliedUser = true // notify the customer; there is no thread to follow
		}
		if out.Survey != nil && i == len(posts)-1 {
			body.Components = surveyComponents(out.Survey)
		}
		id, err := c.post(ctx, target, body, p.files)
		if err != nil {
			return inbox.ExternalRef{}, c.sendError(target, err)
		}
		ids = append(ids, id)
	}
	ref := inbox.ExternalRef{Meta: map[string]any{"discord_channel_id": target, "discord_message_ids": ids}}
	if len(ids) > 0 {
		ref.ID = ids[0]
	}
	return ref, nil
}

// post creates one message and returns its id.
func (c *Channel) post(ctx context.Context, channelID string, body sendPayload, files []*discordgo.File) (string, error) {
	endpoint := discordgo.EndpointChannelMessages(channelID)
	var (
		resp []byte
		err  error
	)
	if len(files) > 0 {
		ct, data, encErr := discordgo.MultipartBodyWithJSON(body, files)
		if encErr != nil {
			return "", connectors.Permanent(fmt.Errorf("discord: encode message: %w", encErr))
		}
		resp, err = c.rest.RequestRaw(http.MethodPost, endpoint, ct, data, endpoint, 0, discordgo.WithContext(ctx))
	} else {
		resp, err = c.rest.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint, discordgo.WithContext(ctx))
	}
	if err != nil {
		return "", err
	}
	var m struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp, &m); err != nil || m.ID == "" {
		return "", fmt.Errorf("discord: unexpected create-message answer: %.200s", resp)
	}
	return m.ID, nil
}

// posts splits a reply into Discord messages.
func (c *Channel) posts(out *inbox.Outbound) ([]post, error) {
	text := strings.TrimSpace(out.Text)
	var files []*discordgo.File
	for _, a := range out.Attachments {
		if a.Size > maxUploadBytes {
			text += fmt.Sprintf("\n[%s is too large for Discord (%d bytes); ask us for another way to get it]", a.Name, a.Size)
			continue
		}
		data, err := readAttachment(a)
		if err != nil {
			return nil, fmt.Errorf("discord: read attachment %s: %w", a.Name, err)
		}
		if len(data) > maxUploadBytes {
			text += fmt.Sprintf("\n[%s is too large for Discord; ask us for another way to get it]", a.Name)
			continue
		}
		files = append(files, &discordgo.File{Name: a.Name, ContentType: a.ContentType, Reader: bytes.NewReader(data)})
	}
	var posts []post
	for _, part := range splitText(strings.TrimSpace(text), maxContent) {
		posts = append(posts, post{content: part})
	}
	for len(files) > 0 {
		n := min(len(files), maxFiles)
		if len(posts) > 0 && posts[len(posts)-1].files == nil {
			posts[len(posts)-1].files = files[:n]
		} else {
			posts = append(posts, post{files: files[:n]})
		}
		files = files[n:]
	}
	if len(posts) == 0 {
		return nil, connectors.Permanent(errors.New("discord: the reply is empty"))
	}
	return posts, nil
}

func readAttachment(a inbox.OutboundAttachment) ([]byte, error) {
	if a.Open == nil {
		return nil, errors.New("no content")
	}
	r, err := a.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, maxUploadBytes+1))
}

// bucketWait is how long discordgo's rate limiter would sleep before the
// next message to channelID. A wait longer than a moment is handed to the
// dispatcher instead of blocking a sender.
func (c *Channel) bucketWait(channelID string) time.Duration {
	rl := c.rest.Ratelimiter
	b := rl.GetBucket(discordgo.EndpointChannelMessages(channelID))
	b.Lock()
	defer b.Unlock()
	return rl.GetWaitTime(b, 1)
}

// sendError steers the dispatcher: 429 waits, configuration problems fail
// at once with the fix, a customer who closed their DMs is unreachable.
func (c *Channel) sendError(target string, err error) error {
	var rle *discordgo.RateLimitError
	if errors.As(err, &rle) {
		d := time.Second
		if rle.RateLimit != nil && rle.TooManyRequests != nil && rle.RetryAfter > 0 {
			d = rle.RetryAfter
		}
		return connectors.RetryAfter(d, fmt.Errorf("discord: rate limited: %w", err))
	}
	switch httpStatus(err) {
	case http.StatusUnauthorized:
		return connectors.Permanent(fmt.Errorf("%w (%v)", errInvalidToken, err))
	case http.StatusForbidden:
		if apiCode(err) == 50007 { // cannot send messages to this user
			return fmt.Errorf("discord: the customer does not accept DMs from the bot: %w", connectors.ErrUnreachable)
		}
		return connectors.Permanent(fmt.Errorf("discord: the bot may not post in channel %s: give it View Channel, Send Messages, Send Messages in Threads and Attach Files there (%v)", target, err))
	case http.StatusNotFound:
		return connectors.Permanent(fmt.Errorf("discord: channel %s not found: it was deleted or the bot was removed from the server (%v)", target, err))
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return connectors.Permanent(fmt.Errorf("discord: message refused: %w", err))
	}
	return fmt.Errorf("discord: send: %w", err)
}

// splitText cuts s into parts of at most n characters (Discord counts
// characters, not bytes), preferring line breaks, then spaces.
func splitText(s string, n int) []string {
	var parts []string
	for s != "" {
		if utf8.RuneCountInString(s) <= n {
			parts = append(parts, s)
			break
		}
		cut := len(string([]rune(s)[:n])) // byte offset of n runes
		head := s[:cut]
		if i := strings.LastIndex(head, "\n"); i > cut/2 {
			cut = i + 1
		} else if i := strings.LastIndexAny(head, " \t"); i > cut/2 {
			cut = i + 1
		}
		if p := strings.TrimRight(s[:cut], " \t\n"); p != "" {
			parts = append(parts, p)
		}
		s = strings.TrimLeft(s[cut:], " \t\n")
	}
	return parts
}
