package egress

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestPublic: which addresses a webhook may reach.
func TestPublic(t *testing.T) {
	for _, c := range []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true}, {"203.0.113.10", true}, {"2001:4860:4860::8888", true},
		{"127.0.0.1", false}, {"::1", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"fe80::1", false}, {"fc00::1", false}, {"0.0.0.0", false}, {"::", false},
		{"224.0.0.1", false}, {"100.64.0.1", false}, {"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false},
	} {
		if got := Public(netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("Public(%s) = %v, want %v", c.ip, got, c.want)
		}
	}
}

// TestClientRefusesLoopback: the guarded client cannot reach a loopback
// server, also by name or through a redirect; with AllowPrivate it can.
func TestClientRefusesLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	byName := "http://localhost:" + srv.URL[len("http://127.0.0.1:"):]
	for _, u := range []string{srv.URL, byName} {
		if _, err := Client(Options{}).Get(u); !errors.Is(err, ErrBlocked) {
			t.Fatalf("guarded GET %s: %v, want ErrBlocked", u, err)
		}
	}
	resp, err := Client(Options{AllowPrivate: true, FollowRedirects: true}).Get(srv.URL + "/hop")
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("allowed GET: %v %v", resp, err)
	}
	resp.Body.Close()
}
