package ui

import (
	"net/http"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

type slaData struct {
	Policies   []slaPolicyView
	Teams      []teamOption
	Priorities []string
}

// slaPolicyView is an SLA policy on the SLA screen; the warning is shown as
// a mode ("percent" or "minutes") and a number.
type slaPolicyView struct {
	store.SLAPolicy
	WarnMode  string
	WarnValue int64
	TeamValue int64
}

func (h *handler) showSLA(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	pg := h.newPage(r, p, "sla", "admin.sla")
	d := slaData{Priorities: []string{store.PriorityLow, store.PriorityNormal, store.PriorityHigh, store.PriorityUrgent}}
	policies, err := h.s.Store.ListSLAPolicies(ctx)
	if err != nil {
		h.fail(w, r, p, "list sla policies", err)
		return
	}
	for _, sp := range policies {
		v := slaPolicyView{SLAPolicy: sp, WarnMode: "percent", WarnValue: sp.WarnPercent}
		if sp.WarnMinutes > 0 {
			v.WarnMode, v.WarnValue = "minutes", sp.WarnMinutes
		}
		if sp.TeamID != nil {
			v.TeamValue = *sp.TeamID
		}
		d.Policies = append(d.Policies, v)
	}
	teams, err := h.s.Store.ListTeams(ctx)
	if err != nil {
		h.fail(w, r, p, "list teams", err)
		return
	}
	for _, tm := range teams {
		d.Teams = append(d.Teams, teamOption{ID: tm.ID, Name: tm.Name(pg.Lang)})
	}
	pg.Data = d
	h.render(w, r, "sla", pg)
}

// slaFormArgs is what one policy form (template "slaform") shows: the page
// (for Tr), the policy (nil: the create form) and the choices.
type slaFormArgs struct {
	*page
	P          *slaPolicyView
	Teams      []teamOption
	Priorities []string
}

// slaForm makes the arguments of a policy form; p is a slaPolicyView or nil.
func slaForm(pg *page, p any) slaFormArgs {
	d, _ := pg.Data.(slaData)
	out := slaFormArgs{page: pg, Teams: d.Teams, Priorities: d.Priorities}
	if v, ok := p.(slaPolicyView); ok {
		out.P = &v
	}
	return out
}
