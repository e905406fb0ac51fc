package email

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

type recSink struct{ got []*inbox.Inbound }

func (r *recSink) Ingest(_ context.Context, in *inbox.Inbound) (inbox.IngestResult, error) {
	r.got = append(r.got, in)
	if in.Subject == "invalid" {
		return inbox.IngestResult{}, fmt.Errorf("%w: contact id is too long", inbox.ErrInvalid)
	}
	return inbox.IngestResult{MessageID: 1}, nil
}

type recQuarantine struct{ reasons []string }

func (r *recQuarantine) Quarantine(_ context.Context, _ int64, _ string, _ []byte, reason string) error {
	r.reasons = append(r.reasons, reason)
	return nil
}

type recBouncer struct{ ids []string }

func (r *recBouncer) MarkBounced(_ context.Context, _ int64, id, _ string) error {
	r.ids = append(r.ids, id)
	if id != ourMsgID {
		return fmt.Errorf("inbox: mark bounced: %w", inbox.ErrNotFound)
	}
	return nil
}

func TestDeliverRouting(t *testing.T) {
	q, b, sink := &recQuarantine{}, &recBouncer{}, &recSink{}
	c := &Channel{ch: connectors.Channel{ID: 3}, settings: Settings{Address: "support@example.com"}, log: slog.New(slog.DiscardHandler),
		deps: connectors.Deps{Quarantine: q}, bouncer: b}
	ctx := context.Background()
	dsn := string(readCorpus(t, "dsn-bounce.eml"))
	steps := []struct {
		name string
		raw  string
	}{
		{"own reply echoed back", string(customerMail("support@example.com", "support@example.com", "Re: x", "hanbox.pub.1.ab@example.com", "ours"))},
		{"bounce of our reply", dsn},
		{"bounce of unknown mail", strings.Replace(dsn, ourMsgID, "someone-else@example.com", 1)},
		{"delay report", strings.Replace(dsn, "Action: failed", "Action: delayed", 1)},
		{"rejected by the inbox", string(customerMail("a@example.net", "support@example.com", "invalid", "inv@example.net", "x"))},
		{"customer", string(customerMail("a@example.net", "support@example.com", "hello", "ok@example.net", "x"))},
	}
	for _, s := range steps {
		if err := c.deliver(ctx, sink, []byte(s.raw), s.name); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if len(sink.got) != 2 || sink.got[1].ExternalID != "ok@example.net" {
		t.Errorf("ingested %d messages", len(sink.got))
	}
	if strings.Join(b.ids, ",") != ourMsgID+",someone-else@example.com" {
		t.Errorf("bounces %v", b.ids)
	}
	if len(q.reasons) != 2 || !strings.Contains(q.reasons[0], "did not send") || !strings.Contains(q.reasons[1], "invalid") {
		t.Errorf("quarantined %v", q.reasons)
	}
}
