package ui

import (
	"net/http"
	"strconv"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
)

type channelView struct {
	ID        int64
	Kind      string
	KindTitle string
	Name      string
	PublicKey string
	Enabled   bool
	Status    string
	LastError string
	// Endpoints are what the kind shows admins to copy (a widget snippet,
	// an inbound URL, webhook URLs), from its description.
	Endpoints []endpointView
}

type endpointView struct {
	ElemID string
	Name   string
	Label  string
	Value  string
	Code   bool
}

type kindView struct {
	Kind  string
	Title string
}

type channelsData struct {
	Channels []channelView
	Kinds    []kindView
}

func (h *handler) showChannels(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	chans, err := h.s.Store.ListChannels(r.Context())
	if err != nil {
		h.fail(w, r, p, "list channels", err)
		return
	}
	lang := language(r)
	d := &channelsData{}
	for _, k := range connectors.Kinds() {
		d.Kinds = append(d.Kinds, kindView{Kind: k, Title: connectors.Title(k, lang)})
	}
	base := h.s.Config.BaseURL
	for _, ch := range chans {
		v := channelView{ID: ch.ID, Kind: ch.Kind, KindTitle: connectors.Title(ch.Kind, lang), Name: ch.Name, PublicKey: ch.PublicKey,
			Enabled: ch.Enabled, Status: ch.Status, LastError: ch.LastError}
		if h.s.Runtime != nil {
			if state, lastErr, running := h.s.Runtime.Status(ch.ID); running {
				v.Status, v.LastError = state, lastErr
			}
		}
		if v.Status == "" {
			v.Status = connectors.StateStopped
		}
		if desc, ok := connectors.Describe(ch.Kind); ok {
			for _, e := range desc.Endpoints {
				v.Endpoints = append(v.Endpoints, endpointView{ElemID: "ep-" + strconv.FormatInt(ch.ID, 10) + "-" + e.Name, Name: e.Name, Label: e.Label.In(lang),
					Value: connectors.FillEndpoint(e.Template, base, connectors.ToChannel(ch)), Code: e.Code})
			}
		}
		d.Channels = append(d.Channels, v)
	}
	pg := h.newPage(r, p, "channels", "admin.channels")
	pg.Boot["base_url"] = base
	pg.Data = d
	h.render(w, r, "channels", pg)
}

func (h *handler) redirectAdmin(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	http.Redirect(w, r, "/admin/channels", http.StatusSeeOther)
}
