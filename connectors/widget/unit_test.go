package widget

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestScriptHandler(t *testing.T) {
	srv := httptest.NewServer(ScriptHandler())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/widget.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || resp.Header.Get("Content-Encoding") != "gzip" ||
		resp.Header.Get("ETag") == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("headers = %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, widgetJS) {
		t.Fatal("gzip body differs from the script")
	}
	req2, _ := http.NewRequest("GET", srv.URL+"/widget.js", nil)
	req2.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp2, err := http.DefaultTransport.RoundTrip(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET = %d", resp2.StatusCode)
	}
}

// TestScriptSize keeps the widget small: it loads on every page of every
// customer's site.
func TestScriptSize(t *testing.T) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(widgetJS)
	zw.Close()
	const limit = 30 << 10
	if b.Len() > limit {
		t.Fatalf("widget.js is %d bytes gzipped, over the %d budget", b.Len(), limit)
	}
	t.Logf("widget.js: %d bytes, %d gzipped", len(widgetJS), b.Len())
	// Visitor and agent text must never go through an HTML sink.
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if bytes.Contains(widgetJS, []byte(sink)) {
			t.Errorf("widget.js uses %s", sink)
		}
	}
	if !bytes.Contains(widgetJS, []byte("mode: 'closed'")) {
		t.Error("widget.js must use a closed shadow root")
	}
}

func TestSettingsValidate(t *testing.T) {
	var good Settings
	b, _ := json.Marshal(loadSettings(t, "settings.json"))
	if err := json.Unmarshal(b, &good); err != nil {
		t.Fatal(err)
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("testdata settings: %v", err)
	}
	if good.Greeting.Get("ko") != "안녕하세요! 무엇을 도와드릴까요?" || good.Greeting.Get("fr") != "Hi! How can we help?" {
		t.Fatalf("greeting = %v", good.Greeting)
	}
	for name, raw := range map[string]string{
		"origin with path":  `{"allowed_origins":["https://a.example/x"]}`,
		"origin no scheme":  `{"allowed_origins":["a.example"]}`,
		"color":             `{"color":"red; background:url(x)"}`,
		"position":          `{"position":"top"}`,
		"locale":            `{"locale":"jp"}`,
		"theme":             `{"theme":"sepia"}`,
		"time zone":         `{"office_hours":{"time_zone":"Mars/Base","weekly":{"mon":[["09:00","18:00"]]}}}`,
		"span":              `{"office_hours":{"time_zone":"Asia/Seoul","weekly":{"mon":[["18:00","09:00"]]}}}`,
		"day":               `{"office_hours":{"time_zone":"Asia/Seoul","weekly":{"monday":[["09:00","18:00"]]}}}`,
		"holiday":           `{"office_hours":{"time_zone":"Asia/Seoul","holidays":["25/12/2026"]}}`,
		"proactive message": `{"proactive":[{"url_pattern":"/x"}]}`,
	} {
		var s Settings
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Validate() == nil {
			t.Errorf("%s: %s accepted", name, raw)
		}
	}
	var plain Settings
	json.Unmarshal([]byte(`{"greeting":"Hello"}`), &plain)
	if plain.Greeting.Get("ko") != "Hello" || plain.grace() != DefaultGrace || plain.maxUpload() != DefaultMaxUploadBytes {
		t.Fatalf("defaults: %+v", plain)
	}
}

func TestOfficeHoursState(t *testing.T) {
	oh := &OfficeHours{TimeZone: "Asia/Seoul", Weekly: map[string][][2]string{
		"mon": {{"09:00", "12:00"}, {"13:00", "18:00"}}, "fri": {{"09:00", "17:00"}},
	}, Holidays: []string{"2026-12-25"}}
	seoul, _ := time.LoadLocation("Asia/Seoul")
	at := func(s string) time.Time { tm, _ := time.ParseInLocation("2006-01-02 15:04", s, seoul); return tm }
	for _, tc := range []struct {
		now      string
		open     bool
		nextOpen string
	}{
		{"2026-11-23 10:00", true, ""},                  // Monday morning
		{"2026-11-23 12:30", false, "2026-11-23 13:00"}, // lunch
		{"2026-11-23 18:00", false, "2026-11-27 09:00"}, // Monday evening → Friday
		{"2026-12-24 20:00", false, "2026-12-28 09:00"}, // Friday 25th is a holiday
		{"2026-11-27 16:59", true, ""},
	} {
		st := oh.State(at(tc.now))
		if !st.Enabled || st.Open != tc.open {
			t.Errorf("%s: open = %v, want %v", tc.now, st.Open, tc.open)
		}
		if tc.nextOpen != "" && (st.NextOpen == nil || !st.NextOpen.Equal(at(tc.nextOpen))) {
			t.Errorf("%s: next open = %v, want %s", tc.now, st.NextOpen, tc.nextOpen)
		}
	}
	var none *OfficeHours
	if st := none.State(time.Now()); st.Enabled || !st.Open {
		t.Fatalf("no office hours = %+v", st)
	}
}

func TestSessionTokenTamper(t *testing.T) {
	key := randomBytes(32)
	tok, _ := sign(key, claims{Visitor: "v1", Exp: 99})
	var cl claims
	if !verify(key, tok, &cl) || cl.Visitor != "v1" {
		t.Fatal("round trip failed")
	}
	p, s, _ := strings.Cut(tok, ".")
	forged, _ := sign(randomBytes(32), claims{Visitor: "v1", UserID: "admin", Exp: 99})
	fp, _, _ := strings.Cut(forged, ".")
	for _, bad := range []string{fp + "." + s, p + "x." + s, p, "", tok + "x"} {
		if verify(key, bad, &claims{}) {
			t.Errorf("accepted %q", bad)
		}
	}
}
