// Package kb is Hanbox's knowledge base: articles written in Markdown by
// agents, one row per locale variant (ko, en), draft or published; their
// rendering (goldmark, then bluemonday, so an article can never carry
// script into the help center or the widget); search for agents and
// suggestions for customers. Search uses the store's Korean-aware tokens
// (the same as ticket search, so "배송" finds "배송이") ranked title above
// body with recency as the tie-breaker, identically on SQLite and
// PostgreSQL. Public callers only ever see published articles.
package kb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/store"
)

// Locales are the article languages.
var Locales = []string{"ko", "en"}

// Limits on article fields.
const (
	MaxTitle    = 200
	MaxBody     = 100_000
	MaxCategory = 80
	MaxSlug     = 120
)

// Service is the knowledge base. It is safe for concurrent use.
type Service struct {
	st     *store.Store
	md     goldmark.Markdown
	policy *bluemonday.Policy
	// Now is the clock (tests may replace it before use).
	Now func() time.Time
	// sched collects the bytes of deleted files later (EnableBlobCollection).
	sched *jobs.Scheduler
}

// New returns the knowledge base over st.
func New(st *store.Store) *Service {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return &Service{
		st: st,
		// Raw HTML in Markdown is dropped by goldmark (no html.WithUnsafe),
		// and what it renders is sanitized again.
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM)),
		policy: p,
		Now:    func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
}

// Input is a new article or the fields of a change (nil: unchanged).
type Input struct {
	Title    *string
	Body     *string
	Category *string
	Locale   *string
	Slug     *string
	Status   *string
}

func invalid(code, field, format string, args ...any) error {
	return &inbox.InvalidError{Code: code, Reason: fmt.Sprintf(format, args...), Params: map[string]any{"field": field}}
}

// validLocale reports whether l is one of Locales.
func validLocale(l string) bool {
	for _, x := range Locales {
		if x == l {
			return true
		}
	}
	return false
}

// apply copies in's fields onto a and validates the result.
func (s *Service) apply(a *store.KBArticle, in Input) error {
	if in.Title != nil {
		a.Title = strings.TrimSpace(*in.Title)
	}
	if in.Body != nil {
		a.Body = *in.Body
	}
	if in.Category != nil {
		a.Category = strings.TrimSpace(*in.Category)
	}
	if in.Locale != nil {
		a.Locale = *in.Locale
	}
	if in.Status != nil {
		a.Status = *in.Status
	}
	if in.Slug != nil {
		a.Slug = Slugify(*in.Slug)
	} else if a.Slug == "" || (in.Title != nil && a.Status == store.KBDraft && a.PublishedAt == nil) {
		// A never-published article follows its title; a published one
		// keeps its URL unless the slug is changed on purpose.
		a.Slug = Slugify(a.Title)
	}
	switch {
	case a.Title == "":
		return invalid("required", "title", "title is required")
	case utf8.RuneCountInString(a.Title) > MaxTitle:
		return &inbox.InvalidError{Code: "too_long", Reason: fmt.Sprintf("title is longer than %d characters", MaxTitle), Params: map[string]any{"field": "title", "max": MaxTitle}}
	case len(a.Body) > MaxBody:
		return &inbox.InvalidError{Code: "too_long", Reason: fmt.Sprintf("body is longer than %d bytes", MaxBody), Params: map[string]any{"field": "body", "max": MaxBody}}
	case utf8.RuneCountInString(a.Category) > MaxCategory:
		return &inbox.InvalidError{Code: "too_long", Reason: fmt.Sprintf("category is longer than %d characters", MaxCategory), Params: map[string]any{"field": "category", "max": MaxCategory}}
	case !validLocale(a.Locale):
		return invalid("invalid", "locale", "locale must be ko or en")
	case a.Status != store.KBDraft && a.Status != store.KBPublished:
		return invalid("invalid", "status", "status must be draft or published")
	case !utf8.ValidString(a.Title + a.Body + a.Category):
		return invalid("bad_utf8", "body", "text is not valid UTF-8")
	}
	if a.Slug == "" {
		a.Slug = "article"
	}
	return nil
}

