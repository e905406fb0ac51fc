package ui

import (
	"net/http"
	"strings"

	"github.com/hanbox/hanbox/store"
)

// failedDeliveries marks the tickets of a list page that have a reply
// which could not be delivered.
func (h *handler) failedDeliveries(r *http.Request, ts []store.Ticket) map[int64]bool {
	ids := make([]int64, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
	}
	failed, err := h.s.Store.FailedDeliveries(r.Context(), ids)
	if err != nil {
		h.log.Warn("load failed deliveries", "err", err)
	}
	return failed
}

// deliveryCause sorts a delivery error (the connector's English text, kept
// for the log and the admin's deliveries page) into a cause the agent reads
// in their language ("delivery.cause.<cause>"). The dispatcher's and the
// connectors' own wording is what is matched: the sentinel
// inbox.ErrUnreachable ("recipient unreachable on this channel"), the
// dispatcher's "customer left and no email …", HTTP answers and network
// failures.
func deliveryCause(text string) string {
	t := strings.ToLower(text)
	switch {
	case t == "":
		return "other" // failed without a recorded reason
	case strings.Contains(t, "customer left and no email"):
		return "left"
	case strings.Contains(t, "recipient unreachable"), strings.Contains(t, "visitor gone"):
		return "unreachable"
	case strings.Contains(t, "timeout"), strings.Contains(t, "deadline exceeded"), strings.Contains(t, "connection refused"),
		strings.Contains(t, "no such host"), strings.Contains(t, "connection reset"), strings.Contains(t, "eof"):
		return "network"
	case strings.Contains(t, "unauthorized"), strings.Contains(t, "forbidden"), strings.Contains(t, "invalid_auth"),
		strings.Contains(t, "not_authed"), strings.Contains(t, "token_revoked"), strings.Contains(t, "authentication"):
		return "auth"
	case strings.Contains(t, "answered 4"), strings.Contains(t, "refused"), strings.Contains(t, "rejected"),
		strings.Contains(t, "invalid"), strings.Contains(t, " 5.5."), strings.Contains(t, " 550"):
		return "refused"
	default:
		return "other"
	}
}
