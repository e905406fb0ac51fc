package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
)

// SuggestBurst is how many /kb/suggest calls one client address may make
// at once; the allowance refills over a minute.
const SuggestBurst = 60

// KBArticleBody creates an article (POST /kb/articles); on PATCH every
// field is optional.
type KBArticleBody struct {
	Title    *string `json:"title"`
	Body     *string `json:"body"`
	Locale   *string `json:"locale"`
	Category *string `json:"category"`
	Slug     *string `json:"slug"`
	Status   *string `json:"status"`
}

func (b KBArticleBody) input() kb.Input {
	return kb.Input{Title: b.Title, Body: b.Body, Locale: b.Locale, Category: b.Category, Slug: b.Slug, Status: b.Status}
}

func (a *API) kbArticleJSON(ar *store.KBArticle, withBody bool) map[string]any {
	m := map[string]any{
		"id": ar.ID, "title": ar.Title, "slug": ar.Slug, "category": ar.Category, "locale": ar.Locale,
		"status": ar.Status, "author_id": ar.AuthorID, "created_at": ar.CreatedAt, "updated_at": ar.UpdatedAt,
		"published_at": ar.PublishedAt, "url": a.BaseURL + kb.Path(ar),
	}
	if withBody {
		m["body"] = ar.Body
		m["html"] = string(a.KB.Render(ar.Body))
	}
	return m
}

