package api

import (
	"net/http"
	"time"
)

// FailedJobJSON is a scheduled job that gave up.
type FailedJobJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Key       string    `json:"key"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	FailedAt  time.Time `json:"failed_at"`
}

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

// listFailedJobs lists scheduled jobs that gave up.
func (a *API) listFailedJobs(w http.ResponseWriter, r *http.Request) (int, any, error) {
	items, err := a.Jobs.Failed(r.Context(), 200)
	if err != nil {
		return 0, nil, err
	}
	out := make([]FailedJobJSON, len(items))
	for i, j := range items {
		out[i] = FailedJobJSON{ID: j.ID, Kind: j.Kind, Key: j.Key, Attempts: j.Attempts, LastError: j.LastError, FailedAt: j.UpdatedAt}
	}
	return http.StatusOK, map[string]any{"items": out}, nil
}

// retryFailedJob makes a failed job due again.
func (a *API) retryFailedJob(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Jobs.Retry(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}
