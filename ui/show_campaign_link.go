package ui

import (
	"errors"
	"net/http"

	"github.com/hanbox/hanbox/inbox"
)

// Campaign email tracking (inbox/campaign_tracking.go), public: the signed
// token is the credential.
//
//   - GET /r/{token}: a tracked link. Counts the send clicked and redirects
//     (303) to the URL the token signs, and only to it; a token Hanbox did
//     not sign is a 404 page, never a redirect.
//   - GET /o/{token}: the open image, a transparent 1x1 GIF, always (a mail
//     app shows nothing either way); a signed token counts the send seen.

// pixelGIF is a transparent 1x1 GIF.
var pixelGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func (h *handler) followCampaignLink(w http.ResponseWriter, r *http.Request) {
	target, err := h.s.Inbox.CampaignClick(r.Context(), r.PathValue("token"))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	switch {
	case err == nil:
		http.Redirect(w, r, target, http.StatusSeeOther)
	case errors.Is(err, inbox.ErrNotFound):
		tr := translatorFor(language(r))
		http.Error(w, tr.T("track.invalid"), http.StatusNotFound)
	default:
		h.log.Error("campaign link", "err", err)
		tr := translatorFor(language(r))
		http.Error(w, tr.T("common.error"), http.StatusInternalServerError)
	}
}

func (h *handler) showCampaignPixel(w http.ResponseWriter, r *http.Request) {
	if err := h.s.Inbox.CampaignOpened(r.Context(), r.PathValue("token")); err != nil && !errors.Is(err, inbox.ErrNotFound) {
		h.log.Error("campaign open", "err", err)
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Cache-Control", "no-store, private")
	_, _ = w.Write(pixelGIF)
}
