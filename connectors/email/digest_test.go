package email

import (
	"context"
	"net/smtp"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// traced is raw as a mailbox holds it after delivery: the receiving MTA and
// the IMAP server prepend trace and verdict headers.
func traced(raw []byte) []byte {
	return append([]byte("Return-Path: <lee@example.net>\r\nDelivered-To: support@example.com\r\n"+
		"X-Original-To: support@example.com\r\n"+
		"Received: from mx.example.net (mx.example.net [192.0.2.7])\r\n\tby imap.example.com with ESMTPS id 4Xk2; Mon, 4 Nov 2024 09:00:01 +0900\r\n"+
		"Authentication-Results: imap.example.com; spf=pass smtp.mailfrom=example.net\r\n"+
		"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.com; s=arc; b=abc\r\n"+
		"X-Spam-Status: No, score=-0.1\r\n"), raw...)
}

func TestContentDigestIgnoresTransport(t *testing.T) {
	base := []byte("From: a@example.net\r\nTo: support@example.com\r\nSubject: hi\r\nDate: Mon, 4 Nov 2024 09:00:00 +0900\r\n\r\nline one  \r\nline two\r\n\r\n")
	same := [][]byte{
		traced(base),
		[]byte("Delivered-To: support+tok@example.com\r\n" + string(base)),
		[]byte(strings.ReplaceAll(string(base), "\r\n", "\n")),                   // LF line ends
		[]byte(strings.Replace(string(base), "Subject: hi", "Subject:   hi", 1)), // white space in a field
		[]byte("DKIM-Signature: v=1; a=rsa-sha256; d=forwarder.example; b=xyz\r\n" + string(base)),
	}
	d0 := contentDigest(base)
	for i, b := range same {
		if d := contentDigest(b); d != d0 {
			t.Errorf("variant %d: digest differs", i)
		}
	}
	different := [][]byte{
		[]byte(strings.Replace(string(base), "line two", "line 2", 1)),
		[]byte(strings.Replace(string(base), "Subject: hi", "Subject: hello", 1)),
		[]byte(strings.Replace(string(base), "From: a@", "From: b@", 1)),
		[]byte(strings.Replace(string(base), "\r\n\r\nline", "\r\nMessage-ID: <x@y>\r\n\r\nline", 1)),
	}
	for i, b := range different {
		if d := contentDigest(b); d == d0 {
			t.Errorf("different message %d: same digest", i)
		}
	}
}

// TestNoMessageIDThroughListenerAndIMAPStoredOnce: a mail without a
// Message-ID that arrives both through the SMTP listener (which records the
// envelope recipient as Delivered-To) and through the IMAP mailbox (with the
// MTA's trace headers) is one message (issue 10 item 17).
func TestNoMessageIDThroughListenerAndIMAPStoredOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env := conntest.New(t, dialect)
		srv := newMemIMAP(t, nil)
		st := settingsFor(srv, nil)
		st["listen"] = map[string]any{"addr": "127.0.0.1:0"}
		row := env.AddChannel(Kind, "mail", st, secretsFor(), "")
		env.Start()
		var addr string
		env.Eventually("listener", func() bool {
			if c, ok := env.Runtime.Connector(row.ID); ok {
				addr = c.(*Channel).ListenAddr()
			}
			return addr != ""
		})
		msg := []byte("From: Lee <lee@example.net>\r\nTo: support@example.com\r\nSubject: no id\r\nDate: Mon, 4 Nov 2024 09:00:00 +0900\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n메시지 아이디가 없는 메일\r\n")
		if err := smtp.SendMail(addr, nil, "lee@example.net", []string{"support@example.com"}, msg); err != nil {
			t.Fatal(err)
		}
		env.Eventually("listener copy", func() bool { return countMessages(t, env, "channel_id = ?", row.ID) == 1 })
		srv.deliver(t, "INBOX", traced(msg))
		// A marker after it proves the IMAP copy was looked at.
		srv.deliver(t, "INBOX", customerMail("m@example.net", "support@example.com", "marker", "marker@example.net", "marker"))
		waitTicket(t, env, row.ID, "marker@example.net")
		if n := countMessages(t, env, "channel_id = ? AND text LIKE ?", row.ID, "%메시지 아이디가%"); n != 1 {
			t.Errorf("%d copies stored, want 1", n)
		}
		var ms []store.Message
		env.Store.DB.Where("channel_id = ?", row.ID).Find(&ms)
		for _, m := range ms {
			if m.ExternalID != nil && strings.HasPrefix(*m.ExternalID, "sha256.") {
				return
			}
		}
		t.Errorf("no synthesized id among %d messages", len(ms))
	})
}

// startMailAndListener runs a channel with both an IMAP mailbox and the
// SMTP listener through the runtime.
func startMailAndListener(t *testing.T, env *conntest.Env, srv *memIMAP) (store.Channel, string) {
	t.Helper()
	st := settingsFor(srv, nil)
	st["listen"] = map[string]any{"addr": "127.0.0.1:0"}
	row := env.AddChannel(Kind, "mail", st, secretsFor(), "")
	env.Start()
	var addr string
	env.Eventually("listener", func() bool {
		if c, ok := env.Runtime.Connector(row.ID); ok {
			addr = c.(*Channel).ListenAddr()
		}
		return addr != ""
	})
	return row, addr
}

