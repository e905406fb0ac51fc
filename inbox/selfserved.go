package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hanbox/hanbox/store"
)

// RecordSelfServed counts a help-center visit as self-served: a visitor of
// channel channelID said the published article articleID answered their
// question. visitKey names the visit; the same visit again counts once.
// It reports whether the visit was new.
func (s *Service) RecordSelfServed(ctx context.Context, channelID int64, visitKey string, articleID int64, locale string) (bool, error) {
	if visitKey == "" || len(visitKey) > 64 {
		return false, invalidAs("visit_key", nil, "a visit key is 1 to 64 characters")
	}
	var a store.KBArticle
	if err := s.st.DB.WithContext(ctx).Select("id", "status").Take(&a, articleID).Error; err != nil || a.Status != store.KBPublished {
		if err == nil || errors.Is(notFound(err), ErrNotFound) {
			return false, fmt.Errorf("inbox: article %d: %w", articleID, ErrNotFound)
		}
		return false, fmt.Errorf("inbox: article %d: %w", articleID, err)
	}
	ok, err := s.st.AddSelfServed(ctx, &store.KBSelfServed{ChannelID: channelID, VisitKey: visitKey, ArticleID: articleID,
		Locale: surveyLocale(locale), CreatedAt: time.Now().UTC()})
	if err != nil {
		return false, fmt.Errorf("inbox: %w", err)
	}
	return ok, nil
}
