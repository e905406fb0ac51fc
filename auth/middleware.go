package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/hanbox/hanbox/store"
)

type ctxKey struct{}

// Principal is the authenticated agent of a request.
type Principal struct {
	Agent *store.Agent
	// Token is the session or API token presented.
	Token string
	// Cookie is true when the token came from the session cookie (and so
	// writes need a CSRF token).
	Cookie bool
}

// From returns the request's principal, or nil.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// Identify attaches the principal of a valid bearer token or session cookie
// to the request context; it never rejects (handlers decide what needs auth).
func (s *Service) Identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tok string
		cookie := false
		if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			tok = strings.TrimSpace(h)
		} else if c, err := r.Cookie(CookieName); err == nil {
			tok, cookie = c.Value, true
		}
		if tok != "" {
			a, _, err := s.Lookup(r.Context(), tok)
			switch {
			case err == nil:
				r = r.WithContext(WithPrincipal(r.Context(), &Principal{Agent: a, Token: tok, Cookie: cookie}))
			case !errors.Is(err, ErrNoSession):
				// The store failed: the request goes on signed out and its
				// handler answers as for anyone signed out.
				s.log.Error("identify", "err", err)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Safe reports whether a method never changes state.
func Safe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}
