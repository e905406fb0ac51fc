package ui

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/avatar"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

type attachmentView struct {
	ID    int64
	Name  string
	Type  string
	Size  int64
	URL   string
	Image bool
}

type messageView struct {
	ID         int64
	Direction  string
	AuthorName string
	// AuthorAvatar is an agent author's avatar URL ("" for initials).
	AuthorAvatar   string
	Kind           string
	ChannelName    string
	Text           string
	Quoted         string // quoted email history of a text message, folded
	SrcDoc         string // a full document for the sandboxed iframe; empty for text messages
	HasRemote      bool   // the HTML references remote images
	Attachments    []attachmentView
	DeliveryStatus string
	DeliveryError  string
	DeliveryCause  string // deliveryCause of DeliveryError
	CreatedAt      time.Time
	Edited         bool
	Deleted        bool
	PageURL        string
	PageTitle      string
	ViaPage        bool // written on the conversation page
	// Bot is an answer-bot message or note; Choices its quick-reply buttons.
	Bot     bool
	Choices []string
	// ArticleID and ArticleTitle name the help article the customer read
	// before writing (the widget's help tab).
	ArticleID    int64
	ArticleTitle string
	// Mentions names the agents a note mentions.
	Mentions []string
}

type pageVisit struct {
	URL   string
	Title string
	At    time.Time
}

type ticketData struct {
	Ticket       *store.Ticket
	Number       int64
	Contact      *store.Contact
	ContactName  string
	Messages     []messageView
	OtherTickets []ticketRow
	Pages        []pageVisit
	Agents       []*store.Agent
	AssigneeID   int64
	Teams        []teamOption
	TeamID       int64
	TagsText     string
	LatestKind   string
	LatestName   string
	HasEmail     bool
	SnoozeValue  string
	Statuses     []string
	Priorities   []string
	Links        []linkView
	// Ratings are this ticket's CSAT requests and answers; ContactRatings
	// the contact's answers on their other tickets.
	Ratings        []ratingView
	ContactRatings []ratingView
	MergedInto     int64  // the number of the ticket this one was merged into
	MergedText     string // "Merged into #1042."
	// SLA is the state of the ticket's SLA targets now.
	SLA []inbox.SLAStatus
	// AssistOn shows the composer's "draft a reply" (a provider is set).
	AssistOn bool
}

// linkView is a conversation page link on the ticket's side panel.
type linkView struct {
	ID          int64
	Recipient   string
	State       string // live, expired, revoked
	Expires     string
	Opened      string
	OtherDevice bool
}

// emailCSP is put inside every email document: no script, nothing remote;
// images only inline (data:, cid:) until the agent asks for them.
const emailCSP = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:"

// emailDoc wraps sanitized email HTML into the document shown in a sandboxed
// iframe. The HTML was sanitized at ingest; the CSP and sandbox are the
// second and third walls.
//
// A srcdoc document inherits the page's CSP (style-src 'self'), so inline
// styles only apply in the stand-alone document of showMessageBody; withStyle
// adds them there.
func emailDoc(html, csp string, withStyle bool) string {
	style := ""
	if withStyle {
		style = `<style>body{font:14px/1.5 system-ui,sans-serif;margin:8px;color:#1f2933;overflow-wrap:anywhere}img{max-width:100%;height:auto}blockquote{border-left:3px solid #d5dbe1;margin:0 0 0 4px;padding-left:10px;color:#52606d}</style>`
	}
	return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="` + csp +
		`"><meta name="referrer" content="no-referrer"><base target="_blank">` + style + `</head><body>` + html + `</body></html>`
}

