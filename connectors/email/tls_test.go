package email

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// selfSigned returns a certificate for 127.0.0.1 and its PEM files.
func selfSigned(t *testing.T) (*tls.Config, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, certPath, keyPath
}

func TestSendOverTLS(t *testing.T) {
	cfg, _, _ := selfSigned(t)
	out := &inbox.Outbound{MessageID: 1, Ticket: inbox.TicketRef{PublicID: "p", Number: 1001, Subject: "tls"},
		Contact: inbox.PersonRef{Email: "c@example.net"}, Text: "over tls"}
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			srv := newSMTPSinkTLS(t, mode, cfg)
			c := &Channel{settings: Settings{Address: "support@example.com",
				SMTP: SMTP{Host: "127.0.0.1", Port: srv.port, TLS: mode, Username: srv.user, InsecureSkipVerify: true}}}
			c.settings.defaults()
			c.smtpPassword = srv.pass
			if _, err := c.Send(t.Context(), out); err != nil {
				t.Fatal(err)
			}
			if got := srv.next(t); !strings.Contains(string(got.raw), "over tls") {
				t.Errorf("captured %q", got.raw)
			}
			// An unverifiable certificate is a configuration error: permanent.
			c.settings.SMTP.InsecureSkipVerify = false
			if _, err := c.Send(t.Context(), out); !connectors.IsPermanent(err) {
				t.Errorf("self-signed without skip-verify: %v, want permanent", err)
			}
		})
	}
}

func TestIMAPOverTLS(t *testing.T) {
	cfg, _, _ := selfSigned(t)
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			mem := imapmemserver.New()
			user := imapmemserver.NewUser("support", "imap-secret")
			user.Create("INBOX", nil)
			mem.AddUser(user)
			srv := imapserver.New(&imapserver.Options{
				NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
					return mem.NewSession(), nil, nil
				},
				Caps:      imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
				TLSConfig: cfg,
				Logger:    discardLogger{},
			})
			var ln net.Listener
			var err error
			if mode == TLSImplicit {
				ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg)
			} else {
				ln, err = net.Listen("tcp", "127.0.0.1:0")
			}
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			m := &memIMAP{host: "127.0.0.1", port: ln.Addr().(*net.TCPAddr).Port, user: user}
			env := conntest.New(t, store.SQLite)
			st := settingsFor(m, nil)
			st["imap"].(map[string]any)["tls"] = mode
			st["imap"].(map[string]any)["insecure_skip_verify"] = true
			row := env.AddChannel(Kind, "tls", st, secretsFor(), "")
			m.deliver(t, "INBOX", customerMail("a@example.net", "support@example.com", "tls", "tls1@example.net", "secure"))
			stop := runStart(directChannel(t, env, row, nil), env.Inbox)
			env.Eventually("message over "+mode, func() bool { return ticketOf(t, env, row.ID, "tls1@example.net") != 0 })
			stop()
		})
	}
}

func TestListenerSTARTTLS(t *testing.T) {
	_, certPath, keyPath := selfSigned(t)
	env := conntest.New(t, store.SQLite)
	row, addr := startListener(t, env, map[string]any{"cert": certPath, "key": keyPath, "require_auth": true},
		map[string]any{"listen_password": "mx-secret"})
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered before STARTTLS")
	}
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(smtp.PlainAuth("", "support@example.com", "mx-secret", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("support@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(customerMail("a@example.net", "support@example.com", "starttls", "stls1@example.net", "encrypted"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	waitTicket(t, env, row.ID, "stls1@example.net")
}
