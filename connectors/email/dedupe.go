package email

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// Deduplication of mail. The inbox stores a message once per (channel,
// external id), and the external id of a mail is its Message-ID. Message-IDs
// are chosen by senders, so two different mails can carry the same one (a
// broken mailer that reuses a constant id, a web form, a hostile sender).
// Every parsed mail therefore carries its content digest (digest.go) in its
// meta; when the inbox answers "duplicate", the stored message's digest is
// compared: the same digest is a true duplicate (nothing happens, exactly
// once), a different one is another mail, stored under the external id
// "<Message-ID>/sha256.<digest>" (so its own replays are duplicates too),
// without claiming the Message-ID as a thread key, and flagged in its meta
// ("message_id_conflict": the Message-ID and the first message's ids).
// Messages stored before digests existed have none; a mail matching one of
// them is taken as a duplicate, since there is nothing to compare.

// storedMail is the inbox's view of stored messages that deduplication
// needs.
type storedMail interface {
	MessageByExternalID(ctx context.Context, channelID int64, ext string) (*inbox.Message, error)
}

var _ storedMail = (*inbox.Service)(nil)

// ingestMail hands parsed mail to the inbox in order (raws[i] is the raw
// bytes of ins[i]) and stores a different mail that reuses a stored
// Message-ID under its own id. The i-th error belongs to the i-th message.
func (c *Channel) ingestMail(ctx context.Context, sink connectors.Sink, ins []*inbox.Inbound, raws [][]byte) []error {
	errs := make([]error, len(ins))
	for i, in := range ins {
		if err := c.useLegacyID(ctx, in, raws[i]); err != nil {
			for j := i; j < len(ins); j++ {
				errs[j] = err
			}
			ins = ins[:i]
			break
		}
	}
	res, ierrs := ingestAll(ctx, sink, ins)
	copy(errs, ierrs)
	for i, in := range ins {
		if errs[i] == nil && res[i].Duplicate {
			errs[i] = c.ingestIfDifferent(ctx, sink, in)
		}
	}
	return errs
}

// useLegacyID keeps the id an earlier version gave a mail without a
// Message-ID when a message is stored under it, so a replay stays a
// duplicate across the upgrade.
func (c *Channel) useLegacyID(ctx context.Context, in *inbox.Inbound, raw []byte) error {
	if c.stored == nil || !strings.HasSuffix(in.ExternalID, "@hanbox.invalid") {
		return nil
	}
	legacy := legacySyntheticID(raw)
	if legacy == in.ExternalID {
		return nil
	}
	_, err := c.stored.MessageByExternalID(ctx, in.ChannelID, legacy)
	switch {
	case err == nil:
		in.ExternalID = legacy
		return nil
	case errors.Is(err, inbox.ErrNotFound):
		return nil
	}
	return fmt.Errorf("email: look up %s: %w", legacy, err)
}

// ingestIfDifferent is called when the inbox already had in's external id:
// if the stored message is a different mail, in is stored under an id of
// its own and flagged.
func (c *Channel) ingestIfDifferent(ctx context.Context, sink connectors.Sink, in *inbox.Inbound) error {
	ours, _ := in.Meta["digest"].(string)
	if c.stored == nil || ours == "" {
		return nil
	}
	first, err := c.stored.MessageByExternalID(ctx, in.ChannelID, in.ExternalID)
	if errors.Is(err, inbox.ErrNotFound) {
		return nil // gone since (a deleted ticket): nothing to compare
	}
	if err != nil {
		return fmt.Errorf("email: look up %s: %w", in.ExternalID, err)
	}
	theirs, _ := first.Meta["digest"].(string)
	if first.Direction == inbox.DirInbound && (theirs == ours || theirs == "") {
		return nil // the same mail again (or stored before digests: cannot tell)
	}
	// A different mail, or one reusing the id of a reply Hanbox sent.
	alt := *in
	suffix := "/sha256." + ours[:min(32, len(ours))]
	alt.ExternalID = plaintext.Clip(in.ExternalID, inbox.MaxExternalID-len(suffix)) + suffix
	alt.OwnKeys = nil // the Message-ID already names the first mail's ticket
	alt.Meta = maps.Clone(in.Meta)
	alt.Meta["message_id_conflict"] = map[string]any{
		"message_id":       in.ExternalID,
		"first_message_id": first.ID,
		"first_ticket_id":  first.TicketID,
	}
	alt.Text = withNote(in.Text, "[This mail has the same Message-ID as a different mail received earlier; Hanbox kept both.]")
	c.log.Warn("mail reuses a stored Message-ID; stored as a separate message", "message_id", in.ExternalID, "first_message_id", first.ID)
	if _, err := sink.Ingest(ctx, &alt); err != nil {
		return err
	}
	return nil
}

// withNote appends a note line to a message's text, cutting the text first
// if the note would take it over the inbox's limit.
func withNote(text, note string) string {
	if strings.TrimSpace(text) == "" {
		return note
	}
	room := inbox.MaxTextBytes - len(note) - 1
	if len(text) > room {
		text = plaintext.Clip(text, room)
	}
	return text + "\n" + note
}
