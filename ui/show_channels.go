package ui

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
)

type channelView struct {
	ID         int64
	Kind       string
	Name       string
	PublicKey  string
	Enabled    bool
	Status     string
	LastError  string
	Snippet    string // widget channels
	InboundURL string // api channels
}

type channelsData struct {
	Channels []channelView
	Kinds    []string
}

// widgetSnippet is the tag a site owner pastes to show a widget channel.
func widgetSnippet(baseURL, publicKey string) string {
	return fmt.Sprintf(`<script src="%s/widget.js" data-channel="%s" async></script>`, baseURL, publicKey)
}

func (h *handler) showChannels(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	chans, err := h.s.Store.ListChannels(r.Context())
	if err != nil {
		h.fail(w, r, p, "list channels", err)
		return
	}
	d := &channelsData{Kinds: connectors.Kinds()}
	sort.Strings(d.Kinds)
	base := h.s.Config.BaseURL
	for _, ch := range chans {
		v := channelView{ID: ch.ID, Kind: ch.Kind, Name: ch.Name, PublicKey: ch.PublicKey, Enabled: ch.Enabled, Status: ch.Status, LastError: ch.LastError}
		if h.s.Runtime != nil {
			if state, lastErr, running := h.s.Runtime.Status(ch.ID); running {
				v.Status, v.LastError = state, lastErr
			}
		}
		if v.Status == "" {
			v.Status = connectors.StateStopped
		}
		switch ch.Kind {
		case "widget":
			v.Snippet = widgetSnippet(base, ch.PublicKey)
		case "api":
			v.InboundURL = fmt.Sprintf("%s/api/v1/channels/%d/inbound", base, ch.ID)
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
