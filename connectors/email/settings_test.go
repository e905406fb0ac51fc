package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors"
)

func TestSettingsValidate(t *testing.T) {
	ok := map[string]any{"address": "support@example.com", "imap": map[string]any{"host": "imap.example.com"}}
	for name, c := range map[string]struct {
		patch map[string]any
		err   string
	}{
		"ok":           {nil, ""},
		"no address":   {map[string]any{"address": "support"}, "address"},
		"no receiving": {map[string]any{"imap": map[string]any{}}, "imap.host or listen.addr"},
		"bad tls":      {map[string]any{"smtp": map[string]any{"tls": "ssl"}}, "tls must be"},
		"move without": {map[string]any{"imap": map[string]any{"host": "h", "after_import": "move"}}, "move_to"},
		"bad action":   {map[string]any{"imap": map[string]any{"host": "h", "after_import": "delete"}}, "after_import"},
		"bad poll":     {map[string]any{"imap": map[string]any{"host": "h", "poll_interval": "10ms"}}, "poll_interval"},
		"cert alone":   {map[string]any{"listen": map[string]any{"addr": ":25", "cert": "/x"}}, "cert and listen.key"},
		"listener":     {map[string]any{"imap": map[string]any{}, "listen": map[string]any{"addr": ":2525"}}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			st := map[string]any{}
			for k, v := range ok {
				st[k] = v
			}
			for k, v := range c.patch {
				st[k] = v
			}
			conn, err := New(connectors.Channel{ID: 1, Kind: Kind, Settings: st}, connectors.Deps{})
			if err != nil {
				t.Fatal(err)
			}
			err = conn.Validate(t.Context())
			if (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
				t.Errorf("Validate = %v, want %q", err, c.err)
			}
		})
	}
}

func TestSecretsAreValuesNotFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(p, []byte("from-file\n"), 0o600)
	for _, secrets := range []map[string]any{{"imap_password_file": p}, {"smtp_password": "file:" + p}} {
		if _, err := New(connectors.Channel{ID: 1, Kind: Kind, Settings: map[string]any{"address": "s@example.com"},
			Secrets: secrets}, connectors.Deps{}); err == nil {
			t.Errorf("file reference %v accepted", secrets)
		}
	}
	conn, err := New(connectors.Channel{ID: 1, Kind: Kind, Settings: map[string]any{"address": "s@example.com"},
		Secrets: map[string]any{"imap_password": "pw1", "smtp_password": "pw2"}}, connectors.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	c := conn
	if c.imapPassword != "pw1" || c.smtpPassword != "pw2" {
		t.Errorf("passwords %q %q", c.imapPassword, c.smtpPassword)
	}
	if c.settings.IMAP.Port != 993 || c.settings.SMTP.Port != 587 || c.settings.IMAP.Folder != "INBOX" || c.settings.MaxMessageBytes != DefaultMaxMessageBytes {
		t.Errorf("defaults %+v", c.settings)
	}
}
