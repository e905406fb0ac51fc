package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// Send implements connectors.Connector: an agent's reply is posted into the
// customer's Slack thread (channel and thread ts stored at ingest), then its
// attachments are uploaded into the same thread. A retry after a partial
// send does not post the text twice.
func (c *Channel) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	if out.ReplyTo == nil {
		return inbox.ExternalRef{}, connectors.Permanent(errors.New("slack: the customer never wrote on this Slack channel; reply on another channel"))
	}
	channel, _ := out.ReplyTo.Meta["slack_channel"].(string)
	thread, _ := out.ReplyTo.Meta["slack_thread_ts"].(string)
	if channel == "" || thread == "" {
		return inbox.ExternalRef{}, connectors.Permanent(errors.New("slack: the customer's message has no Slack channel or thread"))
	}
	text := strings.TrimSpace(out.Text)
	doneKey := "sent:" + strconv.FormatInt(out.OutboxID, 10)
	ts, err := c.deps.State.Get(ctx, doneKey)
	switch {
	case err == nil:
		// The text went out on an earlier attempt.
	case !errors.Is(err, inbox.ErrNotFound):
		return inbox.ExternalRef{}, err
	case text == "" && len(out.Attachments) > 0:
		ts = ""
	default:
		if text == "" {
			return inbox.ExternalRef{}, connectors.Permanent(errors.New("slack: reply has no text"))
		}
		opts := []slackgo.MsgOption{slackgo.MsgOptionText(text, true), slackgo.MsgOptionTS(thread)}
		if out.Survey != nil {
			opts = append(opts, slackgo.MsgOptionBlocks(surveyBlocks(out.Survey)...))
		}
		_, ts, err = c.api.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			return inbox.ExternalRef{}, c.transportErr("chat.postMessage", err)
		}
		c.healthy()
		if err := c.deps.State.Put(ctx, doneKey, ts); err != nil {
			c.log.Warn("slack: remember sent reply", "outbox_id", out.OutboxID, "err", err)
		}
	}
	for i, a := range out.Attachments {
		fileKey := doneKey + ":file:" + strconv.Itoa(i)
		if _, err := c.deps.State.Get(ctx, fileKey); err == nil {
			continue
		}
		if err := c.upload(ctx, channel, thread, a); err != nil {
			return inbox.ExternalRef{}, err
		}
		if err := c.deps.State.Put(ctx, fileKey, "1"); err != nil {
			c.log.Warn("slack: remember uploaded file", "outbox_id", out.OutboxID, "err", err)
		}
	}
	ref := inbox.ExternalRef{Meta: map[string]any{"slack_channel": channel, "slack_thread_ts": thread}}
	if ts != "" {
		ref.ID = ExternalID(channel, ts)
		ref.Meta["slack_ts"] = ts
	}
	return ref, nil
}

// upload sends one attachment with files.getUploadURLExternal,
// the upload itself and files.completeUploadExternal.
func (c *Channel) upload(ctx context.Context, channel, thread string, a inbox.OutboundAttachment) error {
	if a.Open == nil || a.Size <= 0 {
		return nil
	}
	rc, err := a.Open()
	if err != nil {
		return fmt.Errorf("slack: open attachment %q: %w", a.Name, err)
	}
	defer rc.Close()
	name := plaintext.StripBidi(a.Name)
	if name == "" {
		name = "attachment"
	}
	_, err = c.api.UploadFileContext(ctx, slackgo.UploadFileParameters{
		Reader: io.LimitReader(rc, a.Size), FileSize: int(a.Size), Filename: name, Title: name,
		Channel: channel, ThreadTimestamp: thread,
	})
	if err != nil {
		return c.transportErr("files.upload", err)
	}
	return nil
}

// ActionRate is the action id prefix of a rating button:
// "hanbox_rate:<survey public id>:<score>".
const ActionRate = "hanbox_rate"

// surveyBlocks renders a survey request as Block Kit: the question and one
// button per score (labelled on the CSAT scale), and the rating page for a
// comment.
func surveyBlocks(sv *inbox.SurveyRequest) []slackgo.Block {
	labels := inbox.SurveyLabels(sv.Locale)
	var buttons []slackgo.BlockElement
	for _, n := range sv.Choices() {
		label := strconv.Itoa(n)
		if sv.Lowest() == 1 && n <= len(labels) {
			label += " " + labels[n-1]
		}
		buttons = append(buttons, slackgo.NewButtonBlockElement(ActionRate+":"+sv.PublicID+":"+strconv.Itoa(n), strconv.Itoa(n),
			slackgo.NewTextBlockObject(slackgo.PlainTextType, label, false, false)))
	}
	blocks := []slackgo.Block{
		slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.PlainTextType, sv.Question, false, false), nil, nil),
	}
	// Slack allows at most 25 elements per actions block; 11 (NPS) fit.
	blocks = append(blocks, slackgo.NewActionBlock("hanbox_survey:"+sv.PublicID, buttons...))
	blocks = append(blocks, slackgo.NewContextBlock("", slackgo.NewTextBlockObject(slackgo.MarkdownType, "<"+sv.URL+">", false, false)))
	return blocks
}
