package email

import (
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/store"
)

// startListener runs an email channel with only the SMTP listener, through
// the runtime, and returns the listener's address.
func startListener(t *testing.T, env *conntest.Env, listen map[string]any, secrets map[string]any) (store.Channel, string) {
	t.Helper()
	st := settingsFor(nil, nil)
	listen["addr"] = "127.0.0.1:0"
	st["listen"] = listen
	row := env.AddChannel(Kind, "mx", st, secrets, "")
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

func TestListenerAcceptsOwnAddressesOnly(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env := conntest.New(t, dialect)
		row, addr := startListener(t, env, map[string]any{"max_bytes": 20000}, nil)

		// A normal delivery, to a token variant of our address.
		msg := customerMail("Lee <lee@example.net>", "support+abc123@example.com", "listener", "l1@example.net", "via smtp")
		if err := smtp.SendMail(addr, nil, "lee@example.net", []string{"support+abc123@example.com"}, msg); err != nil {
			t.Fatal(err)
		}
		tid := waitTicket(t, env, row.ID, "l1@example.net")
		in, _ := env.Inbox.MessageByExternalID(t.Context(), row.ID, "l1@example.net")
		if in.TicketID != tid || !strings.Contains(in.Text, "via smtp") {
			t.Errorf("message %+v", in)
		}

		// Another domain is refused at RCPT.
		err := smtp.SendMail(addr, nil, "lee@example.net", []string{"someone@elsewhere.example"}, msg)
		if err == nil || !strings.Contains(err.Error(), "550") {
			t.Errorf("foreign recipient: %v, want 550", err)
		}
		// Over the size limit is refused at DATA.
		big := customerMail("lee@example.net", "support@example.com", "big", "big@example.net", strings.Repeat(strings.Repeat("y", 70)+"\r\n", 450))
		err = smtp.SendMail(addr, nil, "lee@example.net", []string{"support@example.com"}, big)
		if err == nil || !strings.Contains(err.Error(), "552") {
			t.Errorf("oversize: %v, want 552", err)
		}
		// Garbage is accepted (never lost) and quarantined.
		if err := smtp.SendMail(addr, nil, "x@example.net", []string{"support@example.com"}, []byte("no header at all, just words\r\n")); err != nil {
			t.Fatal(err)
		}
		env.Eventually("quarantine", func() bool {
			var n int64
			env.Store.DB.Model(&store.Quarantine{}).Where("channel_id = ?", row.ID).Count(&n)
			return n == 1
		})
		if n := countMessages(t, env, "channel_id = ?", row.ID); n != 1 {
			t.Errorf("%d messages, want 1", n)
		}
	})
}

func TestListenerRequiresAuth(t *testing.T) {
	env := conntest.New(t, store.SQLite)
	row, addr := startListener(t, env, map[string]any{"require_auth": true}, map[string]any{"listen_password": "mx-secret"})
	msg := customerMail("lee@example.net", "support@example.com", "authed", "auth1@example.net", "hello")
	err := smtp.SendMail(addr, nil, "lee@example.net", []string{"support@example.com"}, msg)
	if err == nil || !strings.Contains(err.Error(), "530") {
		t.Fatalf("no auth: %v, want 530", err)
	}
	host, _, _ := net.SplitHostPort(addr)
	err = smtp.SendMail(addr, smtp.PlainAuth("", "support@example.com", "wrong", host), "lee@example.net", []string{"support@example.com"}, msg)
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("bad password: %v, want 535", err)
	}
	if err := smtp.SendMail(addr, smtp.PlainAuth("", "support@example.com", "mx-secret", host), "lee@example.net", []string{"support@example.com"}, msg); err != nil {
		t.Fatal(err)
	}
	waitTicket(t, env, row.ID, "auth1@example.net")
}

// TestListenerSwaks drives the listener with Debian's swaks, a real SMTP
// client with its own idea of the protocol.
func TestListenerSwaks(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("swaks is required in CI")
		}
		t.Skip("swaks not installed")
	}
	env := conntest.New(t, store.SQLite)
	row, addr := startListener(t, env, map[string]any{"require_auth": true}, map[string]any{"listen_password": "mx-secret"})
	out, err := exec.CommandContext(t.Context(), swaks, "--server", addr, "--from", "park@example.net", "--to", "support@example.com",
		"--auth", "PLAIN", "--auth-user", "support@example.com", "--auth-password", "mx-secret",
		"--header", "Message-Id: <swaks-1@example.net>", "--header", "Subject: =?UTF-8?B?7Iqk7JmA7YGs7Iqk?=",
		"--body", "swaks body").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	tid := waitTicket(t, env, row.ID, "swaks-1@example.net")
	tk, _ := env.Inbox.Ticket(t.Context(), tid)
	if tk.Subject != "스와크스" || tk.Contact.Email != "park@example.net" {
		t.Errorf("subject %q contact %q", tk.Subject, tk.Contact.Email)
	}
	// Without credentials swaks is refused.
	out, err = exec.CommandContext(t.Context(), swaks, "--server", addr, "--from", "park@example.net", "--to", "support@example.com",
		"--header", "Message-Id: <swaks-2@example.net>").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "530") {
		t.Errorf("unauthenticated swaks: %v\n%s", err, out)
	}
}
