package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/avatar"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// inboxViews are the views of the inbox sidebar, in order. "mine" and
// "unassigned" are open tickets; "all" is everything but closed;
// "mentions" the tickets (but closed) with a note mentioning me.
var inboxViews = []string{"mine", "mentions", "unassigned", "my_teams", "open", "all"}

// statusViews are the per-status views.
var statusViews = []string{"pending", "snoozed", "resolved", "closed"}

type viewLink struct {
	Key    string
	Label  string
	URL    string
	Count  int64
	Active bool
	Kind   string
}

type ticketRow struct {
	PublicID     string
	Number       int64
	Subject      string
	Status       string
	Priority     string
	ContactName  string
	ChannelKind  string
	ChannelName  string
	AssigneeName string
	// AssigneeAvatar is the assignee's avatar URL ("" for initials).
	AssigneeAvatar string
	Tags           []string
	LastMessageAt  time.Time
	MessageCount   int
	Waiting        bool   // the customer wrote last
	Snippet        string // the start of the latest customer or agent message
	Failed         bool   // a reply on it could not be delivered
	Unread         bool   // the customer wrote since this agent last opened it
	// SLA is the SLA badge now: breached, warning (near breach) or empty;
	// SLADue the soonest due time still running.
	SLA    string
	SLADue *time.Time
}

type inboxData struct {
	View      string
	ChannelID int64
	TeamID    int64
	Tag       string
	Query     string
	ViewTitle string
	Views     []viewLink
	Teams     []viewLink // each team's queue
	Statuses  []viewLink
	Channels  []viewLink
	Tags      []viewLink
	Tickets   []ticketRow
	NextURL   string
	// Sort is "due" (due soonest) or "" (latest activity); the URLs are
	// this list in either order.
	Sort          string
	SortRecentURL string
	SortDueURL    string
}

// filterForView returns the store filter of a view for agent me.
func filterForView(view string, me int64) store.TicketFilter {
	switch view {
	case "mine":
		return store.TicketFilter{Status: store.StatusOpen, AssigneeID: me}
	case "mentions":
		return store.TicketFilter{MentionOf: me}
	case "unassigned":
		return store.TicketFilter{Status: store.StatusOpen, Unassigned: true}
	case "my_teams":
		return store.TicketFilter{Status: store.StatusOpen, TeamsOf: me}
	case "queue":
		// A team's queue (with ?team=): open tickets waiting for an owner.
		return store.TicketFilter{Status: store.StatusOpen, Unassigned: true}
	case "all":
		return store.TicketFilter{}
	case "pending", "snoozed", "resolved", "closed":
		return store.TicketFilter{Status: view}
	default:
		return store.TicketFilter{Status: store.StatusOpen}
	}
}

func validView(v string) bool {
	for _, k := range append(append([]string{"queue"}, inboxViews...), statusViews...) {
		if k == v {
			return true
		}
	}
	return false
}