func (h *handler) showTicket(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	id := r.PathValue("id")
	t, err := h.s.Inbox.TicketByPublicID(ctx, id)
	if err != nil {
		if n, perr := strconv.ParseInt(strings.TrimPrefix(id, "#"), 10, 64); perr == nil && n > store.TicketNumberBase {
			if t2, err2 := h.s.Inbox.Ticket(ctx, n-store.TicketNumberBase); err2 == nil {
				http.Redirect(w, r, "/tickets/"+t2.PublicID, http.StatusSeeOther)
				return
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			h.renderError(w, r, p, http.StatusNotFound, "error.notFound")
			return
		}
		h.fail(w, r, p, "load ticket", err)
		return
	}
	if ok, err := h.canSee(r, p, t.ID); err != nil {
		h.fail(w, r, p, "check visibility", err)
		return
	} else if !ok {
		h.renderError(w, r, p, http.StatusNotFound, "error.notFound")
		return
	}
	// Opening the ticket (or its live refresh while shown) reads it for
	// this agent; a hidden tab's refresh does not (ticket.js marks it read
	// when the tab is shown again).
	if r.Header.Get("X-Hanbox-Background") == "" {
		if err := h.s.Store.MarkRead(ctx, p.Agent.ID, t.ID, time.Now()); err != nil {
			h.log.Warn("mark read", "ticket_id", t.ID, "err", err)
		}
	}
	agents, chans, err := h.lookups(r)
	if err != nil {
		h.fail(w, r, p, "lookups", err)
		return
	}
	msgs, err := h.s.Inbox.Messages(ctx, t.ID)
	if err != nil {
		h.fail(w, r, p, "load messages", err)
		return
	}
	d := &ticketData{Ticket: t, Number: t.Number(), Statuses: []string{store.StatusOpen, store.StatusPending, store.StatusResolved, store.StatusClosed},
		Priorities: []string{store.PriorityLow, store.PriorityNormal, store.PriorityHigh, store.PriorityUrgent},
		SLA:        inbox.TicketSLA(t, time.Now())}
	if c, err := h.s.Inbox.Contact(ctx, t.ContactID); err != nil {
		h.log.Warn("load contact", "ticket_id", t.ID, "err", err)
	} else {
		d.Contact = c
		d.ContactName = customerName(translatorFor(language(r)), c)
		d.HasEmail = c.Email != ""
	}
	pg := h.newPage(r, p, "ticket", "nav.inbox")
	for i := range msgs {
		d.Messages = append(d.Messages, h.messageView(&msgs[i], d.Contact, agents, chans, pg))
		if msgs[i].Direction == store.DirInbound {
			mv := d.Messages[len(d.Messages)-1]
			if mv.PageURL != "" {
				d.Pages = append(d.Pages, pageVisit{URL: mv.PageURL, Title: mv.PageTitle, At: mv.CreatedAt})
			}
		}
	}
	// Newest page first, each page once.
	seen := map[string]bool{}
	var pagesRev []pageVisit
	for i := len(d.Pages) - 1; i >= 0; i-- {
		if !seen[d.Pages[i].URL] {
			seen[d.Pages[i].URL] = true
			pagesRev = append(pagesRev, d.Pages[i])
		}
	}
	d.Pages = pagesRev
	if ch := chans[t.LastChannelID]; ch != nil {
		d.LatestKind, d.LatestName = ch.Kind, ch.Name
	}
	if t.AssigneeID != nil {
		d.AssigneeID = *t.AssigneeID
	}
	for _, a := range sortedAgents(agents) {
		if a.Active || a.ID == d.AssigneeID {
			d.Agents = append(d.Agents, a)
		}
	}
	if t.TeamID != nil {
		d.TeamID = *t.TeamID
	}
	if teams, err := h.s.Store.ListTeams(r.Context()); err != nil {
		h.log.Warn("list teams", "err", err)
	} else {
		for _, tm := range teams {
			d.Teams = append(d.Teams, teamOption{ID: tm.ID, Name: tm.Name(pg.Lang)})
		}
	}
	var tags []string
	for _, tg := range t.Tags {
		tags = append(tags, tg.Tag)
	}
	d.TagsText = strings.Join(tags, ", ")
	if t.SnoozedUntil != nil {
		d.SnoozeValue = t.SnoozedUntil.UTC().Format("2006-01-02T15:04")
	}
	if other, err := h.s.Store.ListTickets(ctx, store.TicketFilter{Status: "all", ContactID: t.ContactID, Limit: 10, Viewer: viewerOf(p)}); err != nil {
		h.log.Warn("load the contact's other tickets", "ticket_id", t.ID, "err", err)
	} else {
		for i := range other.Items {
			if other.Items[i].ID != t.ID {
				d.OtherTickets = append(d.OtherTickets, makeRow(&other.Items[i], agents, chans))
			}
		}
	}
	d.Links = h.linkViews(r, t.ID, pg)
	if set, err := h.s.Store.AssistSettingsOf(ctx); err == nil {
		d.AssistOn = set.Enabled
	}
	d.Ratings, d.ContactRatings = h.ratingViews(r, t)
	if t.MergedInto != nil {
		d.MergedInto = *t.MergedInto + store.TicketNumberBase
		d.MergedText = strings.ReplaceAll(pg.Tr("ticket.mergedInto"), "{number}", strconv.FormatInt(d.MergedInto, 10))
	}
	pg.Title = fmt.Sprintf("#%d %s", t.Number(), t.Subject)
	pg.Boot["ticket"] = map[string]any{"id": t.PublicID, "tid": t.ID, "version": t.Version, "number": t.Number(),
		"contact": map[string]any{"id": t.ContactID, "name": plaintext.StripBidi(contactName(d.Contact))}, "has_email": d.HasEmail, "status": t.Status,
		"contact_fallback": h.contactFallback()}
	pg.Data = d
	h.render(w, r, "ticket", pg)
}

var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// messageHTML is a message's sanitized HTML with its quoted history folded
// (when the email parser found one: meta.quoted_from).
func messageHTML(m *store.Message, tr translator) string {
	if m.Meta.Int("quoted_from") <= 0 {
		return m.HTML
	}
	return foldQuotedHTML(m.HTML, tr.T("conv.quoted"))
}

func (h *handler) messageView(m *store.Message, c *store.Contact, agents map[int64]*store.Agent, chans map[int64]*store.Channel, pg *page) messageView {
	v := messageView{ID: m.ID, Direction: m.Direction, Text: m.Text, DeliveryStatus: m.DeliveryStatus, DeliveryError: m.DeliveryError,
		DeliveryCause: deliveryCause(m.DeliveryError),
		CreatedAt:     m.CreatedAt, Edited: m.EditedAt != nil, Deleted: m.DeletedAt != nil}
	if ch := chans[m.ChannelID]; ch != nil {
		v.Kind, v.ChannelName = ch.Kind, ch.Name
	}
	switch m.AuthorType {
	case store.AuthorAgent:
		if a := agents[m.AuthorID]; a != nil {
			v.AuthorName, v.AuthorAvatar = a.Name, avatar.Path(a.AvatarSum)
			if v.AuthorName == "" {
				v.AuthorName = a.Email
			}
		}
	case store.AuthorContact:
		v.AuthorName = customerName(pg.tr, c)
		if m.HTML == "" {
			v.Text, v.Quoted = inbox.FoldQuote(*m)
		}
	case store.AuthorSystem:
		if m.Direction == store.DirSystem {
			v.Text = systemText(pg, m.Text, m.Meta)
		}
	case store.AuthorBot:
		v.Bot, v.AuthorName = true, pg.Tr("ticket.bot")
		if b, ok := m.Meta["bot"].(map[string]any); ok {
			cs, _ := b["choices"].([]any)
			for _, c := range cs {
				if s, ok := c.(string); ok {
					v.Choices = append(v.Choices, s)
				}
			}
		}
	}
	if _, name := inbox.RuleFromMeta(m.Meta); name != "" {
		// A rule's note or saved reply: the rule is its author.
		v.AuthorName = strings.ReplaceAll(pg.Tr("ticket.ruleAuthor"), "{name}", name)
	}
	if m.HTML != "" && !v.Deleted {
		v.SrcDoc = emailDoc(messageHTML(m, pg.tr), emailCSP, false)
		low := strings.ToLower(m.HTML)
		v.HasRemote = strings.Contains(low, "src=\"http") || strings.Contains(low, "src='http") || strings.Contains(low, "url(http")
	}
	if m.Meta != nil {
		v.PageURL = m.Meta.String("page_url")
		v.PageTitle = m.Meta.String("page_title")
		if !strings.HasPrefix(v.PageURL, "http://") && !strings.HasPrefix(v.PageURL, "https://") {
			v.PageURL = "" // never link a javascript: or data: URL
		}
		v.ViaPage = m.Meta.String("via") == "page"
		if ms, ok := m.Meta["mentions"].([]any); ok && m.Direction == store.DirNote {
			for _, x := range ms {
				if id, ok := x.(float64); ok {
					if a := agents[int64(id)]; a != nil {
						v.Mentions = append(v.Mentions, cmp.Or(a.Name, a.Email))
					}
				}
			}
		}
		if a, ok := m.Meta["kb_article"].(map[string]any); ok {
			if id, ok := a["id"].(float64); ok && id > 0 {
				v.ArticleID = int64(id)
				v.ArticleTitle, _ = a["title"].(string)
			}
		}
	}
	for _, a := range m.Attachments {
		if a.Inline && a.ContentID != "" && m.HTML != "" {
			continue
		}
		v.Attachments = append(v.Attachments, attachmentView{ID: a.ID, Name: a.Name, Type: a.ContentType, Size: a.Size,
			URL: fmt.Sprintf("/api/v1/attachments/%d", a.ID), Image: imageTypes[a.ContentType]})
	}
	return v
}

// systemText makes a system line readable: from the typed changes an update
// records (inbox.TicketChanges), or, for lines written by older versions, by
// reading their "status:resolved, assigned:Kim" text.
func systemText(pg *page, text string, meta store.JSONMap) string {
	line := systemLine(pg, text, meta)
	if _, name := inbox.RuleFromMeta(meta); name != "" {
		// "담당자 → 김상담 (규칙 'VIP → 결제팀')"
		line += " (" + strings.ReplaceAll(pg.Tr("sys.byRule"), "{name}", name) + ")"
	}
	return line
}

func systemLine(pg *page, text string, meta store.JSONMap) string {
	if ev, target, _ := inbox.SLALineFromMeta(meta); ev != "" {
		key := map[string]string{"warning": "sys.slaWarning", "breached": "sys.slaBreached", "met": "sys.slaMet",
			"paused": "sys.slaPaused", "resumed": "sys.slaResumed"}[ev]
		if key != "" {
			return strings.ReplaceAll(pg.Tr(key), "{target}", pg.Tr("sla.target."+target))
		}
	}
	switch meta.String("rule_action") {
	case inbox.ActNotifySlack:
		return pg.Tr("sys.ruleSlack")
	case inbox.ActWebhook:
		return strings.ReplaceAll(pg.Tr("sys.ruleWebhook"), "{host}", meta.String("host"))
	}
	if ch := inbox.ChangesFromMeta(meta); ch != nil {
		var parts []string
		if c := ch.Status; c != nil {
			parts = append(parts, pg.Tr("side.status")+" → "+pg.Tr("status."+c.New))
		}
		if c := ch.Priority; c != nil {
			parts = append(parts, pg.Tr("side.priority")+" → "+pg.Tr("priority."+c.New))
		}
		if c := ch.Assignee; c != nil {
			who := pg.Tr("list.unassigned")
			if c.New != nil {
				who = c.New.Name
			}
			line := pg.Tr("side.assignee") + " → " + who
			switch ch.AssignedBy {
			case "auto":
				line += " (" + pg.Tr("side.autoAssigned") + ")"
			case inbox.AssignedOverCap:
				line += " (" + pg.Tr("side.requeuedOverCap") + ")"
			}
			parts = append(parts, line)
		}
		if c := ch.Team; c != nil {
			team := c.New
			if team == "" {
				team = pg.Tr("side.noTeam")
			}
			parts = append(parts, pg.Tr("side.team")+" → "+team)
		}
		if ch.Subject != nil {
			parts = append(parts, pg.Tr("list.subject")+" → "+ch.Subject.New)
		}
		if c := ch.Tags; c != nil {
			parts = append(parts, tagChanges(pg, c.Old, c.New)...)
		}
		if len(parts) > 0 {
			return strings.Join(parts, " · ")
		}
	}
	parts := strings.Split(text, ", ")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			switch p {
			case "tags":
				parts[i] = pg.Tr("sys.tagsChanged")
			case "subject":
				parts[i] = pg.Tr("sys.subjectChanged")
			case "unassigned":
				parts[i] = pg.Tr("side.assignee") + " → " + pg.Tr("list.unassigned")
			}
			continue
		}
		v = strings.TrimSpace(v)
		if _, nw, ok := strings.Cut(v, " → "); ok {
			v = nw // "status: open → resolved": the new value
		}
		switch k {
		case "tags":
			parts[i] = pg.Tr("side.tags") + " → " + v
		case "team":
			parts[i] = pg.Tr("side.team") + " → " + v
		case "assignee":
			parts[i] = pg.Tr("side.assignee") + " → " + v
		case "status":
			parts[i] = pg.Tr("side.status") + " → " + pg.Tr("status."+v)
		case "priority":
			parts[i] = pg.Tr("side.priority") + " → " + pg.Tr("priority."+v)
		case "assigned":
			parts[i] = pg.Tr("side.assignee") + " → " + v
		}
	}
	return strings.Join(parts, " · ")
}