// Create validates and stores a new article by author (nil: none). Status
// defaults to draft, locale to ko.
func (s *Service) Create(ctx context.Context, in Input, author *int64) (*store.KBArticle, error) {
	now := s.Now()
	a := &store.KBArticle{Status: store.KBDraft, Locale: "ko", AuthorID: author, CreatedAt: now, UpdatedAt: now}
	if err := s.apply(a, in); err != nil {
		return nil, err
	}
	if a.Status == store.KBPublished {
		a.PublishedAt = &now
	}
	if err := s.st.CreateKBArticle(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Update changes article id.
func (s *Service) Update(ctx context.Context, id int64, in Input) (*store.KBArticle, error) {
	a, err := s.st.GetKBArticle(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.apply(a, in); err != nil {
		return nil, err
	}
	now := s.Now()
	a.UpdatedAt = now
	if a.Status == store.KBPublished && a.PublishedAt == nil {
		a.PublishedAt = &now
	}
	if err := s.st.UpdateKBArticle(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Delete removes article id.
func (s *Service) Delete(ctx context.Context, id int64) error {
	_, err := s.st.DeleteKBArticle(ctx, id, s.collectLaterTx("article:"+strconv.FormatInt(id, 10)))
	return err
}

// Get returns article id (drafts included: agents only).
func (s *Service) Get(ctx context.Context, id int64) (*store.KBArticle, error) {
	return s.st.GetKBArticle(ctx, id)
}

// Published returns the public article of locale with slug, or
// store.ErrNotFound for a draft, one of a hidden category (PublicCategories)
// or a missing one alike.
func (s *Service) Published(ctx context.Context, locale, slug string) (*store.KBArticle, error) {
	a, err := s.st.GetKBArticleBySlug(ctx, locale, slug)
	if err != nil {
		return nil, err
	}
	return s.publicOrNotFound(ctx, a)
}

// List returns articles matching f.
func (s *Service) List(ctx context.Context, f store.KBFilter) ([]store.KBArticle, error) {
	return s.st.ListKBArticles(ctx, f)
}

// Search is the search box: every query word must match; drafts (and
// articles of hidden categories) only when includeDrafts.
func (s *Service) Search(ctx context.Context, q, locale string, includeDrafts bool, limit int) ([]store.KBHit, error) {
	if locale != "" && !validLocale(locale) {
		return nil, invalid("invalid", "locale", "locale must be ko or en")
	}
	query := store.KBQuery{Q: q, Locale: locale, PublishedOnly: !includeDrafts, Limit: limit}
	if !includeDrafts {
		cats, err := s.PublicCategories(ctx)
		if err != nil {
			return nil, err
		}
		query.Categories = cats
	}
	return s.st.SearchKB(ctx, query)
}

// MinSuggestScore is the score below which a suggestion is not worth
// showing: about one rare bigram in a body.
const MinSuggestScore = 1.0

// Suggest ranks public articles (published, of a public category) for a customer's question, phrased as
// customers write (any word may match; rarer words weigh more).
func (s *Service) Suggest(ctx context.Context, q, locale string, limit int) ([]store.KBHit, error) {
	if locale != "" && !validLocale(locale) {
		return nil, invalid("invalid", "locale", "locale must be ko or en")
	}
	if limit <= 0 || limit > 10 {
		limit = 3
	}
	cats, err := s.PublicCategories(ctx)
	if err != nil {
		return nil, err
	}
	hits, err := s.st.SearchKB(ctx, store.KBQuery{Q: q, Locale: locale, PublishedOnly: true, Any: true, Limit: limit, Categories: cats})
	if err != nil {
		return nil, err
	}
	out := hits[:0]
	for _, h := range hits {
		if h.Score >= MinSuggestScore {
			out = append(out, h)
		}
	}
	return out, nil
}

// Render turns Markdown into sanitized HTML.
func (s *Service) Render(body string) template.HTML {
	var buf bytes.Buffer
	if err := s.md.Convert([]byte(body), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(body))
	}
	return template.HTML(s.policy.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitized above
}

// Slugify makes a URL path segment from a title: lower-cased letters and
// digits of any script (Hangul stays Hangul), other runs become one "-".
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= MaxSlug {
			break
		}
	}
	s := b.String()
	for len(s) > MaxSlug {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// Path is the public help-center path of a published article.
func Path(a *store.KBArticle) string {
	return "/help/" + a.Locale + "/" + url.PathEscape(a.Slug)
}

// IsNotFound reports whether err means no such (visible) article.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Related returns up to limit other published articles of a's locale that
// are about the same thing: ranked like suggestions for a's title and
// category, so a weak match is left out, and those of a's category first.
func (s *Service) Related(ctx context.Context, a *store.KBArticle, limit int) ([]store.KBArticle, error) {
	if limit <= 0 {
		limit = 3
	}
	hits, err := s.Suggest(ctx, a.Title+" "+a.Category, a.Locale, min(limit+1, 10))
	if err != nil {
		return nil, err
	}
	var same, other []store.KBArticle
	for _, h := range hits {
		switch {
		case h.Article.ID == a.ID:
		case h.Article.Category == a.Category:
			same = append(same, h.Article)
		default:
			other = append(other, h.Article)
		}
	}
	out := append(same, other...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
