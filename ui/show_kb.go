package ui

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
)

// kbListData is the knowledge-base screen: every article (or the matches of
// a search), drafts included.
type kbListData struct {
	Q        string
	Locale   string
	Articles []store.KBArticle
	// Admin shows the help center's category form: Restricted and one
	// row per category articles have.
	Admin      bool
	Restricted bool
	Categories []helpCategoryChoice
}

// helpCategoryChoice is one row of the help center's category form.
type helpCategoryChoice struct {
	Name   string
	Public bool
}

func (h *handler) showKB(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	q := r.URL.Query().Get("q")
	locale := r.URL.Query().Get("locale")
	if locale != "ko" && locale != "en" {
		locale = ""
	}
	d := kbListData{Q: q, Locale: locale}
	if q != "" {
		hits, err := h.s.API.KB.Search(r.Context(), q, locale, true, 100)
		if err != nil {
			h.fail(w, r, p, "search kb", err)
			return
		}
		for _, hit := range hits {
			d.Articles = append(d.Articles, hit.Article)
		}
	} else {
		arts, err := h.s.API.KB.List(r.Context(), store.KBFilter{Locale: locale, Limit: 1000})
		if err != nil {
			h.fail(w, r, p, "list kb", err)
			return
		}
		d.Articles = arts
	}
	if p != nil && p.Agent.Role == store.RoleAdmin {
		d.Admin = true
		hs, err := h.s.Store.HelpSettingsOf(r.Context())
		if err != nil {
			h.fail(w, r, p, "help settings", err)
			return
		}
		all, err := h.s.Store.KBCategories(r.Context())
		if err != nil {
			h.fail(w, r, p, "kb categories", err)
			return
		}
		d.Restricted = hs.Restricted
		for _, c := range all {
			if c != "" {
				d.Categories = append(d.Categories, helpCategoryChoice{Name: c, Public: slices.Contains(hs.List(), c)})
			}
		}
	}
	pg := h.newPage(r, p, "kb", "kb.title")
	pg.Data = d
	h.render(w, r, "kb", pg)
}

// kbEditData is the article form: Article is empty for a new one.
type kbEditData struct {
	Article store.KBArticle
	New     bool
	Path    string
	// Files are the article's images and attachments, each with a delete
	// button.
	Files []store.KBFile
}

func (h *handler) showKBEdit(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	d := kbEditData{New: true, Article: store.KBArticle{Locale: language(r), Status: store.KBDraft}}
	if idText := r.PathValue("id"); idText != "" {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			h.renderError(w, r, p, http.StatusNotFound, "error.notFound")
			return
		}
		a, err := h.s.API.KB.Get(r.Context(), id)
		if kb.IsNotFound(err) {
			h.renderError(w, r, p, http.StatusNotFound, "error.notFound")
			return
		}
		if err != nil {
			h.fail(w, r, p, "get kb article", err)
			return
		}
		d = kbEditData{Article: *a, Path: kb.Path(a)}
		if d.Files, err = h.s.API.KB.Files(r.Context(), id); err != nil {
			h.fail(w, r, p, "list kb files", err)
			return
		}
	}
	pg := h.newPage(r, p, "kb_edit", "kb.title")
	pg.Data = d
	if !d.New {
		pg.Boot["article"] = map[string]any{"id": d.Article.ID}
	}
	h.render(w, r, "kb_edit", pg)
}