// tagChanges says which tags an update added and removed ("태그 추가: #vip",
// "태그 삭제: #late").
func tagChanges(pg *page, old, nw []string) []string {
	had := map[string]bool{}
	for _, t := range old {
		had[t] = true
	}
	has := map[string]bool{}
	var added, removed []string
	for _, t := range nw {
		has[t] = true
		if !had[t] {
			added = append(added, "#"+t)
		}
	}
	for _, t := range old {
		if !has[t] {
			removed = append(removed, "#"+t)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, strings.ReplaceAll(pg.Tr("sys.tagsAdded"), "{tags}", strings.Join(added, " ")))
	}
	if len(removed) > 0 {
		parts = append(parts, strings.ReplaceAll(pg.Tr("sys.tagsRemoved"), "{tags}", strings.Join(removed, " ")))
	}
	if len(parts) == 0 {
		parts = append(parts, pg.Tr("sys.tagsChanged"))
	}
	return parts
}

// linkViews loads the conversation page links of a ticket for its panel.
func (h *handler) linkViews(r *http.Request, ticketID int64, pg *page) []linkView {
	ls, err := h.s.Inbox.ConversationLinks(r.Context(), ticketID)
	if err != nil {
		h.log.Warn("load conversation links", "ticket_id", ticketID, "err", err)
		return nil
	}
	now := time.Now()
	out := make([]linkView, 0, len(ls))
	for _, l := range ls {
		v := linkView{ID: l.ID, Recipient: l.Recipient, State: "live", OtherDevice: l.OtherDeviceAt != nil,
			Expires: strings.ReplaceAll(pg.Tr("side.linkExpires"), "{date}", l.ExpiresAt.UTC().Format("2006-01-02"))}
		switch {
		case !l.ExpiresAt.After(now):
			v.State = "expired"
		case l.RevokedAt != nil:
			v.State = "revoked"
		}
		if l.LastOpenedAt != nil {
			v.Opened = strings.ReplaceAll(pg.Tr("side.linkOpened"), "{date}", l.LastOpenedAt.UTC().Format("01-02 15:04"))
		}
		out = append(out, v)
	}
	return out
}

