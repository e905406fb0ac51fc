package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

// Action ids of the notification buttons; the ticket id follows a colon.
const (
	ActionAssign  = "hanbox_assign"
	ActionResolve = "hanbox_resolve"
	ActionOpen    = "hanbox_open"
)

// ThreadKey is the inbox thread key of a Slack thread in a customer channel.
func ThreadKey(team, channel, threadTS string) string {
	return "slack:" + team + ":" + channel + ":" + threadTS
}

// ExternalID is the inbox external id of a Slack message.
func ExternalID(channel, ts string) string { return channel + ":" + ts }

// onMessage routes a message event: a thread reply in the notify channel is
// an agent's answer; a message in a customer channel is a customer's.
func (c *Channel) onMessage(ctx context.Context, team string, ev *slackevents.MessageEvent) error {
	custChan := slices.Contains(c.settings.CustomerChannels, ev.Channel)
	switch ev.SubType {
	case "", slackgo.MsgSubTypeFileShare, slackgo.MsgSubTypeThreadBroadcast:
	case slackgo.MsgSubTypeMessageChanged, slackgo.MsgSubTypeMessageDeleted:
		if custChan {
			return c.onEdit(ctx, ev)
		}
		return nil
	default:
		return nil // joins, topic changes, bot_message ...
	}
	self := c.identity()
	if ev.BotID != "" || ev.User == "" || ev.User == self.UserID || (ev.Message != nil && ev.Message.BotID != "") {
		return nil // bots, including Hanbox's own posts: no loops
	}
	switch {
	case ev.Channel == c.settings.NotifyChannel && c.settings.NotifyChannel != "":
		if ev.ThreadTimeStamp != "" && ev.ThreadTimeStamp != ev.TimeStamp {
			return c.agentReply(ctx, ev)
		}
		return nil
	case custChan:
		return c.customerMessage(ctx, team, ev)
	}
	return nil
}

