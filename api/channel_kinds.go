package api

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/store"
)

// Everything the API knows about a kind of channel comes from the kind's
// description (connectors.Describer): no handler switches on a kind.

// listChannelKinds serves the descriptions: the admin UI builds its channel
// forms from them, and integrations may too.
func (a *API) listChannelKinds(w http.ResponseWriter, r *http.Request) (int, any, error) {
	items := connectors.Descriptions()
	if items == nil {
		items = []connectors.Description{}
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

// checkChannelSecrets refuses secrets that are not plain values (a file
// reference would make Hanbox read a host file: issue 10 item 5).
func checkChannelSecrets(secrets map[string]any) error {
	if err := connectors.CheckSecrets(secrets); err != nil {
		return errf(http.StatusUnprocessableEntity, "invalid_secret", "%s", err.Error()).With("reason", err.Error())
	}
	return nil
}

// generateSecrets fills the secrets a kind lets Hanbox create when left
// empty (the api channel's webhook signing secret) and returns them, to be
// shown once.
func generateSecrets(kind string, secrets store.JSONMap) map[string]string {
	d, ok := connectors.Describe(kind)
	if !ok {
		return nil
	}
	var out map[string]string
	for _, f := range d.Fields {
		if f.Type != connectors.FieldSecret || !f.Generated {
			continue
		}
		if v, _ := secrets[f.Key].(string); v != "" {
			continue
		}
		tok, _ := auth.NewToken()
		secrets[f.Key] = tok
		if out == nil {
			out = map[string]string{}
		}
		out[f.Key] = tok
	}
	return out
}

// channelEndpoints fills the kind's endpoints (a widget snippet, an inbound
// URL) for one channel.
func (a *API) channelEndpoints(ch *store.Channel) map[string]string {
	d, ok := connectors.Describe(ch.Kind)
	if !ok || len(d.Endpoints) == 0 {
		return nil
	}
	out := make(map[string]string, len(d.Endpoints))
	for _, e := range d.Endpoints {
		out[e.Name] = connectors.FillEndpoint(e.Template, a.BaseURL, connectors.ToChannel(*ch))
	}
	return out
}

// inboundPath is the path a channel takes pushes at, when its kind has an
// "inbound" endpoint.
func inboundPath(ch *store.Channel) string {
	d, ok := connectors.Describe(ch.Kind)
	if !ok {
		return ""
	}
	return d.Endpoint("inbound", "", connectors.ToChannel(*ch))
}