// TestReusedMessageIDStoredAndFlagged: a different mail that reuses the
// Message-ID of a stored one is stored too, under an id of its own, and
// flagged; replays of either stay exactly once (issue 10 item 16).
func TestReusedMessageIDStoredAndFlagged(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env := conntest.New(t, dialect)
		srv := newMemIMAP(t, nil)
		row, addr := startMailAndListener(t, env, srv)
		ctx := context.Background()
		a := customerMail("Lee <lee@example.net>", "support@example.com", "주문 문의", "reused@example.net", "첫 번째 메일입니다")
		b := customerMail("Park <park@example.org>", "support@example.com", "환불 요청", "reused@example.net", "전혀 다른 두 번째 메일")
		for _, m := range []struct {
			from string
			raw  []byte
		}{{"lee@example.net", a}, {"park@example.org", b}} {
			if err := smtp.SendMail(addr, nil, m.from, []string{"support@example.com"}, m.raw); err != nil {
				t.Fatal(err)
			}
		}
		env.Eventually("both stored", func() bool { return countMessages(t, env, "channel_id = ?", row.ID) == 2 })
		first, err := env.Inbox.MessageByExternalID(ctx, row.ID, "reused@example.net")
		if err != nil || !strings.Contains(first.Text, "첫 번째") {
			t.Fatalf("first: %v %q", err, textOf(first))
		}
		var second store.Message
		if err := env.Store.DB.Where("channel_id = ? AND id <> ?", row.ID, first.ID).Take(&second).Error; err != nil {
			t.Fatal(err)
		}
		if second.ExternalID == nil || !strings.HasPrefix(*second.ExternalID, "reused@example.net/sha256.") || !strings.Contains(second.Text, "두 번째") {
			t.Errorf("second: id %v text %q", second.ExternalID, second.Text)
		}
		flag, _ := second.Meta["message_id_conflict"].(map[string]any)
		if flag == nil || flag["message_id"] != "reused@example.net" || flag["first_message_id"] != float64(first.ID) {
			t.Errorf("second's meta %v", second.Meta)
		}
		if first.Meta["message_id_conflict"] != nil {
			t.Errorf("first flagged: %v", first.Meta)
		}
		// Replays, also from the mailbox with trace headers, change nothing.
		if err := smtp.SendMail(addr, nil, "park@example.org", []string{"support@example.com"}, b); err != nil {
			t.Fatal(err)
		}
		srv.deliver(t, "INBOX", traced(a))
		srv.deliver(t, "INBOX", traced(b))
		srv.deliver(t, "INBOX", customerMail("m@example.net", "support@example.com", "marker", "marker2@example.net", "marker"))
		waitTicket(t, env, row.ID, "marker2@example.net")
		if n := countMessages(t, env, "channel_id = ?", row.ID); n != 3 {
			t.Errorf("%d messages after replays, want 3 (two reused-id mails and the marker)", n)
		}
	})
}

// TestDedupeAcrossUpgradeAndAgainstSentReplies: a mail without a Message-ID
// stored by an earlier version (under the hash of its bytes, without a
// digest) stays one message when replayed; a customer mail that reuses the
// Message-ID of a reply Hanbox sent is stored, not taken for that reply.
func TestDedupeAcrossUpgradeAndAgainstSentReplies(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env := conntest.New(t, dialect)
		row := env.AddChannel(Kind, "mail", settingsFor(nil, nil), nil, "")
		c := directChannel(t, env, row, nil)
		ctx := context.Background()
		raw := []byte("From: old@example.net\r\nTo: support@example.com\r\nSubject: old\r\n\r\nstored by v1\r\n")
		p, err := Parse(raw, ParseOptions{ChannelID: row.ID, Own: testOwn})
		if err != nil {
			t.Fatal(err)
		}
		v1 := *p.Inbound
		v1.ExternalID = legacySyntheticID(raw)
		v1.Meta = map[string]any{"message_id": v1.ExternalID}
		if _, err := env.Inbox.Ingest(ctx, &v1); err != nil {
			t.Fatal(err)
		}
		if err := c.deliver(ctx, env.Inbox, raw, "replay"); err != nil {
			t.Fatal(err)
		}
		if n := countMessages(t, env, "channel_id = ?", row.ID); n != 1 {
			t.Errorf("%d messages after replaying a v1 message, want 1", n)
		}

		// Hanbox's reply is stored outbound under its Message-ID.
		agent := env.Agent("a@example.com", "A")
		tk, _ := env.Inbox.MessageByExternalID(ctx, row.ID, v1.ExternalID)
		out, err := env.Inbox.Reply(ctx, inbox.ReplyInput{TicketID: tk.TicketID, AgentID: agent.ID, Text: "답변"})
		if err != nil {
			t.Fatal(err)
		}
		sentID := "hanbox.x.1.ab@example.com"
		env.Store.DB.Model(&store.Message{}).Where("id = ?", out.ID).Update("external_id", sentID)
		spoof := customerMail("someone@example.org", "support@example.com", "hi", sentID, "not your reply")
		if err := c.deliver(ctx, env.Inbox, spoof, "spoof"); err != nil {
			t.Fatal(err)
		}
		if n := countMessages(t, env, "channel_id = ? AND text LIKE ?", row.ID, "%not your reply%"); n != 1 {
			t.Errorf("customer mail reusing a sent reply's id stored %d times, want 1", n)
		}
	})
}
