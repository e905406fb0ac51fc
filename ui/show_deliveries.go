package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

type deliveriesView struct {
	Failed []inbox.FailedDelivery
	Parked []inbox.ParkedEvent
	Jobs   []store.Job
}

// showDeliveries lists what did not go out for good: replies and
// notifications whose delivery failed, and events an automatic reaction
// gave up on, and scheduled jobs that failed; each can be retried.
func (h *handler) showDeliveries(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	failed, err := h.s.Inbox.FailedDeliveries(r.Context(), 200)
	if err != nil {
		h.log.Error("list failed deliveries", "err", err)
		h.renderError(w, r, p, http.StatusInternalServerError, "common.error")
		return
	}
	parked, err := h.s.Inbox.ParkedEvents(r.Context(), 200)
	if err != nil {
		h.log.Error("list parked events", "err", err)
		h.renderError(w, r, p, http.StatusInternalServerError, "common.error")
		return
	}
	failedJobs, err := h.s.Jobs.Failed(r.Context(), 200)
	if err != nil {
		h.log.Error("list failed jobs", "err", err)
		h.renderError(w, r, p, http.StatusInternalServerError, "common.error")
		return
	}
	pg := h.newPage(r, p, "deliveries", "admin.deliveries")
	pg.Data = deliveriesView{Failed: failed, Parked: parked, Jobs: failedJobs}
	h.render(w, r, "deliveries", pg)
}
