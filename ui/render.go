package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hanbox/hanbox/api"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/avatar"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
)

// pages are the parsed templates, one set per page (layout + page). They are
// parsed at start-up: a broken template fails the build's tests and the
// process start, never a request.
type pages struct {
	sets map[string]*template.Template
}

var defaultPages = mustPages()

var pageNames = []string{"login", "inbox", "ticket", "password", "channels", "agents", "teams", "bot", "sla", "saved_replies", "quarantine", "deliveries", "error", "kb", "kb_edit", "rules", "webhooks", "audit", "contact", "attributes", "segments", "reports", "surveys", "contacts_io", "campaigns", "assist"}

func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"asset": defaultAssets.URL,
		// avatarURL is where an agent's avatar blob is served.
		"avatarURL": avatar.Path,
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"short":     func(t time.Time) string { return t.UTC().Format("01-02 15:04") },
		"deref": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
		"isoPtr": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"size": humanSize,
		"initial": func(s string) string {
			for _, r := range strings.TrimSpace(s) {
				return strings.ToUpper(string(r))
			}
			return "?"
		},
		"join": strings.Join,
		// dict builds the argument map of a sub-template from key, value pairs.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		// hasWord reports whether the space-separated list holds w.
		"hasWord": func(list, w string) bool { return slices.Contains(strings.Fields(list), w) },
		"inc":     func(i int) int { return i + 1 },
		"spans": func(sp [][2]string) string {
			parts := make([]string, len(sp))
			for i, p := range sp {
				parts[i] = p[0] + "-" + p[1]
			}
			return strings.Join(parts, ", ")
		},
		"slaForm": slaForm,
		"hasID": func(ids []int64, id int64) bool {
			for _, x := range ids {
				if x == id {
					return true
				}
			}
			return false
		},
		// bidi drops the bidirectional controls from a name or file name
		// (plaintext.StripBidi); templates also put it in <bdi> so it cannot
		// reorder what is printed next to it.
		"bidi": plaintext.StripBidi,
		// cause sorts a delivery error into a cause the agent reads in
		// their language ("delivery.cause.<cause>").
		"cause": deliveryCause,
	}
}

func mustPages() *pages {
	p, err := parsePages(templateFS)
	if err != nil {
		panic(err)
	}
	return p
}

func parsePages(fsys fs.FS) (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(templateFuncs()).ParseFS(fsys, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: parse template %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// page is what every template receives.
type page struct {
	tr     translator
	Lang   string
	Theme  string // "light", "dark" or "" (the system's)
	Title  string
	Page   string // names the page for the JS (body data-page)
	Agent  *store.Agent
	CSRF   string
	Admin  bool
	Path   string
	Boot   map[string]any // JSON for the scripts, read with JSON.parse
	Data   any
	Status int
}

// Tr translates a UI string.
func (p *page) Tr(key string) string { return p.tr.T(key) }

// Languages lists the UI languages for the switcher.
func (p *page) Languages() []string { return languages }

func (h *handler) newPage(r *http.Request, pr *auth.Principal, name, titleKey string) *page {
	lang := language(r)
	tr := translatorFor(lang)
	pg := &page{tr: tr, Lang: tr.lang, Theme: theme(r), Title: tr.T(titleKey), Page: name, Path: r.URL.RequestURI(),
		Boot: map[string]any{"lang": tr.lang, "strings": jsStrings(tr)}}
	if pr != nil {
		pg.Agent = pr.Agent
		pg.Admin = pr.Agent.Role == store.RoleAdmin
		if pr.Cookie {
			pg.CSRF = auth.CSRFToken(pr.Token)
		}
		ag := map[string]any{"id": pr.Agent.ID, "name": pr.Agent.Name, "email": pr.Agent.Email}
		if pr.Agent.NotifyDesktop || pr.Agent.NotifySound {
			// notify.js turns the event stream into notifications of these
			// kinds; "new ticket in my teams" needs the teams.
			teams, err := h.s.Store.TeamIDsOf(r.Context(), pr.Agent.ID)
			if err != nil {
				h.log.Warn("teams of agent", "err", err)
			}
			ag["notify"] = map[string]any{"desktop": pr.Agent.NotifyDesktop, "sound": pr.Agent.NotifySound,
				"on": api.NotifyKindsOf(pr.Agent), "teams": append([]int64{}, teams...), "number_base": store.TicketNumberBase}
		}
		pg.Boot["agent"] = ag
	}
	return pg
}

// jsStrings are the catalogue entries the scripts use.
func jsStrings(tr translator) map[string]string {
	out := make(map[string]string, len(catalog["en"]))
	for k := range catalog["en"] {
		out[k] = tr.T(k)
	}
	return out
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, name string, pg *page) {
	t, ok := h.pages.sets[name]
	if !ok {
		h.log.Error("unknown template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		h.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	setPageHeaders(w)
	if pg.Status != 0 {
		w.WriteHeader(pg.Status)
	}
	_, _ = buf.WriteTo(w)
}

func (h *handler) renderError(w http.ResponseWriter, r *http.Request, pr *auth.Principal, status int, msgKey string) {
	pg := h.newPage(r, pr, "error", "error.title")
	h.renderErrorPage(w, r, pg, status, pg.Tr(msgKey))
}

// fail renders err as an error page: web.FromError gives its status and
// the translated message; an unexpected error is logged with what failed.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, pr *auth.Principal, what string, err error) {
	e := web.FromError(err)
	if e.Status >= 500 {
		h.log.Error(what, "path", r.URL.Path, "err", err)
	}
	pg := h.newPage(r, pr, "error", "error.title")
	h.renderErrorPage(w, r, pg, e.Status, pg.tr.Error(e))
}

func (h *handler) renderErrorPage(w http.ResponseWriter, r *http.Request, pg *page, status int, message string) {
	pg.Status = status
	pg.Data = map[string]any{"Message": message, "Status": status}
	h.render(w, r, "error", pg)
}

func humanSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1024/1024)
	}
}