// teamOption is a team in the ticket's team menu.
type teamOption struct {
	ID   int64
	Name string
}

// ratingView is a CSAT request or answer on the ticket's side panel.
type ratingView struct {
	Number   int64 // the ticket's number
	Score    int   // 0: not answered
	Scale    int
	Low      bool
	Comment  string
	Answered time.Time
}

// ratingViews loads the ticket's surveys and the contact's answers on
// other tickets (newest first).
func (h *handler) ratingViews(r *http.Request, t *store.Ticket) (mine, contact []ratingView) {
	view := func(s *store.Survey) ratingView {
		v := ratingView{Number: s.TicketID + store.TicketNumberBase, Scale: inbox.CSATScale, Comment: s.Comment}
		if s.Score != nil && s.AnsweredAt != nil {
			v.Score, v.Answered, v.Low = *s.Score, *s.AnsweredAt, *s.Score <= 2
		}
		return v
	}
	own, err := h.s.Inbox.Surveys(r.Context(), store.SurveyFilter{Kind: store.SurveyCSAT, TicketIDs: []int64{t.ID}, Limit: 20})
	if err != nil {
		h.log.Warn("load the ticket's ratings", "ticket_id", t.ID, "err", err)
		return nil, nil
	}
	seen := map[int64]bool{}
	for i := range own {
		seen[own[i].ID] = true
		mine = append(mine, view(&own[i]))
	}
	all, err := h.s.Inbox.Surveys(r.Context(), store.SurveyFilter{Kind: store.SurveyCSAT, ContactID: t.ContactID, Answered: true, Limit: 10})
	if err != nil {
		h.log.Warn("load the contact's ratings", "contact_id", t.ContactID, "err", err)
		return mine, nil
	}
	for i := range all {
		if !seen[all[i].ID] {
			contact = append(contact, view(&all[i]))
		}
	}
	return mine, contact
}

// contactName is the customer's own name, "" when they gave none (an
// anonymous visitor): placeholders then use their fallback word, never
// an address.
func contactName(c *store.Contact) string {
	if c == nil {
		return ""
	}
	return c.Name
}

// contactFallback is the word for {{contact.name}} when the customer gave
// no name (server.Config.ContactFallback, "고객" unless configured).
func (h *handler) contactFallback() string {
	if f := h.s.Config.ContactFallback; f != "" {
		return f
	}
	return "고객"
}
