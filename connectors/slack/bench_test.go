package slack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
)

// BenchmarkServeEvent measures the synchronous part of an Events API
// request: signature check, envelope parse, dedupe and enqueue (Slack wants
// the answer within 3 s). Each request is signed in the loop, as Slack would.
func BenchmarkServeEvent(b *testing.B) {
	body, err := os.ReadFile("testdata/event_customer_message.json")
	if err != nil {
		b.Fatal(err)
	}
	const secret = "bench-secret"
	conn, err := New(connectors.Channel{ID: 1, Kind: Kind,
		Settings: map[string]any{"customer_channels": []any{"C0CUSTOMR"}},
		Secrets:  map[string]any{"bot_token": "xoxb-bench", "signing_secret": secret}}, connectors.Deps{})
	if err != nil {
		b.Fatal(err)
	}
	c := conn
	c.accepting = true
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev := bytes.Replace(body, []byte("Ev0CUSTMSG01"), []byte(fmt.Sprintf("Ev%010d", i)), 1)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("v0:" + ts + ":"))
		m.Write(ev)
		req := httptest.NewRequest(http.MethodPost, "/events", bytes.NewReader(ev))
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		w := httptest.NewRecorder()
		c.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		<-c.queue // the worker's side, outside the request
	}
}
