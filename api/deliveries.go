package api

import "net/http"

// listFailedDeliveries lists outbox rows (replies and notifications) that
// failed for good, with the reason, for an admin to retry.
func (a *API) listFailedDeliveries(w http.ResponseWriter, r *http.Request) (int, any, error) {
	items, err := a.Inbox.FailedDeliveries(r.Context(), 200)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

// retryFailedDelivery queues a failed outbox row again by its id.
func (a *API) retryFailedDelivery(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.RetryOutbox(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// listParkedEvents lists durable events a consumer gave up on.
func (a *API) listParkedEvents(w http.ResponseWriter, r *http.Request) (int, any, error) {
	items, err := a.Inbox.ParkedEvents(r.Context(), 200)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

// retryParkedEvent hands a parked event to its consumer again.
func (a *API) retryParkedEvent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.RetryParked(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}
