package discord

import (
	"net/http"
	"net/url"
)

// rewriteTransport sends requests for Discord's API host to another base URL
// (api_base). discordgo computes its endpoint URLs once at init from
// https://discord.com, so pointing a session elsewhere is done here, per
// client, rather than by changing the library's globals.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

// discordHosts are the hosts rewritten to api_base.
var discordHosts = map[string]bool{"discord.com": true, "discordapp.com": true}

// RoundTrip implements http.RoundTripper.
func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if discordHosts[req.URL.Host] {
		req = req.Clone(req.Context())
		req.URL.Scheme = t.base.Scheme
		req.URL.Host = t.base.Host
		req.Host = t.base.Host
	}
	return t.next.RoundTrip(req)
}

// apiClient returns base, or a copy of it whose requests to Discord go to
// apiBase when that is set.
func apiClient(base *http.Client, apiBase string) (*http.Client, error) {
	if base == nil {
		base = &http.Client{}
	}
	if apiBase == "" {
		return base, nil
	}
	u, err := url.Parse(apiBase)
	if err != nil {
		return nil, err
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c := *base
	c.Transport = &rewriteTransport{base: u, next: next}
	return &c, nil
}