func (h *handler) showInbox(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	q := r.URL.Query()
	d := &inboxData{View: q.Get("view"), Tag: strings.TrimSpace(q.Get("tag")), Query: strings.TrimSpace(q.Get("q"))}
	if !validView(d.View) {
		d.View = "open"
	}
	if len(d.Query) > 500 {
		d.Query = d.Query[:500]
	}
	d.ChannelID, _ = strconv.ParseInt(q.Get("channel"), 10, 64)
	d.TeamID, _ = strconv.ParseInt(q.Get("team"), 10, 64)
	if d.View == "queue" && d.TeamID <= 0 {
		d.View = "unassigned"
	}
	me := p.Agent.ID

	f := filterForView(d.View, me)
	f.ChannelID, f.TeamID, f.Tag, f.Query, f.Cursor = d.ChannelID, d.TeamID, d.Tag, d.Query, q.Get("cursor")
	f.Viewer = viewerOf(p)
	if q.Get("sort") == store.SortDue {
		d.Sort, f.Sort = store.SortDue, store.SortDue
	}
	sq := cloneQuery(q)
	sq.Del("cursor")
	sq.Del("sort")
	d.SortRecentURL = "/tickets?" + sq.Encode()
	sq.Set("sort", store.SortDue)
	d.SortDueURL = "/tickets?" + sq.Encode()
	if d.Query != "" && q.Get("view") == "" {
		f.Status = "all" // a search looks everywhere unless a view was chosen
		d.View = ""
	}
	f.Limit = 50
	pageOf, err := h.s.Store.ListTickets(ctx, f)
	if err != nil {
		h.fail(w, r, p, "list tickets", err)
		return
	}
	agents, chans, err := h.lookups(r)
	if err != nil {
		h.fail(w, r, p, "lookups", err)
		return
	}
	snippets, err := h.snippets(r, pageOf.Items)
	if err != nil {
		h.log.Warn("load snippets", "err", err)
	}
	failed := h.failedDeliveries(r, pageOf.Items)
	unread, err := h.s.Store.Unread(ctx, me, pageOf.Items)
	if err != nil {
		h.log.Warn("read marks", "err", err)
	}
	tr := translatorFor(language(r))
	for i := range pageOf.Items {
		row := makeRow(&pageOf.Items[i], agents, chans)
		row.ContactName = customerName(tr, pageOf.Items[i].Contact)
		row.Snippet = snippets[pageOf.Items[i].ID]
		row.Failed = failed[pageOf.Items[i].ID]
		row.Unread = unread[pageOf.Items[i].ID]
		d.Tickets = append(d.Tickets, row)
	}
	if pageOf.NextCursor != "" {
		nq := cloneQuery(q)
		nq.Set("cursor", pageOf.NextCursor)
		d.NextURL = "/tickets?" + nq.Encode()
	}

	pg := h.newPage(r, p, "inbox", "nav.inbox")
	link := func(key, label string, f store.TicketFilter, set func(url.Values)) viewLink {
		v := url.Values{}
		set(v)
		f.Viewer = viewerOf(p)
		n, err := h.s.Store.CountTickets(ctx, f)
		if err != nil {
			h.log.Warn("count tickets", "err", err)
		}
		return viewLink{Key: key, Label: label, URL: "/tickets?" + v.Encode(), Count: n}
	}
	for _, v := range inboxViews {
		l := link(v, pg.Tr("view."+v), filterForView(v, me), func(u url.Values) { u.Set("view", v) })
		l.Active = d.View == v && d.ChannelID == 0 && d.Tag == "" && d.TeamID == 0
		d.Views = append(d.Views, l)
	}
	teams, err := h.s.Store.ListTeams(ctx)
	if err != nil {
		h.log.Warn("list teams", "err", err)
	}
	teamTitle := ""
	for _, tm := range teams {
		id := strconv.FormatInt(tm.ID, 10)
		v := url.Values{"view": {"queue"}, "team": {id}}
		name := tm.Name(pg.Lang)
		d.Teams = append(d.Teams, viewLink{Key: id, Label: name, URL: "/tickets?" + v.Encode(), Count: tm.Waiting,
			Active: d.View == "queue" && d.TeamID == tm.ID})
		if tm.ID == d.TeamID {
			teamTitle = name
		}
	}
	for _, v := range statusViews {
		l := link(v, pg.Tr("view."+v), filterForView(v, me), func(u url.Values) { u.Set("view", v) })
		l.Active = d.View == v && d.ChannelID == 0 && d.Tag == ""
		d.Statuses = append(d.Statuses, l)
	}
	chanCounts, tagCounts, err := h.s.Store.OpenCounts(ctx, 30)
	if err != nil {
		h.log.Warn("count tickets per channel and tag", "err", err)
	}
	for _, ch := range sortedChannels(chans) {
		id := strconv.FormatInt(ch.ID, 10)
		v := url.Values{"view": {"open"}, "channel": {id}}
		d.Channels = append(d.Channels, viewLink{Key: id, Label: ch.Name, URL: "/tickets?" + v.Encode(), Count: chanCounts[ch.ID],
			Kind: ch.Kind, Active: d.ChannelID == ch.ID})
	}
	for _, tc := range tagCounts {
		v := url.Values{"view": {"open"}, "tag": {tc.Tag}}
		d.Tags = append(d.Tags, viewLink{Key: tc.Tag, Label: tc.Tag, URL: "/tickets?" + v.Encode(), Count: tc.N, Active: d.Tag == tc.Tag})
	}
	switch {
	case d.Query != "":
		d.ViewTitle = pg.Tr("search.label") + ": " + d.Query
	case d.View != "":
		d.ViewTitle = pg.Tr("view." + d.View)
	}
	if d.ChannelID != 0 {
		if ch := chans[d.ChannelID]; ch != nil {
			d.ViewTitle += " · " + ch.Name
		}
	}
	if d.Tag != "" {
		d.ViewTitle += " · #" + d.Tag
	}
	if teamTitle != "" {
		d.ViewTitle += " · " + teamTitle
	}
	pg.Data = d
	h.render(w, r, "inbox", pg)
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func makeRow(t *store.Ticket, agents map[int64]*store.Agent, chans map[int64]*store.Channel) ticketRow {
	row := ticketRow{PublicID: t.PublicID, Number: t.Number(), Subject: t.Subject, Status: t.Status, Priority: t.Priority,
		LastMessageAt: t.LastMessageAt, MessageCount: t.MessageCount}
	if t.Contact != nil {
		row.ContactName = t.Contact.Name
		if row.ContactName == "" {
			row.ContactName = t.Contact.Email
		}
	}
	if ch := chans[t.LastChannelID]; ch != nil {
		row.ChannelKind, row.ChannelName = ch.Kind, ch.Name
	} else if ch := chans[t.ChannelID]; ch != nil {
		row.ChannelKind, row.ChannelName = ch.Kind, ch.Name
	}
	if t.AssigneeID != nil {
		if a := agents[*t.AssigneeID]; a != nil {
			row.AssigneeName, row.AssigneeAvatar = a.Name, avatar.Path(a.AvatarSum)
			if row.AssigneeName == "" {
				row.AssigneeName = a.Email
			}
		}
	}
	for _, tg := range t.Tags {
		row.Tags = append(row.Tags, tg.Tag)
	}
	if t.LastCustomerAt != nil && (t.LastAgentAt == nil || t.LastCustomerAt.After(*t.LastAgentAt)) {
		row.Waiting = true
	}
	row.SLA, row.SLADue = inbox.SLABadge(t, time.Now()), t.SLADueAt
	return row
}

// snippets returns the start of each ticket's latest customer or agent
// message, in one query for the whole page.
func (h *handler) snippets(r *http.Request, ts []store.Ticket) (map[int64]string, error) {
	ids := make([]int64, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
	}
	texts, err := h.s.Store.LatestTexts(r.Context(), ids)
	for id, text := range texts {
		texts[id] = plaintext.Shorten(strings.Join(strings.Fields(text), " "), 160)
	}
	return texts, err
}
