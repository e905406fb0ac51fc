package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

// The campaigns admin page, GET /admin/campaigns: the life-cycle messages
// with their statistics, and a form (audience, channel, trigger and its
// settings, ko/en content with a live preview, consent, cap, quiet hours)
// that admin.js saves through /api/v1/campaigns.

type campaignsData struct {
	Campaigns []campaignView
	Segments  []store.Segment
	Channels  []store.Channel // email channels
	NumAttrs  []segmentAttr   // milestone attributes
	DateAttrs []segmentAttr   // schedule attributes
	Triggers  []string
	Enabled   bool // the server runs campaigns
}

type campaignView struct {
	store.Campaign
	Stats   store.CampaignStats
	Segment string // the audience's name; "" everyone
}

func (h *handler) showCampaigns(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	pg := h.newPage(r, p, "campaigns", "admin.campaigns")
	d := campaignsData{Triggers: store.TriggerKinds(), Enabled: h.s.Campaigns != nil}
	var err error
	if d.Segments, err = h.s.Inbox.Segments(ctx); err != nil {
		h.fail(w, r, p, "segments", err)
		return
	}
	names := map[int64]string{}
	for _, s := range d.Segments {
		names[s.ID] = s.Name
	}
	if h.s.Campaigns != nil {
		rows, err := h.s.Campaigns.List(ctx)
		if err != nil {
			h.fail(w, r, p, "campaigns", err)
			return
		}
		for _, c := range rows {
			st, err := h.s.Campaigns.Stats(ctx, c.ID)
			if err != nil {
				h.fail(w, r, p, "campaign stats", err)
				return
			}
			v := campaignView{Campaign: c, Stats: st}
			if c.SegmentID != nil {
				v.Segment = names[*c.SegmentID]
			}
			d.Campaigns = append(d.Campaigns, v)
		}
	}
	chans, err := h.s.Store.ListChannels(ctx)
	if err != nil {
		h.fail(w, r, p, "channels", err)
		return
	}
	for _, c := range chans {
		if c.Kind == "email" {
			d.Channels = append(d.Channels, c)
		}
	}
	defs, err := h.s.Inbox.AttributeDefs(ctx)
	if err != nil {
		h.fail(w, r, p, "attribute defs", err)
		return
	}
	for _, a := range defs {
		switch a.Type {
		case store.AttrNumber:
			d.NumAttrs = append(d.NumAttrs, segmentAttr{Key: a.Key, Label: a.Label(pg.Lang), Type: a.Type})
		case store.AttrDate:
			d.DateAttrs = append(d.DateAttrs, segmentAttr{Key: a.Key, Label: a.Label(pg.Lang), Type: a.Type})
		}
	}
	pg.Data = d
	h.render(w, r, "campaigns", pg)
}