// agentFor maps a Slack user to an active Hanbox agent by profile email;
// nil when the user is not an agent.
func (c *Channel) agentFor(ctx context.Context, u *slackgo.User) (*inbox.Agent, error) {
	if c.inbox == nil {
		return nil, connectors.Permanent(errors.New("slack: inbox service unavailable"))
	}
	if u.IsBot || u.Deleted || strings.TrimSpace(u.Profile.Email) == "" {
		return nil, nil
	}
	a, err := c.inbox.AgentByEmail(ctx, u.Profile.Email)
	if errors.Is(err, inbox.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// agentReply turns a reply in a notification's thread into a ticket reply
// (sent to the customer by the dispatcher) or, with the note prefix, a
// private note.
func (c *Channel) agentReply(ctx context.Context, ev *slackevents.MessageEvent) error {
	ticketID, ok, err := c.threadTicket(ctx, ev.Channel, ev.ThreadTimeStamp)
	if err != nil || !ok {
		return err
	}
	doneKey := "reply:" + ev.Channel + ":" + ev.TimeStamp
	if _, err := c.deps.State.Get(ctx, doneKey); err == nil {
		return nil // a redelivered event: the reply exists
	} else if !errors.Is(err, inbox.ErrNotFound) {
		return err
	}
	u, err := c.user(ctx, ev.User)
	if err != nil {
		return err
	}
	agent, err := c.agentFor(ctx, u)
	if err != nil {
		return err
	}
	if agent == nil {
		c.ephemeral(ctx, ev.Channel, ev.User, ev.ThreadTimeStamp,
			"Hanbox did not send this: your Slack email ("+orNone(u.Profile.Email)+") does not belong to an active Hanbox agent. Ask an admin to add you, or reply from the Hanbox inbox.")
		return c.deps.State.Put(ctx, doneKey, "ignored")
	}
	text := plainText(ev.Text)
	var files []slackgo.File
	if ev.Message != nil {
		files = ev.Message.Files
	}
	atts, notes := c.download(ctx, files)
	text = joinNotes(text, notes)
	var msg *inbox.Message
	if rest, isNote := cutPrefixFold(strings.TrimSpace(text), c.settings.NotePrefix); isNote {
		msg, err = c.inbox.AddNote(ctx, ticketID, agent.ID, strings.TrimSpace(rest), atts)
	} else {
		msg, err = c.inbox.Reply(ctx, inbox.ReplyInput{TicketID: ticketID, AgentID: agent.ID, Text: text, Attachments: atts})
	}
	if errors.Is(err, inbox.ErrInvalid) {
		c.ephemeral(ctx, ev.Channel, ev.User, ev.ThreadTimeStamp, "Hanbox could not use this reply: "+err.Error())
		return c.deps.State.Put(ctx, doneKey, "invalid")
	}
	if err != nil {
		return err
	}
	return c.deps.State.Put(ctx, doneKey, strconv.FormatInt(msg.ID, 10))
}

// customerMessage ingests a customer's message from a customer channel.
// Each Slack thread is one ticket.
func (c *Channel) customerMessage(ctx context.Context, team string, ev *slackevents.MessageEvent) error {
	u, err := c.user(ctx, ev.User)
	if err != nil {
		return err
	}
	if u.IsBot {
		return nil
	}
	if c.inbox != nil {
		agent, err := c.agentFor(ctx, u)
		if err != nil {
			return err
		}
		if agent != nil {
			return nil // an agent talking in the shared channel is not a customer
		}
	}
	thread := ev.ThreadTimeStamp
	if thread == "" {
		thread = ev.TimeStamp
	}
	key := ThreadKey(team, ev.Channel, thread)
	userTeam := u.TeamID
	if userTeam == "" {
		userTeam = ev.UserTeam
	}
	if userTeam == "" {
		userTeam = team
	}
	var files []slackgo.File
	if ev.Message != nil {
		files = ev.Message.Files
	}
	atts, notes := c.download(ctx, files)
	email := strings.TrimSpace(u.Profile.Email)
	in := &inbox.Inbound{
		ChannelID:  c.ch.ID,
		ExternalID: ExternalID(ev.Channel, ev.TimeStamp),
		ThreadKeys: []string{key},
		OwnKeys:    []string{key},
		Contact: inbox.ContactRef{
			Kind: inbox.IdentitySlack, ID: userTeam + "/" + ev.User, Verified: true,
			Name: displayName(u), Email: email, EmailVerified: email != "", Locale: u.Locale,
		},
		Text:        joinNotes(plainText(ev.Text), notes),
		Attachments: atts,
		Meta: map[string]any{
			"slack_team": team, "slack_channel": ev.Channel, "slack_ts": ev.TimeStamp,
			"slack_thread_ts": thread, "slack_user": ev.User,
		},
		SentAt: tsTime(ev.TimeStamp),
	}
	c.mu.Lock()
	sink := c.sink
	c.mu.Unlock()
	if sink == nil {
		return errors.New("slack: channel not started")
	}
	if _, err := sink.Ingest(ctx, in); err != nil {
		return fmt.Errorf("slack: ingest %s: %w", in.ExternalID, err)
	}
	return nil
}

// onEdit records a customer's edit or deletion of a message already stored.
func (c *Channel) onEdit(ctx context.Context, ev *slackevents.MessageEvent) error {
	if c.inbox == nil || ev.Message == nil {
		return nil
	}
	var err error
	if ev.SubType == slackgo.MsgSubTypeMessageDeleted {
		ts := ev.DeletedTimeStamp
		if ts == "" {
			ts = ev.Message.DeletedTimestamp
		}
		err = c.inbox.EditMessage(ctx, c.ch.ID, ExternalID(ev.Channel, ts), "", true)
	} else {
		if ev.Message.BotID != "" {
			return nil
		}
		err = c.inbox.EditMessage(ctx, c.ch.ID, ExternalID(ev.Channel, ev.Message.Timestamp), plainText(ev.Message.Text), false)
	}
	if errors.Is(err, inbox.ErrNotFound) {
		return nil // a message Hanbox never stored (an agent's, or before the channel existed)
	}
	return err
}

// onInteraction handles the notification buttons.
func (c *Channel) onInteraction(ctx context.Context, ic *slackgo.InteractionCallback) error {
	if ic.Type != slackgo.InteractionTypeBlockActions {
		return nil
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	for _, a := range ic.ActionCallback.BlockActions {
		op, idStr, _ := strings.Cut(a.ActionID, ":")
		if op == ActionRate {
			if err := c.rate(ctx, ic, channel, idStr); err != nil {
				return err
			}
			continue
		}
		if op != ActionAssign && op != ActionResolve {
			continue // the link button also reports a click
		}
		if idStr == "" {
			idStr = a.Value
		}
		ticketID, err := strconv.ParseInt(idStr, 10, 64)
		if err != nil || ticketID <= 0 {
			return fmt.Errorf("%w: action %q has no ticket id", errBadInput, a.ActionID)
		}
		u, err := c.user(ctx, ic.User.ID)
		if err != nil {
			return err
		}
		agent, err := c.agentFor(ctx, u)
		if err != nil {
			return err
		}
		if agent == nil {
			c.ephemeral(ctx, channel, ic.User.ID, "", "Hanbox did nothing: your Slack email ("+orNone(u.Profile.Email)+") does not belong to an active Hanbox agent.")
			continue
		}
		var p inbox.TicketPatch
		if op == ActionAssign {
			p.AssigneeID = &agent.ID
		} else {
			st := inbox.StatusResolved
			p.Status = &st
		}
		if _, err := c.inbox.UpdateTicket(ctx, ticketID, agent.ID, p); err != nil {
			if errors.Is(err, inbox.ErrInvalid) || errors.Is(err, inbox.ErrNotFound) {
				c.ephemeral(ctx, channel, ic.User.ID, "", "Hanbox could not do that: "+err.Error())
				continue
			}
			return err
		}
	}
	return nil
}

// ephemeral tells one Slack user something only they see. Failures are only
// logged: the message is a courtesy.
func (c *Channel) ephemeral(ctx context.Context, channel, user, threadTS, text string) {
	if channel == "" || user == "" {
		return
	}
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(text, false)}
	if threadTS != "" {
		opts = append(opts, slackgo.MsgOptionTS(threadTS))
	}
	if _, err := c.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
		c.log.Warn("slack ephemeral message failed", "channel", channel, "user", user, "err", err)
	}
}

// download mirrors message files, each bounded by MaxFileBytes. Files that
// cannot be mirrored are described in notes instead of failing the message.
func (c *Channel) download(ctx context.Context, files []slackgo.File) ([]inbox.Attachment, []string) {
	var atts []inbox.Attachment
	var notes []string
	max := min(c.settings.MaxFileBytes, inbox.MaxAttachmentBytes)
	for _, f := range files {
		name := f.Name
		if name == "" {
			name = f.Title
		}
		u := f.URLPrivateDownload
		if u == "" {
			u = f.URLPrivate
		}
		switch {
		case len(atts) >= inbox.MaxAttachments:
			notes = append(notes, fmt.Sprintf("[file %q not mirrored: too many files]", name))
			continue
		case int64(f.Size) > max:
			notes = append(notes, fmt.Sprintf("[file %q not mirrored: larger than %d bytes]", name, max))
			continue
		case u == "":
			notes = append(notes, fmt.Sprintf("[file %q not mirrored: no download URL]", name))
			continue
		}
		buf := &capped{max: max}
		if err := c.api.GetFileContext(ctx, u, buf); err != nil {
			c.log.Warn("slack file download failed", "file", f.ID, "err", err)
			notes = append(notes, fmt.Sprintf("[file %q not mirrored: %v]", name, err))
			continue
		}
		atts = append(atts, inbox.Attachment{Name: name, ContentType: f.Mimetype, Data: buf.Bytes()})
	}
	return atts, notes
}

// capped is a buffer that refuses to grow past max bytes.
type capped struct {
	bytes.Buffer
	max int64
}

var errTooLarge = errors.New("file is larger than the limit")

func (b *capped) Write(p []byte) (int, error) {
	if int64(b.Len()+len(p)) > b.max {
		return 0, errTooLarge
	}
	return b.Buffer.Write(p)
}

// threadTicket finds the ticket whose notification starts the thread.
func (c *Channel) threadTicket(ctx context.Context, channel, threadTS string) (int64, bool, error) {
	v, err := c.deps.State.Get(ctx, threadStateKey(channel, threadTS))
	if errors.Is(err, inbox.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, nil
	}
	return id, true, nil
}

func threadStateKey(channel, ts string) string { return "thread:" + channel + ":" + ts }

var (
	linkRe    = regexp.MustCompile(`<([^<>|]+)\|([^<>]+)>`)
	bareRe    = regexp.MustCompile(`<([^<>|]+)>`)
	unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// plainText turns Slack's message markup into plain text: links become
// "label (url)", mentions keep their label, entities are decoded.
func plainText(s string) string {
	s = linkRe.ReplaceAllStringFunc(s, func(m string) string {
		p := linkRe.FindStringSubmatch(m)
		target, label := p[1], p[2]
		switch {
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"), strings.HasPrefix(target, "!"):
			if strings.HasPrefix(target, "@") {
				return "@" + label
			}
			if strings.HasPrefix(target, "#") {
				return "#" + label
			}
			return label
		case strings.HasPrefix(target, "mailto:"):
			return label
		case label == target:
			return target
		}
		return label + " (" + target + ")"
	})
	s = bareRe.ReplaceAllStringFunc(s, func(m string) string {
		t := m[1 : len(m)-1]
		switch {
		case strings.HasPrefix(t, "!"):
			return "@" + strings.TrimPrefix(t, "!")
		case strings.HasPrefix(t, "mailto:"):
			return strings.TrimPrefix(t, "mailto:")
		}
		return t
	})
	return unescaper.Replace(s)
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if prefix == "" || len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func joinNotes(text string, notes []string) string {
	if len(notes) == 0 {
		return text
	}
	if strings.TrimSpace(text) == "" {
		return strings.Join(notes, "\n")
	}
	return text + "\n\n" + strings.Join(notes, "\n")
}

func displayName(u *slackgo.User) string {
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name} {
		if strings.TrimSpace(n) != "" {
			return n
		}
	}
	return u.ID
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// tsTime converts a Slack ts ("1700000000.000100") to a time.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000).UTC()
}

// rate records a customer's rating button click ("<survey>:<score>"): the
// clicking Slack user must be the survey's customer. They get the
// thank-you only they see.
func (c *Channel) rate(ctx context.Context, ic *slackgo.InteractionCallback, channel, arg string) error {
	publicID, scoreStr, _ := strings.Cut(arg, ":")
	score, err := strconv.Atoi(scoreStr)
	if err != nil || publicID == "" {
		return fmt.Errorf("%w: rating action %q", errBadInput, arg)
	}
	team := ic.User.TeamID
	if team == "" {
		team = ic.Team.ID
	}
	a, err := c.inbox.AnswerSurveyByIdentity(ctx, inbox.IdentitySlack, team+"/"+ic.User.ID, publicID, score, "")
	switch {
	case errors.Is(err, inbox.ErrSurveyExpired):
		c.ephemeral(ctx, channel, ic.User.ID, ic.Container.ThreadTs, "이 설문은 마감되었습니다. / This survey has closed.")
		return nil
	case errors.Is(err, inbox.ErrNotFound) || errors.Is(err, inbox.ErrInvalid):
		// Someone else's survey (another person in a shared channel), or
		// a score it does not take.
		c.ephemeral(ctx, channel, ic.User.ID, ic.Container.ThreadTs, "이 평가는 요청받은 고객님만 남기실 수 있습니다. / Only the customer who was asked can answer this.")
		return nil
	case err != nil:
		return err
	}
	_, _, thanks := a.Texts(a.Locale)
	c.ephemeral(ctx, channel, ic.User.ID, ic.Container.ThreadTs, thanks)
	return nil
}
