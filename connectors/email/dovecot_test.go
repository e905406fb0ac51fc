package email

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// dovecot is a throwaway Dovecot IMAP server on 127.0.0.1.
type dovecot struct {
	port    int
	maildir string
	uid     int
	gid     int
	n       int
}

func startDovecot(t *testing.T) *dovecot {
	t.Helper()
	bin := "/usr/sbin/dovecot"
	if _, err := os.Stat(bin); err != nil {
		if p, err := exec.LookPath("dovecot"); err == nil {
			bin = p
		} else if os.Getenv("CI") == "true" {
			t.Fatal("dovecot is required in CI (apt-get install dovecot-imapd)")
		} else {
			t.Skip("dovecot not installed")
		}
	}
	dir := t.TempDir()
	// Dovecot's unprivileged processes must reach the config and passwd file.
	for _, p := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d := &dovecot{port: freePort(t), uid: os.Getuid(), gid: os.Getgid()}
	users := ""
	if d.uid == 0 {
		// Dovecot never accesses mail as root: use nobody, and its own
		// unprivileged users for the login and internal processes.
		d.uid, d.gid = 65534, 65534
	} else {
		me := strconv.Itoa(os.Getuid())
		users = "default_internal_user = " + me + "\ndefault_login_user = " + me + "\n"
		if u := os.Getenv("USER"); u != "" {
			users = "default_internal_user = " + u + "\ndefault_login_user = " + u + "\n"
		}
	}
	home := filepath.Join(dir, "home", "support")
	d.maildir = filepath.Join(home, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(d.maildir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	chownTree(t, filepath.Join(dir, "home"), d.uid, d.gid)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte("support:{PLAIN}dove-secret::::::\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
mail_location = maildir:%[1]s/home/%%u/Maildir
%[4]s
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[2]d gid=%[5]d home=%[1]s/home/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
`, dir, d.uid, d.port, users, d.gid)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", confPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not listen: %v\n%s\n%s", err, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Logf("dovecot log:\n%s", log)
		}
	})
	return d
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func chownTree(t *testing.T, root string, uid, gid int) {
	t.Helper()
	if os.Getuid() != 0 {
		return
	}
	err := filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// deliverMaildir drops a message into the maildir, as a local MDA would.
func (d *dovecot) deliverMaildir(t *testing.T, raw []byte) {
	t.Helper()
	d.n++
	name := fmt.Sprintf("%d.M%dP%d.hanbox-test", time.Now().Unix(), d.n, os.Getpid())
	tmp := filepath.Join(d.maildir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Chown(tmp, d.uid, d.gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(d.maildir, "new", name)); err != nil {
		t.Fatal(err)
	}
}

// appendIMAP delivers a message with IMAP APPEND from a second client.
func (d *dovecot) appendIMAP(t *testing.T, raw []byte) {
	t.Helper()
	cl, err := imapclient.DialInsecure(net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Login("support", "dove-secret").Wait(); err != nil {
		t.Fatal(err)
	}
	w := cl.Append("INBOX", int64(len(raw)), nil)
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Wait(); err != nil {
		t.Fatal(err)
	}
}

// countingSink counts Ingest calls per external id, to prove that no
// message is even offered twice (the inbox's dedupe would hide it).
type countingSink struct {
	inner inboxSink
	mu    sync.Mutex
	calls map[string]int
}

type inboxSink interface {
	Ingest(ctx context.Context, in *inbox.Inbound) (inbox.IngestResult, error)
}

func (c *countingSink) Ingest(ctx context.Context, in *inbox.Inbound) (inbox.IngestResult, error) {
	c.mu.Lock()
	c.calls[in.ExternalID]++
	c.mu.Unlock()
	return c.inner.Ingest(ctx, in)
}

func (c *countingSink) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

func TestDovecotSync(t *testing.T) {
	d := startDovecot(t)
	env := conntest.New(t, store.SQLite)
	st := settingsFor(nil, nil)
	st["imap"] = map[string]any{"host": "127.0.0.1", "port": d.port, "tls": "none", "username": "support"}
	row := env.AddChannel(Kind, "dovecot", st, map[string]any{"imap_password": "dove-secret"}, "")

	for _, name := range []string{"charset-euc-kr.eml", "charset-iso-2022-kr.eml", "gmail-reply.eml"} {
		d.deliverMaildir(t, readCorpus(t, name))
	}
	// A non-UTF-8 encoded word in From goes through Dovecot's ENVELOPE too.
	d.deliverMaildir(t, readCorpus(t, "naver-reply.eml"))
	sink := &countingSink{inner: env.Inbox, calls: map[string]int{}}
	stop := runStart(directChannel(t, env, row, nil), sink)
	env.Eventually("initial sync", func() bool { return countMessages(t, env, "channel_id = ?", row.ID) == 4 })

	// Live mail while idling, by APPEND and by maildir delivery. Each new
	// fetch asks for N:*, which Dovecot answers with the newest message even
	// when it is below N: it must not be offered again.
	d.appendIMAP(t, customerMail("live@example.net", "support@example.com", "실시간", "live1@example.net", "IDLE로 도착"))
	env.Eventually("appended mail", func() bool { return ticketOf(t, env, row.ID, "live1@example.net") != 0 })
	d.deliverMaildir(t, customerMail("live@example.net", "support@example.com", "two", "live2@example.net", "maildir while idle"))
	env.Eventually("maildir mail", func() bool { return ticketOf(t, env, row.ID, "live2@example.net") != 0 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Restart on the same store with nothing new: the first fetch asks for
	// N:* on an up-to-date mailbox, which is where Dovecot answers with the
	// newest (already imported) message. Then new mail arrives.
	connected := make(chan struct{}, 10)
	stop = runStart(directChannel(t, env, row, func(s string, _ error) {
		if s == "connected" {
			connected <- struct{}{}
		}
	}), sink)
	select {
	case <-connected:
	case <-time.After(15 * time.Second):
		t.Fatal("no connected status after restart")
	}
	d.appendIMAP(t, customerMail("live@example.net", "support@example.com", "three", "live3@example.net", "after restart"))
	env.Eventually("mail after restart", func() bool { return ticketOf(t, env, row.ID, "live3@example.net") != 0 })
	// Let a refresh cycle pass, so a re-fetch of N:* would have happened.
	d.appendIMAP(t, customerMail("live@example.net", "support@example.com", "four", "live4@example.net", "last"))
	env.Eventually("last mail", func() bool { return ticketOf(t, env, row.ID, "live4@example.net") != 0 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	calls := sink.snapshot()
	if len(calls) != 8 {
		t.Errorf("%d distinct messages offered, want 8: %v", len(calls), calls)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("message %s offered %d times", id, n)
		}
	}
	in, err := env.Inbox.MessageByExternalID(t.Context(), row.ID, "charset-iso-2022-kr@mail.example.net")
	if err != nil || in.Text != "로그인이 되지 않습니다.\r\n비밀번호를 재설정해 주세요.\r\n" && in.Text != "로그인이 되지 않습니다.\n비밀번호를 재설정해 주세요.\n" {
		t.Errorf("ISO-2022-KR through Dovecot: %v %q", err, textOf(in))
	}
	last, _ := env.Store.GetState(t.Context(), row.ID, "imap:INBOX:last_uid")
	if last != "8" {
		t.Errorf("checkpoint %q, want 8", last)
	}
}

func textOf(m *store.Message) string {
	if m == nil {
		return ""
	}
	return m.Text
}
