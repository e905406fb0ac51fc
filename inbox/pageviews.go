package inbox

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Page view limits: longer URLs and titles are cut (they are text from the
// visitor's browser, stored and shown escaped, never as markup).
const (
	MaxPageURL   = 2000
	MaxPageTitle = 300
)

// PageViewInput is one page a widget visitor saw.
type PageViewInput struct {
	ChannelID int64
	// Visitor is the visitor's widget identity value (the one their
	// contact's widget identity gets: "channel key/visitor id" or
	// "channel key/user:id").
	Visitor string
	URL     string // http or https
	Title   string
	At      time.Time // zero: now
}

// RecordPageView stores a page view and, when the visitor already has a
// contact, counts it on the contact (pages viewed, visits, last seen). A
// visitor without a contact yet keeps their views under the visitor id; the
// contact created for that identity later takes them (ClaimPageViewsTx).
// No durable event is recorded: page views are frequent, and the counters
// and rows are what segments and campaigns read. Invalid input (not an
// http(s) URL, no visitor) is ErrInvalid.
func (s *Service) RecordPageView(ctx context.Context, in PageViewInput) (*PageView, error) {
	in.Visitor = strings.TrimSpace(in.Visitor)
	if in.Visitor == "" || len(in.Visitor) > 320 {
		return nil, invalid("a page view needs a visitor")
	}
	raw := strings.ToValidUTF8(strings.ReplaceAll(strings.TrimSpace(in.URL), "\x00", ""), "")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, invalid("page url must be an http or https URL")
	}
	// Stored as people read it (and segments match it): the path decoded
	// ("/ko/환불", not "/ko/%ED%99%98%EB%B6%88"), no user info or fragment.
	path := u.Path
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	path = strings.ToValidUTF8(strings.ReplaceAll(path, "\x00", ""), "")
	full := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + path
	at := in.At.UTC().Truncate(time.Microsecond)
	if in.At.IsZero() {
		at = now()
	}
	title := strings.ToValidUTF8(strings.ReplaceAll(strings.TrimSpace(in.Title), "\x00", ""), "")
	v := &store.PageView{Visitor: in.Visitor, ChannelID: in.ChannelID, URL: clipBytes(full, MaxPageURL), Path: clipBytes(path, MaxPageURL),
		Title: plaintext.Clip(title, MaxPageTitle), At: at}
	err = s.st.Tx(ctx, func(tx *gorm.DB) error {
		if err := s.lockKeys(tx, "pageview:"+in.Visitor); err != nil {
			return err
		}
		f, err := findIdentityContact(tx, IdentityWidget, in.Visitor)
		if err != nil {
			return err
		}
		if f != nil {
			id, err := mergedContact(tx, f.ContactID)
			if err != nil {
				return err
			}
			v.ContactID = &id
		}
		return store.AddPageViewTx(tx, v)
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: record page view: %w", err)
	}
	return v, nil
}

// clipBytes cuts s to at most n bytes on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ContactPageViews returns a contact's latest page views, newest first.
func (s *Service) ContactPageViews(ctx context.Context, contactID int64, limit int) ([]PageView, error) {
	return s.st.ContactPageViews(ctx, contactID, limit)
}

// PrunePageViews deletes page views older than before (retention); the
// counters they added stay.
func (s *Service) PrunePageViews(ctx context.Context, before time.Time) (int64, error) {
	return s.st.PrunePageViews(ctx, before)
}
