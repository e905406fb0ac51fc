package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// notice is the Slack message announcing one ticket, kept in the channel
// state so updates edit it and thread replies find their ticket.
type notice struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// Excerpt is the first message's excerpt, re-rendered on every update.
	Excerpt string `json:"excerpt,omitempty"`
}

func noticeKey(ticketID int64) string { return "ticket:" + strconv.FormatInt(ticketID, 10) }

// Notify implements connectors.Notifier: a new ticket posts one message to
// the notify channel, a ticket update edits it, and a later customer message
// is posted in its thread. Other events are ignored. Notify is idempotent
// across the dispatcher's retries: what was posted is remembered in the
// channel state before success is reported.
func (c *Channel) Notify(ctx context.Context, n *inbox.Notification) (inbox.ExternalRef, error) {
	if n.Event.Type == inbox.EventRuleNotify {
		return c.notifyRule(ctx, n)
	}
	if c.settings.NotifyChannel == "" {
		return inbox.ExternalRef{}, nil
	}
	switch n.Event.Type {
	case inbox.EventTicketCreated:
		return c.notifyCreated(ctx, n)
	case inbox.EventTicketUpdated:
		return c.notifyUpdated(ctx, n)
	case inbox.EventMessageCreated:
		if n.MessageDir == inbox.DirInbound {
			return c.notifyMessage(ctx, n)
		}
	}
	return inbox.ExternalRef{}, nil
}

