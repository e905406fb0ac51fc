package email

import (
	"bytes"
	"encoding/base64"
	"net/smtp"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/store"
)

// bigMail is a mail with a short text and a PDF attachment of n bytes.
func bigMail(msgID string, n int) []byte {
	pdf := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("%PDF-1.4 data "), n/14+1)[:n])
	var b strings.Builder
	b.WriteString("From: Lee <lee@example.net>\r\nTo: support@example.com\r\nSubject: =?UTF-8?B?6rKs7KCB7IScIOyyqOu2gA==?=\r\n" +
		"Message-ID: <" + msgID + ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n" +
		"--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n견적서를 첨부합니다.\r\n" +
		"--mix\r\nContent-Type: application/pdf; name=\"=?UTF-8?B?6rKs7KCB7IScLnBkZg==?=\"\r\nContent-Disposition: attachment; filename=\"=?UTF-8?B?6rKs7KCB7IScLnBkZg==?=\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	for len(pdf) > 76 {
		b.WriteString(pdf[:76] + "\r\n")
		pdf = pdf[76:]
	}
	b.WriteString(pdf + "\r\n--mix--\r\n")
	return []byte(b.String())
}

func quarantined(t *testing.T, env *conntest.Env, channelID int64) []store.Quarantine {
	t.Helper()
	var qs []store.Quarantine
	if err := env.Store.DB.Where("channel_id = ?", channelID).Order("id").Find(&qs).Error; err != nil {
		t.Fatal(err)
	}
	return qs
}

// checkDroppedNote retries a quarantined over-size mail and checks that the
// ticket says what was dropped (issue 10 item 18).
func checkDroppedNote(t *testing.T, env *conntest.Env, row store.Channel, q store.Quarantine, msgID string) {
	t.Helper()
	if err := env.Runtime.Reprocess(t.Context(), row.ID, q.Raw, q.ExternalID); err != nil {
		t.Fatalf("retry: %v", err)
	}
	m, err := env.Inbox.MessageByExternalID(t.Context(), row.ID, msgID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"over this channel's 20.0 kB limit", "only its headers", "견적서.pdf (application/pdf, 6", "kB", "the text (text/plain"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("retried message text lacks %q: %q", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "(empty message)") {
		t.Errorf("retried message text %q", m.Text)
	}
	tk, _ := env.Inbox.Ticket(t.Context(), m.TicketID)
	if tk.Subject != "견적서 첨부" || tk.Contact.Email != "lee@example.net" {
		t.Errorf("ticket %q from %q", tk.Subject, tk.Contact.Email)
	}
}

// TestListenerQuarantinesOversizeLikeIMAP: the SMTP listener accepts mail
// over max_message_bytes up to its hard cap (listen.max_bytes), quarantines
// the headers with a clear reason like the IMAP path does, refuses only
// beyond the cap, and a retry says what was dropped.
func TestListenerQuarantinesOversizeLikeIMAP(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env := conntest.New(t, dialect)
		st := settingsFor(nil, nil)
		st["max_message_bytes"] = 20000
		st["listen"] = map[string]any{"addr": "127.0.0.1:0", "max_bytes": 200000}
		row := env.AddChannel(Kind, "mx", st, nil, "")
		env.Start()
		var addr string
		env.Eventually("listener", func() bool {
			if c, ok := env.Runtime.Connector(row.ID); ok {
				addr = c.(*Channel).ListenAddr()
			}
			return addr != ""
		})
		big := bigMail("big-smtp@example.net", 60000)
		if err := smtp.SendMail(addr, nil, "lee@example.net", []string{"support@example.com"}, big); err != nil {
			t.Fatalf("over max_message_bytes but under the cap: %v, want accepted", err)
		}
		huge := bigMail("huge@example.net", 200000)
		if err := smtp.SendMail(addr, nil, "lee@example.net", []string{"support@example.com"}, huge); err == nil || !strings.Contains(err.Error(), "552") {
			t.Errorf("over the hard cap: %v, want 552", err)
		}
		qs := quarantined(t, env, row.ID)
		if len(qs) != 1 {
			t.Fatalf("%d quarantined, want 1", len(qs))
		}
		q := qs[0]
		if !strings.Contains(q.Reason, "over the 20000 byte limit") || !strings.Contains(q.Reason, "headers") ||
			!strings.Contains(string(q.Raw), "Message-ID: <big-smtp@example.net>") || len(q.Raw) > 4000 || q.Size != int64(len(q.Raw)) {
			t.Errorf("quarantine: reason %q, %d bytes", q.Reason, len(q.Raw))
		}
		if n := countMessages(t, env, "channel_id = ?", row.ID); n != 0 {
			t.Errorf("%d messages, want 0", n)
		}
		checkDroppedNote(t, env, row, q, "big-smtp@example.net")
	})
}

// TestIMAPOversizeRetrySaysWhatWasDropped: the same for the IMAP path.
func TestIMAPOversizeRetrySaysWhatWasDropped(t *testing.T) {
	env := conntest.New(t, store.SQLite)
	srv := newMemIMAP(t, nil)
	st := settingsFor(srv, nil)
	st["max_message_bytes"] = 20000
	row := env.AddChannel(Kind, "mail", st, secretsFor(), "")
	srv.deliver(t, "INBOX", bigMail("big-imap@example.net", 60000))
	srv.deliver(t, "INBOX", customerMail("ok@example.net", "support@example.com", "ok", "ok2@example.net", "fine"))
	env.Start()
	waitTicket(t, env, row.ID, "ok2@example.net")
	qs := quarantined(t, env, row.ID)
	if len(qs) != 1 || !strings.Contains(qs[0].Reason, "over the 20000 byte limit") {
		t.Fatalf("quarantine %+v", qs)
	}
	checkDroppedNote(t, env, row, qs[0], "big-imap@example.net")
}

// TestDroppedNoteOnlyOnRetry: a sender cannot make Hanbox show its own
// "dropped" note; only input retried from the quarantine carries it.
func TestDroppedNoteOnlyOnRetry(t *testing.T) {
	raw := []byte(droppedField + ": =?utf-8?q?fake_note?=\r\nFrom: a@example.net\r\nTo: support@example.com\r\nMessage-ID: <n@x>\r\n\r\nhello\r\n")
	for _, retry := range []bool{false, true} {
		p, err := Parse(raw, ParseOptions{Own: testOwn, Retry: retry})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(p.Inbound.Text, "fake note"); got != retry {
			t.Errorf("retry=%v: text %q", retry, p.Inbound.Text)
		}
	}
}
