package widget

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

// Page views. The page a session starts on is recorded with POST /session
// (the request the script makes on every page load anyway); later
// navigations of a single-page site come as POST /view, a small fetch that
// needs no socket. Both are counted per visitor identity (viewLimit) and
// stored through the inbox (inbox.RecordPageView: visits, pages viewed,
// last seen), which keeps the URL and title as text. Views of conversation
// pages (Hanbox's own) are not recorded.

// PageViewRetention is how long page view rows are kept; the counters
// they added stay.
const PageViewRetention = 180 * 24 * time.Hour

// ViewRequest is the body of POST /view.
type ViewRequest struct {
	Page *pageInfo `json:"page"`
}

// recordView stores a page view of cl's visitor, when the inbox keeps them.
// Refusals (a file: URL, the limit) are not the visitor's problem: logged at
// debug level and dropped.
func (c *Channel) recordView(ctx context.Context, cl *claims, p *pageInfo) {
	pv, ok := c.svc.(connectors.PageViewer)
	if !ok || p == nil || p.URL == "" || cl.Page != "" {
		return
	}
	if ok, _ := c.viewLimit.Allow(c.identity(cl)); !ok {
		c.log.Debug("widget: page view dropped (limit)", "visitor", cl.Visitor)
		return
	}
	_, err := pv.RecordPageView(ctx, inbox.PageViewInput{ChannelID: c.ch.ID, Visitor: c.identity(cl), URL: p.URL, Title: p.Title, At: c.now()})
	switch {
	case errors.Is(err, inbox.ErrInvalid):
		c.log.Debug("widget: page view refused", "visitor", cl.Visitor, "err", err)
	case err != nil:
		c.log.Warn("widget: record page view", "visitor", cl.Visitor, "err", err)
	}
}

// handleView records a page view (POST /view {"page": {"url", "title"}}).
// It answers 204 whether or not the view was kept: the script sends and
// forgets.
func (c *Channel) handleView(w http.ResponseWriter, r *http.Request) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	var req ViewRequest
	if e := decodeBody(w, r, 8<<10, &req); e != nil {
		writeErr(w, e)
		return
	}
	if p := req.Page.clean(); p != nil && p.URL != "" {
		contactID, ticketID := c.hub.info(c.identity(cl))
		c.publishPage(contactID, ticketID, cl.Visitor, p)
		c.recordView(r.Context(), cl, p)
	}
	w.WriteHeader(http.StatusNoContent)
}

// pruneViews deletes page views past the retention period.
func (c *Channel) pruneViews(ctx context.Context) {
	pv, ok := c.svc.(connectors.PageViewer)
	if !ok {
		return
	}
	if _, err := pv.PrunePageViews(ctx, c.now().Add(-PageViewRetention)); err != nil && ctx.Err() == nil {
		c.log.Warn("widget: prune page views", "err", err)
	}
}
