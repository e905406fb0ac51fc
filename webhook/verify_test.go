package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/signing"
)

// The lines between the markers are the README's verification snippet, word
// for word (TestReadmeSnippet checks it); every test receiver verifies with it.

// README:begin
// verifyWebhook checks a Hanbox event webhook: X-Hanbox-Signature must be
// "sha256=" + hex HMAC-SHA256(secret, X-Hanbox-Timestamp + "." + body)
// and the timestamp (Unix seconds) within five minutes of now.
func verifyWebhook(secret string, h http.Header, body []byte, now time.Time) bool {
	ts, err := strconv.ParseInt(h.Get("X-Hanbox-Timestamp"), 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.%s", ts, body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(h.Get("X-Hanbox-Signature")))
}

// README:end

func TestReadmeSnippet(t *testing.T) {
	src, err := os.ReadFile("verify_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	begin := strings.Index(s, "// README:begin\n") + len("// README:begin\n")
	end := strings.Index(s, "\n// README:end")
	snippet := strings.TrimSpace(s[begin:end])
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), snippet) {
		t.Fatalf("README.md does not carry the verification snippet of verify_test.go:\n%s", snippet)
	}
}

// TestSignatureAndReplayWindow: the snippet and connectors/api VerifyAt agree
// with SignAt; a changed body, a wrong secret or an old timestamp fail.
func TestSignatureAndReplayWindow(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1_ticket.created","type":"ticket.created","version":1}`)
	h := http.Header{}
	h.Set("X-Hanbox-Timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("X-Hanbox-Signature", signing.SignAt("whsec_k", now.Unix(), body))
	for _, c := range []struct {
		name   string
		secret string
		body   []byte
		at     time.Time
		ok     bool
	}{
		{"good", "whsec_k", body, now, true},
		{"four minutes later", "whsec_k", body, now.Add(4 * time.Minute), true},
		{"replayed ten minutes later", "whsec_k", body, now.Add(10 * time.Minute), false},
		{"changed body", "whsec_k", append([]byte(nil), append(body, ' ')...), now, false},
		{"wrong secret", "whsec_x", body, now, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := verifyWebhook(c.secret, h, c.body, c.at); got != c.ok {
				t.Fatalf("snippet: %v, want %v", got, c.ok)
			}
			err := signing.VerifyAt(c.secret, h.Get("X-Hanbox-Signature"), h.Get("X-Hanbox-Timestamp"), c.body, c.at, signing.DefaultReplayWindow)
			if (err == nil) != c.ok {
				t.Fatalf("VerifyAt: %v, want ok=%v", err, c.ok)
			}
		})
	}
}
