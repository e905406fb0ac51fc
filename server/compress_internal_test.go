package server

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCompress(t *testing.T) {
	big := strings.Repeat("<p>배송 문의 Where is my order?</p>\n", 200)
	cases := []struct {
		name, accept, ctype, body string
		preset                    string // a Content-Encoding the handler sets itself
		wantGzip                  bool
		wantVary                  bool
	}{
		{name: "html gzipped", accept: "gzip, deflate, br", ctype: "text/html; charset=utf-8", body: big, wantGzip: true, wantVary: true},
		{name: "css gzipped", accept: "gzip", ctype: "text/css; charset=utf-8", body: big, wantGzip: true, wantVary: true},
		{name: "js gzipped", accept: "br;q=1.0, gzip;q=0.8", ctype: "text/javascript; charset=utf-8", body: big, wantGzip: true, wantVary: true},
		{name: "no gzip accepted", accept: "identity", ctype: "text/html; charset=utf-8", body: big, wantVary: true},
		{name: "gzip refused by q=0", accept: "gzip;q=0", ctype: "text/html; charset=utf-8", body: big, wantVary: true},
		{name: "small body as is", accept: "gzip", ctype: "text/html; charset=utf-8", body: "<p>hi</p>", wantVary: true},
		{name: "image untouched", accept: "gzip", ctype: "image/png", body: big},
		{name: "already encoded", accept: "gzip", ctype: "text/html", body: big, preset: "br"},
		{name: "sniffed html", accept: "gzip", body: "<!doctype html><html>" + big, wantGzip: true, wantVary: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.ctype != "" {
					w.Header().Set("Content-Type", c.ctype)
				}
				if c.preset != "" {
					w.Header().Set("Content-Encoding", c.preset)
				}
				// Written in pieces, as templates do.
				for i := 0; i < len(c.body); i += 300 {
					_, _ = io.WriteString(w, c.body[i:min(i+300, len(c.body))])
				}
			}))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Accept-Encoding", c.accept)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			gz := res.Header.Get("Content-Encoding") == "gzip"
			if gz != c.wantGzip {
				t.Fatalf("Content-Encoding %q, want gzip=%v", res.Header.Get("Content-Encoding"), c.wantGzip)
			}
			if vary := strings.Contains(res.Header.Get("Vary"), "Accept-Encoding"); vary != c.wantVary {
				t.Fatalf("Vary %q, want Accept-Encoding=%v", res.Header.Get("Vary"), c.wantVary)
			}
			body := rec.Body.Bytes()
			if gz {
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if rec.Body.Len() > len(c.body)/4 {
					t.Logf("compressed to %d of %d bytes", rec.Body.Len(), len(c.body))
				}
			}
			if string(body) != c.body {
				t.Fatalf("body changed: %d bytes, want %d", len(body), len(c.body))
			}
		})
	}
}

// TestCompressLeavesEventStreamUnbuffered: each event reaches the client
// while the handler is still running, uncompressed.
func TestCompressLeavesEventStreamUnbuffered(t *testing.T) {
	next := make(chan struct{})
	done := make(chan struct{})
	ts := httptest.NewServer(compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, ev := range []string{"one", "two"} {
			_, _ = io.WriteString(w, "data: "+ev+"\n\n")
			w.(http.Flusher).Flush()
			<-next
		}
		close(done)
	})))
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ce := res.Header.Get("Content-Encoding"); ce != "" {
		t.Fatalf("event stream encoded as %q", ce)
	}
	rd := bufio.NewReader(res.Body)
	for _, want := range []string{"data: one", "data: two"} {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(line) != want {
			t.Fatalf("got %q, want %q", line, want)
		}
		_, _ = rd.ReadString('\n')
		next <- struct{}{} // the handler is still running: the event was not held back
	}
	<-done
}

// TestCompressSkipsUpgrades: a WebSocket handshake reaches the handler with
// the server's own writer, so it can hijack the connection.
func TestCompressSkipsUpgrades(t *testing.T) {
	var hijackable bool
	h := compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, hijackable = w.(*compressWriter)
		hijackable = !hijackable
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Accept-Encoding", "gzip")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !hijackable {
		t.Fatal("an upgrade request got the compressing writer")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for in, want := range map[string]bool{"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=0.5": true,
		"gzip;q=0": false, "gzip; q=0.000": false, "br": false, "x-gzip": false} {
		if got := acceptsGzip(in); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", in, got, want)
		}
	}
}
