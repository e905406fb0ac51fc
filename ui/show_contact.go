package ui

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// contactData is the contact page: the profile form, and events and
// conversations in one timeline.
type contactData struct {
	Contact *store.Contact
	Name    string
	Fields  []attrField
	// Tags are the contact's own tags (from a CSV import), sorted.
	Tags     []string
	Timeline []timelineItem
}

// attrField is one attribute as the profile form shows it: the value as
// the typed input wants it ("2026-12-03" for a date input).
type attrField struct {
	Key, Label, Type string
	ReadOnly         bool
	Set              bool
	Text             string
	Checked          bool
}

// timelineItem is an event, a conversation, a page view or a message sent
// to the customer, newest first.
type timelineItem struct {
	At      time.Time
	Event   *store.ContactEvent
	Ticket  *store.Ticket
	View    *store.PageView
	Message *store.Message
	// MessageTicket is the ticket of Message (its number and link).
	MessageTicket *store.Ticket
	// Send is a campaign message sent to the contact, CampaignName its
	// campaign's name.
	Send         *store.CampaignSend
	CampaignName string
	Props        string
	Snippet      string
}

func (h *handler) showContact(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, p, "contact", inbox.ErrNotFound)
		return
	}
	if v := viewerOf(p); v != 0 {
		// A contact known only from restricted tickets is not there for
		// agents outside those teams.
		if ok, err := h.s.Store.CanSeeContact(ctx, v, id); err != nil || !ok {
			if err == nil {
				err = inbox.ErrNotFound
			}
			h.fail(w, r, p, "contact", err)
			return
		}
	}
	prof, err := h.s.Inbox.ContactProfile(ctx, id, 200)
	if err != nil {
		h.fail(w, r, p, "contact profile", err)
		return
	}
	pg := h.newPage(r, p, "contact", "contact.title")
	d := contactData{Contact: prof.Contact, Name: contactName(prof.Contact)}
	for _, a := range prof.Attributes {
		f := attrField{Key: a.Def.Key, Label: a.Def.Label(pg.Lang), Type: a.Def.Type, ReadOnly: a.Def.ReadOnly, Set: a.Value != nil}
		switch v := a.Value.(type) {
		case string:
			f.Text = v
		case float64:
			f.Text = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			f.Checked = v
		case time.Time:
			if f.ReadOnly {
				f.Text = v.Format(time.RFC3339)
			} else {
				f.Text = v.Format(time.DateOnly)
			}
		}
		d.Fields = append(d.Fields, f)
	}
	tags, err := h.s.Store.ContactTagsOf(ctx, []int64{id})
	if err != nil {
		h.fail(w, r, p, "contact tags", err)
		return
	}
	d.Tags = tags[id]
	for i := range prof.Events {
		ev := &prof.Events[i]
		props, _ := ev.Properties.Value()
		s, _ := props.(string)
		if s == "{}" {
			s = ""
		}
		d.Timeline = append(d.Timeline, timelineItem{At: ev.At, Event: ev, Props: s})
	}
	page, err := h.s.Store.ListTickets(ctx, store.TicketFilter{Status: "all", ContactID: id, Limit: 100, Viewer: viewerOf(p)})
	if err != nil {
		h.fail(w, r, p, "contact tickets", err)
		return
	}
	byID := map[int64]*store.Ticket{}
	var ticketIDs []int64
	for i := range page.Items {
		t := &page.Items[i]
		d.Timeline = append(d.Timeline, timelineItem{At: t.CreatedAt, Ticket: t})
		byID[t.ID] = t
		ticketIDs = append(ticketIDs, t.ID)
	}
	// What the customer received, from the conversations this agent sees.
	sent, err := h.s.Store.MessagesSent(ctx, ticketIDs, 200)
	if err != nil {
		h.fail(w, r, p, "contact messages", err)
		return
	}
	for i := range sent {
		m := &sent[i]
		d.Timeline = append(d.Timeline, timelineItem{At: m.CreatedAt, Message: m, MessageTicket: byID[m.TicketID], Snippet: plaintext.Clip(m.Text, 200)})
	}
	views, err := h.s.Inbox.ContactPageViews(ctx, id, 200)
	if err != nil {
		h.fail(w, r, p, "contact page views", err)
		return
	}
	for i := range views {
		d.Timeline = append(d.Timeline, timelineItem{At: views[i].At, View: &views[i]})
	}
	// The campaign messages sent to the customer, with their campaign's
	// name (a deleted campaign keeps its name).
	sends, err := h.s.Store.CampaignSendsOf(ctx, id, 200)
	if err != nil {
		h.fail(w, r, p, "contact campaign sends", err)
		return
	}
	names := map[int64]string{}
	for i := range sends {
		sd := &sends[i]
		name, ok := names[sd.CampaignID]
		if !ok {
			if cp, err := h.s.Store.CampaignByID(ctx, sd.CampaignID); err == nil {
				name = cp.Name
			}
			names[sd.CampaignID] = name
		}
		d.Timeline = append(d.Timeline, timelineItem{At: sd.CreatedAt, Send: sd, CampaignName: name})
	}
	sort.SliceStable(d.Timeline, func(i, j int) bool { return d.Timeline[i].At.After(d.Timeline[j].At) })
	pg.Data = d
	pg.Boot["contact_id"] = id
	h.render(w, r, "contact", pg)
}
