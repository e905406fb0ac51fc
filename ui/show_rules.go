package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// rulesData is the Automation rules screen: the rules in order and what
// their forms choose from.
type rulesData struct {
	Rules        []store.Rule
	Triggers     []string
	Fields       []string
	Ops          []string
	ActionTypes  []string
	Priorities   []string
	Statuses     []string
	Teams        []store.TeamInfo
	Agents       []store.Agent
	Channels     []store.Channel
	Slack        []store.Channel
	SavedReplies []store.SavedReply
	// Attributes are the contact attributes an attribute condition may name.
	Attributes []store.AttributeDef
}

func (h *handler) showRules(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	d := rulesData{Triggers: inbox.RuleTriggers, Fields: inbox.RuleFields, Ops: inbox.RuleOps, ActionTypes: inbox.RuleActionTypes,
		Priorities: []string{store.PriorityLow, store.PriorityNormal, store.PriorityHigh, store.PriorityUrgent},
		Statuses:   []string{store.StatusOpen, store.StatusPending, store.StatusResolved, store.StatusClosed}}
	var err error
	if d.Rules, err = h.s.Inbox.Rules(ctx); err != nil {
		h.fail(w, r, p, "list rules", err)
		return
	}
	if d.Attributes, err = h.s.Inbox.AttributeDefs(ctx); err != nil {
		h.fail(w, r, p, "list attributes", err)
		return
	}
	if d.Teams, err = h.s.Store.ListTeams(ctx); err != nil {
		h.fail(w, r, p, "list teams", err)
		return
	}
	if d.Agents, err = h.s.Store.ListAgents(ctx); err != nil {
		h.fail(w, r, p, "list agents", err)
		return
	}
	if d.Channels, err = h.s.Store.ListChannels(ctx); err != nil {
		h.fail(w, r, p, "list channels", err)
		return
	}
	for _, c := range d.Channels {
		if c.Kind == "slack" {
			d.Slack = append(d.Slack, c)
		}
	}
	if d.SavedReplies, err = h.s.Store.ListSavedReplies(ctx); err != nil {
		h.fail(w, r, p, "list saved replies", err)
		return
	}
	pg := h.newPage(r, p, "rules", "admin.rules")
	pg.Data = d
	h.render(w, r, "rules", pg)
}