func (a *API) listKBArticles(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	arts, err := a.KB.List(r.Context(), store.KBFilter{Locale: q.Get("locale"), Status: q.Get("status"), Category: q.Get("category"), Limit: limit, Offset: max(offset, 0)})
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for i := range arts {
		items = append(items, a.kbArticleJSON(&arts[i], false))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) createKBArticle(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b KBArticleBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if b.Title == nil {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "title is required").Because("required").With("field", "title")
	}
	id := principal(r).Agent.ID
	ar, err := a.KB.Create(r.Context(), b.input(), &id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.kbArticleJSON(ar, true), nil
}

func (a *API) getKBArticle(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	ar, err := a.KB.Get(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.kbArticleJSON(ar, true), nil
}

func (a *API) patchKBArticle(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b KBArticleBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	ar, err := a.KB.Update(r.Context(), id, b.input())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.kbArticleJSON(ar, true), nil
}

func (a *API) deleteKBArticle(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.KB.Delete(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) searchKB(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	hits, err := a.KB.Search(r.Context(), q.Get("q"), q.Get("locale"), true, limit)
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for i := range hits {
		m := a.kbArticleJSON(&hits[i].Article, false)
		m["score"] = hits[i].Score
		items = append(items, m)
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) suggestKB(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if ok, wait := a.suggestLimit.Allow(web.ClientIP(r)); !ok {
		e := errf(http.StatusTooManyRequests, "rate_limited", "too many suggestions from this address; wait and try again")
		e.RetryAfter = max(wait, time.Second)
		return 0, nil, e
	}
	q := r.URL.Query()
	var f web.Fields
	text := q.Get("q")
	if rs := []rune(text); len(rs) > 500 {
		text = string(rs[:500]) // a long message: its start is enough to suggest from
	}
	text = f.Line("q", text, 500)
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	hits, err := a.KB.Suggest(r.Context(), text, q.Get("locale"), limit)
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for _, h := range hits {
		items = append(items, map[string]any{"id": h.Article.ID, "title": h.Article.Title, "url": a.BaseURL + kb.Path(&h.Article), "score": h.Score})
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return http.StatusOK, map[string]any{"items": items}, nil
}

// publicKBArticle serves a published article to anyone (the widget's help
// tab reads it inside the chat): drafts and unknown ids are the same 404.
func (a *API) publicKBArticle(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if ok, wait := a.suggestLimit.Allow(web.ClientIP(r)); !ok {
		e := errf(http.StatusTooManyRequests, "rate_limited", "too many requests from this address; wait and try again")
		e.RetryAfter = max(wait, time.Second)
		return 0, nil, e
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	ar, err := a.KB.PublicArticle(r.Context(), id)
	if err != nil {
		return 0, nil, errf(http.StatusNotFound, "not_found", "no such article")
	}
	return http.StatusOK, map[string]any{"id": ar.ID, "title": ar.Title, "locale": ar.Locale, "category": ar.Category,
		"html": string(a.KB.Render(ar.Body)), "url": a.BaseURL + kb.Path(ar), "updated_at": ar.UpdatedAt}, nil
}

// selfServed counts self-served help visits ("did this answer your
// question?" → yes) between from and to (RFC 3339 or a date), per article.
func (a *API) selfServed(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	var bounds [2]time.Time
	for i, k := range []string{"from", "to"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "%s is not a time (RFC 3339 or YYYY-MM-DD)", k).Because("bad_time").With("field", k)
			}
		}
		bounds[i] = t
	}
	total, rows, err := a.Store.SelfServed(r.Context(), bounds[0], bounds[1])
	if err != nil {
		return 0, nil, err
	}
	if rows == nil {
		rows = []store.SelfServedCount{}
	}
	return http.StatusOK, map[string]any{"count": total, "items": rows}, nil
}

// KBPreviewBody is the body of POST /kb/preview.
type KBPreviewBody struct {
	Body string `json:"body"`
}

func (a *API) previewKB(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b KBPreviewBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if len(b.Body) > kb.MaxBody {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "body is longer than %d bytes", kb.MaxBody).Because("too_long").With("field", "body").With("max", kb.MaxBody)
	}
	return http.StatusOK, map[string]string{"html": string(a.KB.Render(b.Body))}, nil
}

// HelpSettingsBody restricts the public help center to categories.
type HelpSettingsBody struct {
	Restricted bool     `json:"restricted"`
	Categories []string `json:"categories"`
}

// helpSettingsJSON is the restriction and every category articles have.
func (a *API) helpSettingsJSON(r *http.Request) (map[string]any, error) {
	h, err := a.Store.HelpSettingsOf(r.Context())
	if err != nil {
		return nil, err
	}
	all, err := a.Store.KBCategories(r.Context())
	if err != nil {
		return nil, err
	}
	if all == nil {
		all = []string{}
	}
	return map[string]any{"restricted": h.Restricted, "categories": h.List(), "all_categories": all}, nil
}

func (a *API) getHelpSettings(w http.ResponseWriter, r *http.Request) (int, any, error) {
	out, err := a.helpSettingsJSON(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (a *API) putHelpSettings(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b HelpSettingsBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if err := a.KB.SetPublicCategories(r.Context(), b.Restricted, b.Categories); err != nil {
		return 0, nil, err
	}
	out, err := a.helpSettingsJSON(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func helpSchemas() map[string]any {
	list := map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	b := map[string]any{"type": "boolean", "description": "true: only the listed categories are public (on /help, in the sitemap, public suggest and search, the widget, the bot)"}
	return map[string]any{
		"HelpSettingsBody": map[string]any{"type": "object", "properties": map[string]any{"restricted": b, "categories": list}},
		"HelpSettings": map[string]any{"type": "object", "properties": map[string]any{"restricted": b, "categories": list,
			"all_categories": map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "every category articles have"}}},
	}
}

// KBFileBody uploads an article file: its name and base64 bytes.
type KBFileBody struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

func (a *API) kbFileJSON(f *store.KBFile) map[string]any {
	md := "[" + f.Name + "](" + kb.FilePath(f) + ")"
	if strings.HasPrefix(f.ContentType, "image/") {
		md = "!" + md
	}
	return map[string]any{"id": f.ID, "article_id": f.ArticleID, "name": f.Name, "content_type": f.ContentType, "size": f.Size,
		"url": a.BaseURL + kb.FilePath(f), "markdown": md, "created_at": f.CreatedAt}
}

func (a *API) uploadKBFile(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b KBFileBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	f, err := a.KB.AddFile(r.Context(), id, b.Name, b.Data)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.kbFileJSON(f), nil
}

func (a *API) deleteKBFile(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	file, err := strconv.ParseInt(r.PathValue("file"), 10, 64)
	if err != nil || file <= 0 {
		return 0, nil, errf(http.StatusNotFound, "not_found", "no such file")
	}
	if err := a.KB.DeleteFile(r.Context(), id, file); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) listKBFiles(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := a.KB.Get(r.Context(), id); err != nil {
		return 0, nil, err
	}
	files, err := a.KB.Files(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for i := range files {
		items = append(items, a.kbFileJSON(&files[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func kbFileSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	i := map[string]any{"type": "integer"}
	file := map[string]any{"type": "object", "properties": map[string]any{"id": i, "article_id": i, "name": str, "content_type": str, "size": i,
		"url":        map[string]any{"type": "string", "description": "public on the help center only while the article is public"},
		"markdown":   map[string]any{"type": "string", "description": "the image or link to paste into the body"},
		"created_at": map[string]any{"type": "string", "format": "date-time"}}}
	return map[string]any{
		"KBFileBody": map[string]any{"type": "object", "properties": map[string]any{"name": str,
			"data": map[string]any{"type": "string", "format": "byte", "description": "base64; at most 5 MiB of PNG, JPEG, GIF, WebP or PDF (by content)"}}},
		"KBFile":     file,
		"KBFileList": map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/KBFile"}}}},
	}
}
