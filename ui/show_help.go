package ui

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
)

// The public help center: /help/{locale} (articles by category and a
// search box), /help/{locale}/{slug} (one article), /help/sitemap.xml.
// Server-rendered, no script at all, every value escaped by html/template
// and article bodies rendered by kb (goldmark, then bluemonday). Only
// published articles exist here: a draft's slug answers 404 like a missing
// one. It lives in ui for the same reasons as the conversation page: the
// embedded templates checked at start-up, checksum assets and the catalogue.

var helpPages = template.Must(template.New("help").Funcs(templateFuncs()).ParseFS(templateFS, "templates/help.html"))

// helpPage is what the help templates receive.
type helpPage struct {
	tr     translator
	Lang   string
	Title  string
	Path   string
	Locale string
	Q      string
	// Exactly one of the following is set by each page.
	Categories []helpCategory
	Results    []store.KBArticle
	Searched   bool
	Article    *store.KBArticle
	// Related are other articles about the same thing (kb.Related).
	Related  []store.KBArticle
	Body     template.HTML
	NotFound bool
}

type helpCategory struct {
	Name     string
	Articles []store.KBArticle
}

func (p *helpPage) Tr(key string) string { return p.tr.T(key) }

// Languages lists the help center's locales for the switcher.
func (p *helpPage) Languages() []string { return kb.Locales }

// ArticlePath is the path of a in the help center.
func (p *helpPage) ArticlePath(a store.KBArticle) string { return kb.Path(&a) }

// CanonicalPath is the path of the page's article.
func (p *helpPage) CanonicalPath() string { return kb.Path(p.Article) }

func (h *handler) helpRedirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/help/"+language(r), http.StatusFound)
}

// helpLocale returns the page's locale and its translator, or false.
func helpLocale(r *http.Request) (string, translator, bool) {
	l := r.PathValue("locale")
	for _, x := range kb.Locales {
		if x == l {
			return l, translatorFor(l), true
		}
	}
	return "", translatorFor(language(r)), false
}

func (h *handler) showHelpHome(w http.ResponseWriter, r *http.Request) {
	locale, tr, ok := helpLocale(r)
	pg := &helpPage{tr: tr, Lang: tr.lang, Title: tr.T("hc.center"), Path: r.URL.Path, Locale: locale}
	if !ok {
		h.renderHelp(w, pg, http.StatusNotFound)
		return
	}
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		if rs := []rune(q); len(rs) > 200 {
			q = string(rs[:200])
		}
		pg.Q, pg.Searched = q, true
		// Customers type questions, not keywords: rank by any word
		// (the suggestion ranking) rather than requiring every word.
		hits, err := h.s.API.KB.Suggest(r.Context(), q, locale, 10)
		if err != nil {
			h.log.Error("help search", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		for _, hit := range hits {
			pg.Results = append(pg.Results, hit.Article)
		}
		h.renderHelp(w, pg, http.StatusOK)
		return
	}
	arts, err := h.s.API.KB.ListPublic(r.Context(), locale)
	if err != nil {
		h.log.Error("help list", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	byCat := map[string][]store.KBArticle{}
	for _, a := range arts {
		byCat[a.Category] = append(byCat[a.Category], a)
	}
	for name, list := range byCat {
		pg.Categories = append(pg.Categories, helpCategory{Name: name, Articles: list})
	}
	sort.Slice(pg.Categories, func(i, j int) bool {
		a, b := pg.Categories[i].Name, pg.Categories[j].Name
		if (a == "") != (b == "") {
			return b == "" // uncategorized last
		}
		return a < b
	})
	h.renderHelp(w, pg, http.StatusOK)
}

func (h *handler) showHelpArticle(w http.ResponseWriter, r *http.Request) {
	locale, tr, ok := helpLocale(r)
	pg := &helpPage{tr: tr, Lang: tr.lang, Title: tr.T("hc.center"), Path: r.URL.Path, Locale: locale}
	if !ok {
		pg.NotFound = true
		h.renderHelp(w, pg, http.StatusNotFound)
		return
	}
	a, err := h.s.API.KB.Published(r.Context(), locale, r.PathValue("slug"))
	if kb.IsNotFound(err) {
		pg.NotFound = true
		h.renderHelp(w, pg, http.StatusNotFound)
		return
	}
	if err != nil {
		h.log.Error("help article", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pg.Article, pg.Body, pg.Title = a, h.s.API.KB.Render(a.Body), a.Title+" · "+tr.T("hc.center")
	if pg.Related, err = h.s.API.KB.Related(r.Context(), a, 3); err != nil {
		h.log.Warn("related articles", "article_id", a.ID, "err", err) // the article itself still shows
	}
	h.renderHelp(w, pg, http.StatusOK)
}

func (h *handler) renderHelp(w http.ResponseWriter, pg *helpPage, status int) {
	var buf bytes.Buffer
	if err := helpPages.ExecuteTemplate(&buf, "help", pg); err != nil {
		h.log.Error("render help page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	// No script at all; article images may come from https sites.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// Revalidated on every view: an unpublished article must vanish at once,
	// also from shared caches.
	hd.Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// showHelpSitemap lists every published article (sitemaps.org protocol).
func (h *handler) showHelpSitemap(w http.ResponseWriter, r *http.Request) {
	type loc struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
	}
	type urlset struct {
		XMLName xml.Name `xml:"urlset"`
		NS      string   `xml:"xmlns,attr"`
		URLs    []loc    `xml:"url"`
	}
	base := strings.TrimRight(h.s.Config.BaseURL, "/")
	set := urlset{NS: "http://www.sitemaps.org/schemas/sitemap/0.9"}
	for _, l := range kb.Locales {
		set.URLs = append(set.URLs, loc{Loc: base + "/help/" + l})
		arts, err := h.s.API.KB.ListPublic(r.Context(), l)
		if err != nil {
			h.log.Error("help sitemap", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		for i := range arts {
			set.URLs = append(set.URLs, loc{Loc: base + kb.Path(&arts[i]), LastMod: arts[i].UpdatedAt.UTC().Format("2006-01-02")})
		}
	}
	out, err := xml.MarshalIndent(set, "", " ")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}
