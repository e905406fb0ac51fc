package ui

import (
	"net/http"
	"sort"

	"github.com/hanbox/hanbox/store"
)

// lookups loads every agent and channel (small tables) for name lookups.
func (h *handler) lookups(r *http.Request) (map[int64]*store.Agent, map[int64]*store.Channel, error) {
	return h.s.Store.Lookups(r.Context())
}

func sortedChannels(m map[int64]*store.Channel) []*store.Channel {
	out := make([]*store.Channel, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func sortedAgents(m map[int64]*store.Agent) []*store.Agent {
	out := make([]*store.Agent, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
