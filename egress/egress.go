// Package egress makes the HTTP clients Hanbox calls admin-given URLs with
// (rule webhooks, event webhooks). Such a URL must not reach Hanbox's own
// host or network: a client from Client refuses loopback, private (RFC 1918,
// unique local), link-local (cloud metadata at 169.254.169.254),
// unspecified, multicast, CGNAT and other non-public addresses unless
// AllowPrivate is set. The check runs on the address actually dialled,
// after name resolution and for every redirect and reconnection, so a name
// that resolves to a private address (or changes to one) is refused too.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrBlocked is the error (wrapped) of a dial to a refused address.
var ErrBlocked = errors.New("egress: destination address not allowed")

// Options shape a client.
type Options struct {
	// Timeout bounds one request (default 10s).
	Timeout time.Duration
	// AllowPrivate lets the client reach loopback and private networks (a
	// receiver on the same host or LAN; tests with httptest servers).
	AllowPrivate bool
	// FollowRedirects follows up to 5 redirects (each checked); by default
	// a redirect is returned as the response.
	FollowRedirects bool
}

// cgnat is 100.64.0.0/10 (shared address space), not public.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Public reports whether ip is a public unicast address a webhook may reach.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() &&
		!ip.IsMulticast() && !ip.IsUnspecified() && !cgnat.Contains(ip)
}

// Client returns an HTTP client that ignores proxy settings and, unless
// opts.AllowPrivate, refuses non-public destinations (see Public).
func Client(opts Options) *http.Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrBlocked, address)
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !Public(ip) {
				return fmt.Errorf("%w: %s", ErrBlocked, host)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy: nil, // a proxy would dial for us, past the check
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c := &http.Client{Timeout: opts.Timeout, Transport: tr}
	if !opts.FollowRedirects {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	} else {
		c.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("egress: too many redirects")
			}
			return nil
		}
	}
	return c
}