func (c *Channel) loadNotice(ctx context.Context, ticketID int64) (*notice, error) {
	v, err := c.deps.State.Get(ctx, noticeKey(ticketID))
	if errors.Is(err, inbox.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var nt notice
	if err := json.Unmarshal([]byte(v), &nt); err != nil || nt.TS == "" {
		return nil, nil
	}
	return &nt, nil
}

func (c *Channel) notifyCreated(ctx context.Context, n *inbox.Notification) (inbox.ExternalRef, error) {
	if nt, err := c.loadNotice(ctx, n.Ticket.ID); err != nil {
		return inbox.ExternalRef{}, err
	} else if nt != nil {
		return inbox.ExternalRef{ID: nt.TS}, nil // posted by an earlier attempt
	}
	ok, err := c.wanted(ctx, n)
	if err != nil || !ok {
		return inbox.ExternalRef{}, err
	}
	excerpt := plaintext.Shorten(strings.TrimSpace(n.Excerpt), 500)
	channel, ts, err := c.api.PostMessageContext(ctx, c.settings.NotifyChannel,
		slackgo.MsgOptionText(fallbackText(n), false), slackgo.MsgOptionBlocks(Blocks(n, excerpt)...))
	if err != nil {
		return inbox.ExternalRef{}, c.transportErr("chat.postMessage", err)
	}
	c.healthy()
	if channel == "" {
		channel = c.settings.NotifyChannel
	}
	// The thread key first: a notice without it would be skipped on retry
	// and its thread replies lost.
	if err := c.deps.State.Put(ctx, threadStateKey(channel, ts), strconv.FormatInt(n.Ticket.ID, 10)); err != nil {
		return inbox.ExternalRef{}, err
	}
	b, _ := json.Marshal(notice{Channel: channel, TS: ts, Excerpt: excerpt})
	if err := c.deps.State.Put(ctx, noticeKey(n.Ticket.ID), string(b)); err != nil {
		return inbox.ExternalRef{}, err
	}
	return inbox.ExternalRef{ID: ts}, nil
}

// notifyRule posts an automation rule's message (Event.Data "text") with a
// link to the ticket, in the rule's Slack channel ("slack_channel") or the
// notify channel. The outbox row's id makes retries post once.
func (c *Channel) notifyRule(ctx context.Context, n *inbox.Notification) (inbox.ExternalRef, error) {
	doneKey := "rule-notify:" + strconv.FormatInt(n.OutboxID, 10)
	if ts, err := c.deps.State.Get(ctx, doneKey); err == nil {
		return inbox.ExternalRef{ID: ts}, nil
	} else if !errors.Is(err, inbox.ErrNotFound) {
		return inbox.ExternalRef{}, err
	}
	target, _ := n.Event.Data["slack_channel"].(string)
	if target == "" {
		target = c.settings.NotifyChannel
	}
	if target == "" {
		return inbox.ExternalRef{}, inbox.Permanent(errors.New("slack: the rule names no Slack channel and none is set for notifications"))
	}
	text, _ := n.Event.Data["text"].(string)
	line := fmt.Sprintf("%s\n<%s|#%d %s>", esc(plaintext.Shorten(text, 1500)), n.Ticket.URL, n.Ticket.Number, esc(plaintext.Shorten(n.Ticket.Subject, 200)))
	_, ts, err := c.api.PostMessageContext(ctx, target, slackgo.MsgOptionText(line, false))
	if err != nil {
		return inbox.ExternalRef{}, c.transportErr("chat.postMessage", err)
	}
	c.healthy()
	if err := c.deps.State.Put(ctx, doneKey, ts); err != nil {
		return inbox.ExternalRef{}, err
	}
	return inbox.ExternalRef{ID: ts}, nil
}

// wanted applies the notify filter.
func (c *Channel) wanted(ctx context.Context, n *inbox.Notification) (bool, error) {
	f := c.settings.NotifyFilter
	var origin int64
	if len(f.ChannelIDs) > 0 {
		if c.inbox == nil {
			return false, errors.New("slack: inbox service unavailable for the channel filter")
		}
		t, err := c.inbox.Ticket(ctx, n.Ticket.ID)
		if err != nil {
			return false, err
		}
		origin = t.ChannelID
	}
	return f.matches(origin, n.Tags), nil
}

func (c *Channel) notifyUpdated(ctx context.Context, n *inbox.Notification) (inbox.ExternalRef, error) {
	nt, err := c.loadNotice(ctx, n.Ticket.ID)
	if err != nil || nt == nil {
		return inbox.ExternalRef{}, err // never announced (filtered, or older than the channel)
	}
	_, _, _, err = c.api.UpdateMessageContext(ctx, nt.Channel, nt.TS,
		slackgo.MsgOptionText(fallbackText(n), false), slackgo.MsgOptionBlocks(Blocks(n, nt.Excerpt)...))
	if err != nil {
		return inbox.ExternalRef{}, c.transportErr("chat.update", err)
	}
	c.healthy()
	return inbox.ExternalRef{ID: nt.TS}, nil
}

func (c *Channel) notifyMessage(ctx context.Context, n *inbox.Notification) (inbox.ExternalRef, error) {
	nt, err := c.loadNotice(ctx, n.Ticket.ID)
	if err != nil || nt == nil {
		return inbox.ExternalRef{}, err
	}
	doneKey := "msg:" + strconv.FormatInt(n.MessageID, 10)
	ts, err := c.deps.State.Get(ctx, doneKey)
	switch {
	case err == nil:
		// Posted by an earlier attempt; only the refresh below is left.
	case !errors.Is(err, inbox.ErrNotFound):
		return inbox.ExternalRef{}, err
	default:
		who := n.Contact.Name
		if who == "" {
			who = n.Contact.Email
		}
		text := fmt.Sprintf("*%s* wrote:\n%s", esc(orNone(who)), quote(plaintext.Shorten(n.Excerpt, 1500)))
		_, ts, err = c.api.PostMessageContext(ctx, nt.Channel, slackgo.MsgOptionText(text, false), slackgo.MsgOptionTS(nt.TS))
		if err != nil {
			return inbox.ExternalRef{}, c.transportErr("chat.postMessage", err)
		}
		c.healthy()
		if err := c.deps.State.Put(ctx, doneKey, ts); err != nil {
			return inbox.ExternalRef{}, err
		}
	}
	// A customer's message may have reopened the ticket, which sends no
	// ticket.updated notification: refresh the parent message as well.
	_, _, _, err = c.api.UpdateMessageContext(ctx, nt.Channel, nt.TS,
		slackgo.MsgOptionText(fallbackText(n), false), slackgo.MsgOptionBlocks(Blocks(n, nt.Excerpt)...))
	if err != nil {
		err = c.transportErr("chat.update", err)
		if inbox.IsPermanent(err) {
			c.log.Warn("slack: refresh notification", "ticket_id", n.Ticket.ID, "err", err)
			return inbox.ExternalRef{ID: ts}, nil // the threaded post went out; the edit cannot be made
		}
		return inbox.ExternalRef{}, err
	}
	return inbox.ExternalRef{ID: ts}, nil
}

// Blocks renders the Block Kit notification of a ticket. excerpt is the
// first message's text (kept from the creation on updates).
func Blocks(n *inbox.Notification, excerpt string) []slackgo.Block {
	id := strconv.FormatInt(n.Ticket.ID, 10)
	header := plaintext.Shorten(fmt.Sprintf("#%d %s", n.Ticket.Number, plaintext.StripBidi(orNone(n.Ticket.Subject))), 150)
	customer := esc(orNone(n.Contact.Name))
	if n.Contact.Email != "" && n.Contact.Email != n.Contact.Name {
		customer += " <mailto:" + esc(n.Contact.Email) + "|" + esc(n.Contact.Email) + ">"
	}
	// The origin channel's kind names its own badge (connectors.Description).
	d, _ := connectors.Describe(n.ChannelKind)
	badge := d.Badge
	if badge == "" {
		badge = ":inbox_tray:"
	}
	assignee := "_unassigned_"
	if n.Assignee != nil {
		assignee = esc(n.Assignee.Name)
	}
	fields := []*slackgo.TextBlockObject{
		md("*Customer*\n" + customer),
		md("*Channel*\n" + badge + " " + esc(orNone(n.ChannelName)) + " (" + esc(n.ChannelKind) + ")"),
		md("*Status*\n" + esc(orNone(n.Ticket.Status))),
		md("*Assignee*\n" + assignee),
	}
	if n.WaitingSince != nil && !n.WaitingSince.IsZero() {
		fields = append(fields, md(fmt.Sprintf("*Waiting since*\n<!date^%d^{date_short_pretty} {time} ({ago})|%s>",
			n.WaitingSince.Unix(), n.WaitingSince.UTC().Format("2006-01-02 15:04 UTC"))))
	}
	if n.Priority != "" && n.Priority != inbox.PriorityNormal {
		fields = append(fields, md("*Priority*\n"+esc(n.Priority)))
	}
	if len(n.Tags) > 0 {
		fields = append(fields, md("*Tags*\n"+esc(strings.Join(n.Tags, ", "))))
	}
	blocks := []slackgo.Block{
		slackgo.NewHeaderBlock(slackgo.NewTextBlockObject(slackgo.PlainTextType, header, true, false)),
		slackgo.NewSectionBlock(nil, fields, nil),
	}
	if excerpt != "" {
		blocks = append(blocks, slackgo.NewSectionBlock(md(quote(excerpt)), nil, nil))
	}
	var buttons []slackgo.BlockElement
	if n.Ticket.URL != "" {
		buttons = append(buttons, slackgo.NewButtonBlockElement(ActionOpen+":"+id, id, plain("Open in Hanbox")).WithURL(n.Ticket.URL))
	}
	buttons = append(buttons, slackgo.NewButtonBlockElement(ActionAssign+":"+id, id, plain("Assign to me")))
	if n.Ticket.Status != inbox.StatusResolved && n.Ticket.Status != inbox.StatusClosed {
		buttons = append(buttons, slackgo.NewButtonBlockElement(ActionResolve+":"+id, id, plain("Resolve")).WithStyle(slackgo.StylePrimary))
	}
	if len(buttons) > 0 {
		blocks = append(blocks, slackgo.NewActionBlock("hanbox_ticket:"+id, buttons...))
	}
	return blocks
}

// fallbackText is the notification's plain text for clients without blocks
// and for the push notification.
func fallbackText(n *inbox.Notification) string {
	who := n.Contact.Name
	if who == "" {
		who = n.Contact.Email
	}
	return plaintext.Shorten(fmt.Sprintf("New ticket #%d from %s: %s", n.Ticket.Number, esc(orNone(who)), esc(n.Ticket.Subject)), 300)
}

func md(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, plaintext.Shorten(s, 2000), false, false)
}

func plain(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, true, false)
}

// esc escapes &, < and > so customer text cannot form links or mentions,
// and drops bidirectional controls (plaintext.StripBidi): a customer's name
// or subject on a card cannot reorder itself or the card's text after it.
func esc(s string) string { return slackutilsx.EscapeMessage(plaintext.StripBidi(s)) }

// quote renders text as a Slack block quote.
func quote(s string) string {
	lines := strings.Split(esc(s), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}
