package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestForwardedFor(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 127.0.0.1 ::1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy header", "10.1.2.3:555", nil, "10.1.2.3"},
		{"trusted proxy", "10.1.2.3:555", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-written hops are not believed", "10.1.2.3:555", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"chain of trusted proxies", "127.0.0.1:80", []string{"198.51.100.7, 10.9.9.9", "10.0.0.2"}, "198.51.100.7"},
		{"untrusted peer is itself the client", "203.0.113.50:1234", []string{"1.1.1.1"}, "203.0.113.50"},
		{"all hops trusted: the proxy's address", "10.1.2.3:555", []string{"10.0.0.9"}, "10.1.2.3"},
		{"junk hop keeps the proxy", "10.1.2.3:555", []string{"not-an-ip"}, "10.1.2.3"},
		{"ipv6 client behind ipv6 proxy", "[::1]:8080", []string{"2001:db8::1"}, "2001:db8::1"},
		{"ipv4-mapped peer", "[::ffff:10.0.0.1]:80", []string{"192.0.2.1"}, "192.0.2.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got string
			h := ForwardedFor(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) }))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != c.want {
				t.Fatalf("client %q, want %q", got, c.want)
			}
		})
	}
}

func TestForwardedForOffByDefault(t *testing.T) {
	var got string
	h := ForwardedFor(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:9"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "127.0.0.1" {
		t.Fatalf("with no trusted proxies the header must be ignored; client %q", got)
	}
}

func TestParsePrefixesRefusesJunk(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "proxy.local", "1.2.3"} {
		if _, err := ParsePrefixes(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
