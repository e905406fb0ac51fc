package api

import (
	"net/http"
	"time"

	"github.com/hanbox/hanbox/inbox"
)

// Contact opt-outs (issue 14): what a contact asked not to receive
// (surveys, marketing). Customers opt out on the unsubscribe page or with a
// mail client's one-click button; agents and integrations use these.

// OptOutJSON is one opt-out.
type OptOutJSON struct {
	Topic     string    `json:"topic"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) listOptOuts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.checkContactVisible(r, id); err != nil {
		return 0, nil, err
	}
	if _, err := a.Inbox.Contact(r.Context(), id); err != nil {
		return 0, nil, err
	}
	rows, err := a.Inbox.OptOuts(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	items := make([]OptOutJSON, 0, len(rows))
	for _, o := range rows {
		items = append(items, OptOutJSON{Topic: o.Topic, Source: o.Source, CreatedAt: o.CreatedAt})
	}
	return http.StatusOK, map[string]any{"items": items, "topics": inbox.Topics()}, nil
}

func (a *API) setOptOut(w http.ResponseWriter, r *http.Request, out bool) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.checkContactVisible(r, id); err != nil {
		return 0, nil, err
	}
	if _, err := a.Inbox.Contact(r.Context(), id); err != nil {
		return 0, nil, err
	}
	topic := r.PathValue("topic")
	if out {
		err = a.Inbox.OptOut(r.Context(), id, topic, "agent")
	} else {
		err = a.Inbox.OptIn(r.Context(), id, topic)
	}
	if err != nil {
		return 0, nil, err
	}
	return a.listOptOuts(w, r)
}

func (a *API) putOptOut(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return a.setOptOut(w, r, true)
}

func (a *API) deleteOptOut(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return a.setOptOut(w, r, false)
}

func optOutSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	item := map[string]any{"type": "object", "properties": map[string]any{
		"topic": map[string]any{"type": "string", "enum": []any{"surveys", "marketing"}}, "source": str,
		"created_at": map[string]any{"type": "string", "format": "date-time"}}}
	return map[string]any{"OptOutList": map[string]any{"type": "object", "properties": map[string]any{
		"items": map[string]any{"type": "array", "items": item}, "topics": map[string]any{"type": "array", "items": str}}}}
}
