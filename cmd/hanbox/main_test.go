package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
)

// TestMain lets the test binary act as hanbox itself when HANBOX_AS_MAIN is
// set, so the tests below run the real command as a separate process.
func TestMain(m *testing.M) {
	if os.Getenv("HANBOX_AS_MAIN") == "1" {
		os.Args = append([]string{"hanbox"}, strings.Fields(os.Getenv("HANBOX_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func hanbox(t *testing.T, data string, args string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "HANBOX_AS_MAIN=1", "HANBOX_ARGS="+args, "HANBOX_DATA="+data, "HANBOX_ADDR=127.0.0.1:0", "HANBOX_DATABASE_URL=")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// TestServeFirstStart runs `hanbox` with no arguments on an empty data
// directory: it creates the admin, prints the password once, serves, and
// stops cleanly on SIGTERM.
func TestServeFirstStart(t *testing.T) {
	data := t.TempDir()
	cmd := hanbox(t, data, "", "HANBOX_ADMIN_PASSWORD=")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	var password, addr string
	addrRe := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		line := sc.Text()
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "password: "); ok {
			password = p
		}
		if m := addrRe.FindStringSubmatch(line); m != nil {
			addr = m[1]
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	if password == "" || addr == "" {
		t.Fatalf("first start printed password %q, addr %q", password, addr)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}
	body := `{"email":"admin@localhost","password":"` + password + `"}`
	resp, err = http.Post("http://"+addr+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login with the printed password: %d", resp.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop after SIGTERM")
	}
	if _, err := os.Stat(data + "/hanbox.db"); err != nil {
		t.Fatalf("no SQLite database in the data dir: %v", err)
	}
}

func TestSubcommands(t *testing.T) {
	data := t.TempDir()
	out, err := hanbox(t, data, "migrate").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "schema at version") {
		t.Fatalf("migrate: %v %s", err, out)
	}
	out, err = hanbox(t, data, "admin create boss@example.com 사장", "HANBOX_ADMIN_PASSWORD=long enough pw").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "created") {
		t.Fatalf("admin create: %v %s", err, out)
	}
	out, err = hanbox(t, data, "admin reset-password boss@example.com", "HANBOX_ADMIN_PASSWORD=").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "password: ") {
		t.Fatalf("reset-password: %v %s", err, out)
	}
	// Both are in the audit log, without the passwords.
	generated := strings.TrimSpace(string(out[strings.Index(string(out), "password: ")+len("password: "):]))
	st, err := store.Open(context.Background(), store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := st.AuditEntries(context.Background(), store.AuditFilter{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Action != "agents.password_reset" || entries[1].Action != "agents.create" ||
		entries[0].UserAgent != "hanbox admin (command line)" || entries[0].ActorEmail != "boss@example.com" {
		t.Fatalf("audit entries %+v", entries)
	}
	for _, e := range entries {
		if dump := fmt.Sprint(e); strings.Contains(dump, "long enough pw") || strings.Contains(dump, generated) {
			t.Fatalf("a password in the audit log: %s", dump)
		}
	}
	out, err = hanbox(t, data, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("version: %v %s", err, out)
	}
	if out, err := hanbox(t, data, "bogus").CombinedOutput(); err == nil {
		t.Fatalf("unknown command accepted: %s", out)
	}
}
