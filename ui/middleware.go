package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
)

// pageFunc is a page handler for a signed-in agent.
type pageFunc func(w http.ResponseWriter, r *http.Request, p *auth.Principal)

// agent wraps a page that needs a signed-in agent: others are sent to the
// login page, which brings them back afterwards.
func (h *handler) agent(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w)
		p := auth.From(r.Context())
		if p == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if !auth.Safe(r.Method) && p.Cookie && !auth.CheckCSRF(r, p.Token) {
			h.renderError(w, r, p, http.StatusForbidden, "error.forbidden")
			return
		}
		fn(w, r, p)
	})
}

// admin wraps a page only admins may see; other agents get a 403 page.
func (h *handler) admin(fn pageFunc) http.Handler {
	return h.agent(func(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
		if p.Agent.Role != store.RoleAdmin {
			h.renderError(w, r, p, http.StatusForbidden, "admin.forbidden")
			return
		}
		fn(w, r, p)
	})
}

// checked refuses a request whose path or query is not valid text
// (web.CheckURL) with an error page, before next reads either.
func (h *handler) checked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := web.CheckURL(r); e != nil {
			pg := h.newPage(r, auth.From(r.Context()), "error", "error.title")
			h.renderErrorPage(w, r, pg, e.Status, pg.tr.Error(e))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func setPageHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
}

// localPath returns next when it is a path on this site, else "/".
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}
