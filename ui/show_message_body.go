package ui

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

// remoteEmailCSP lets an email document load remote images (after the agent
// asked for them) and nothing else.
const remoteEmailCSP = "default-src 'none'; img-src data: cid: https: http:; style-src 'unsafe-inline'; font-src data:; frame-ancestors 'self'; sandbox"

// showMessageBody serves one message's sanitized HTML as its own document,
// with remote images allowed. It is only ever shown in a sandboxed iframe
// without scripts, and the response itself carries a sandbox CSP.
func (h *handler) showMessageBody(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	m, err := h.s.Inbox.Message(r.Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		h.log.Error("load message", "message_id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if ok, err := h.canSee(r, p, m.TicketID); err != nil || !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", remoteEmailCSP)
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write([]byte(emailDoc(messageHTML(m, translatorFor(language(r))), "default-src 'none'; img-src data: cid: https: http:; style-src 'unsafe-inline'; font-src data:", true)))
}
