package kb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"unicode/utf8"

	"github.com/hanbox/hanbox/store"
)

// The help center may be restricted to chosen categories: then an article
// of another category is not public anywhere (a 404 on /help, left out of
// the sitemap, public suggestions and search, the widget and the bot's
// answers), exactly as a draft. Agents still find it in their search.

// MaxPublicCategories bounds the restriction's list.
const MaxPublicCategories = 100

// PublicCategories returns the public categories; nil when every category
// is public (no restriction).
func (s *Service) PublicCategories(ctx context.Context) ([]string, error) {
	h, err := s.st.HelpSettingsOf(ctx)
	if err != nil {
		return nil, err
	}
	if !h.Restricted {
		return nil, nil
	}
	return h.List(), nil
}

// SetPublicCategories restricts the help center to cats (restricted false:
// every category is public again).
func (s *Service) SetPublicCategories(ctx context.Context, restricted bool, cats []string) error {
	var clean []string
	for _, c := range cats {
		c = strings.TrimSpace(c)
		switch {
		case c == "":
			continue
		case utf8.RuneCountInString(c) > MaxCategory || strings.ContainsAny(c, "\n\r") || !utf8.ValidString(c):
			return invalid("invalid", "categories", "a category is at most %d characters on one line", MaxCategory)
		}
		if !slices.Contains(clean, c) {
			clean = append(clean, c)
		}
	}
	if len(clean) > MaxPublicCategories {
		return invalid("too_long", "categories", "at most %d categories", MaxPublicCategories)
	}
	slices.Sort(clean)
	return s.st.SaveHelpSettings(ctx, &store.HelpSettings{Restricted: restricted, Categories: strings.Join(clean, "\n"), UpdatedAt: s.Now()})
}

// public reports whether a published article's category is public.
func public(cats []string, a *store.KBArticle) bool {
	return cats == nil || slices.Contains(cats, a.Category)
}

// PublicArticle returns published article id when it is public, else
// store.ErrNotFound (a draft, a hidden category, a missing one alike).
func (s *Service) PublicArticle(ctx context.Context, id int64) (*store.KBArticle, error) {
	a, err := s.st.GetKBArticle(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.publicOrNotFound(ctx, a)
}

func (s *Service) publicOrNotFound(ctx context.Context, a *store.KBArticle) (*store.KBArticle, error) {
	if a.Status != store.KBPublished {
		return nil, fmt.Errorf("kb: article %d is a draft: %w", a.ID, store.ErrNotFound)
	}
	cats, err := s.PublicCategories(ctx)
	if err != nil {
		return nil, err
	}
	if !public(cats, a) {
		return nil, fmt.Errorf("kb: article %d is in a hidden category: %w", a.ID, store.ErrNotFound)
	}
	return a, nil
}

// ListPublic returns the public articles of locale (the help center's
// index and sitemap).
func (s *Service) ListPublic(ctx context.Context, locale string) ([]store.KBArticle, error) {
	arts, err := s.st.ListKBArticles(ctx, store.KBFilter{Locale: locale, Status: store.KBPublished, Limit: 1000})
	if err != nil {
		return nil, err
	}
	cats, err := s.PublicCategories(ctx)
	if err != nil || cats == nil {
		return arts, err
	}
	out := arts[:0]
	for i := range arts {
		if public(cats, &arts[i]) {
			out = append(out, arts[i])
		}
	}
	return out, nil
}
