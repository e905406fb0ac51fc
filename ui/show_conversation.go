package ui

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

// The conversation page: GET /c/{token}, the link every agent email ends
// with. It lives here, not in the widget connector, because it is a public,
// server-rendered page like the rest of the UI (html/template, embedded and
// parsed at start-up, checksum asset URLs, the Korean and English
// catalogue with its coverage test) and because reading must work for a
// customer whose only channel is email, with no widget channel at all. Its
// live part is an enhancement: conversation.js speaks the widget protocol
// to the first running channel that hosts pages (connectors.PageHost), and
// without one (or without JavaScript) the page stays a complete read-only
// thread.
//
// What it shows is the inbox's customer-visible thread (inbox/customer.go)
// of the link's one ticket as the link's contact sees it, so notes, system
// lines and other customers' messages never reach the HTML; files are
// served under the same link and only when that rule allows them.

// deviceCookie names the browser that opened conversation links: the first
// browser to open a link is its device; another one gets the forwarded
// warning.
const deviceCookie = "hanbox_device"

// convMessage is one message on the page.
type convMessage struct {
	ID          int64
	Mine        bool
	Author      string
	Channel     string // the message's channel, in the reader's language
	Text        string
	Quoted      string
	At          time.Time
	Attachments []convFile
}

type convFile struct {
	Name  string
	Size  int64
	URL   string
	Image bool
}

type convData struct {
	Number      int64
	Heading     string // "Conversation #1042"
	Subject     string
	Status      string
	Via         string
	Messages    []convMessage
	Continuable bool
	Live        bool
	Forwarded   string // the warning, when opened in another browser
	Problem     string // why the link does not open
}

// publicPage is what the public layout receives.
type publicPage struct {
	tr   translator
	Lang string
	// Theme is the browser's theme cookie ("" follows the system), so an
	// agent who chose dark sees customer pages dark too.
	Theme string
	Title string
	Path  string
	Boot  map[string]any
	Data  *convData
	// Survey is set on the rating page (show_survey.go).
	Survey *surveyData
	// Unsub is set on the unsubscribe page (show_unsubscribe.go).
	Unsub *unsubData
}

// Tr translates a UI string.
func (p *publicPage) Tr(key string) string { return p.tr.T(key) }

// Languages lists the UI languages for the switcher.
func (p *publicPage) Languages() []string { return languages }

var publicPages = mustPublicPages()

func mustPublicPages() *template.Template {
	t, err := template.New("public").Funcs(templateFuncs()).ParseFS(templateFS, "templates/public.html", "templates/conversation.html", "templates/survey.html", "templates/unsubscribe.html")
	if err != nil {
		panic(err)
	}
	return t
}

func (h *handler) showConversation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tok := r.PathValue("token")
	tr := translatorFor(language(r))
	pg := &publicPage{tr: tr, Lang: tr.lang, Theme: theme(r), Title: tr.T("conv.title"), Path: r.URL.RequestURI(), Data: &convData{}}
	acc, err := h.s.Inbox.OpenConversation(ctx, tok)
	if err != nil {
		status, key := linkProblem(err)
		if status >= 500 {
			h.log.Error("open conversation link", "err", err)
		}
		pg.Data.Problem = tr.T(key)
		h.renderPublic(w, pg, status)
		return
	}
	other, err := h.s.Inbox.RecordLinkOpen(ctx, acc.LinkID, h.device(w, r))
	if err != nil {
		h.log.Warn("record conversation link open", "link_id", acc.LinkID, "err", err)
	}
	d, err := h.conversation(r, tr, acc, tok)
	if err != nil {
		h.log.Error("load conversation", "ticket_id", acc.TicketID, "err", err)
		pg.Data.Problem = tr.T("common.error")
		h.renderPublic(w, pg, http.StatusInternalServerError)
		return
	}
	if other {
		d.Forwarded = strings.ReplaceAll(tr.T("conv.forwarded"), "{recipient}", maskAddress(acc.Recipient))
	}
	pg.Data = d
	pg.Title = d.Subject
	var last int64
	for _, m := range d.Messages {
		last = max(last, m.ID)
	}
	live, _ := h.s.Runtime.PageHostPath()
	pg.Boot = map[string]any{"lang": tr.lang, "token": tok, "api": live, "last_id": last, "number": d.Number,
		"continuable": d.Continuable, "strings": convStrings(tr)}
	h.renderPublic(w, pg, http.StatusOK)
}

// conversation loads what the page shows.
func (h *handler) conversation(r *http.Request, tr translator, acc *inbox.LinkAccess, tok string) (*convData, error) {
	ctx := r.Context()
	d := &convData{Number: acc.Number, Heading: strings.ReplaceAll(tr.T("conv.heading"), "{number}", strconv.FormatInt(acc.Number, 10))}
	convs, err := h.s.Inbox.CustomerConversations(ctx, acc.Scope(), 1)
	if err != nil {
		return nil, err
	}
	if len(convs) == 1 {
		c := convs[0]
		d.Subject, d.Status, d.Via, d.Continuable = c.Subject, c.Status, viaLabel(tr, c.ChannelKind), c.Continuable
	} else {
		t, err := h.s.Inbox.Ticket(ctx, acc.TicketID)
		if err != nil {
			return nil, err
		}
		d.Subject, d.Status = t.Subject, t.Status
	}
	msgs, err := h.s.Inbox.CustomerMessages(ctx, acc.ContactID, []int64{acc.TicketID}, 0, 1000)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		cm := convMessage{ID: m.ID, Mine: m.Inbound, Author: m.AuthorName, Channel: byLabel(tr, m.ChannelKind), Text: m.Text, Quoted: m.Quoted, At: m.CreatedAt}
		if cm.Mine {
			cm.Author = tr.T("conv.you")
		} else if cm.Author == "" {
			cm.Author = tr.T("conv.support")
		}
		for _, a := range m.Attachments {
			cm.Attachments = append(cm.Attachments, convFile{Name: a.Name, Size: a.Size, Image: imageTypes[a.ContentType],
				URL: "/c/" + tok + "/files/" + strconv.FormatInt(a.ID, 10)})
		}
		d.Messages = append(d.Messages, cm)
	}
	_, d.Live = h.s.Runtime.PageHostPath()
	return d, nil
}

// linkProblem maps a refused link to its status and explanation.
func linkProblem(err error) (int, string) {
	switch {
	case errors.Is(err, inbox.ErrLinkExpired):
		return http.StatusGone, "conv.expired"
	case errors.Is(err, inbox.ErrLinkRevoked):
		return http.StatusGone, "conv.revoked"
	case errors.Is(err, inbox.ErrNotFound):
		return http.StatusNotFound, "conv.notFound"
	}
	return http.StatusInternalServerError, "common.error"
}

// viaLabel names the channel a conversation started on ("이메일로 주고받은 대화").
func viaLabel(tr translator, kind string) string {
	switch kind {
	case "email":
		return tr.T("conv.via.email")
	case "widget":
		return tr.T("conv.via.widget")
	case "":
		return ""
	}
	return strings.ReplaceAll(tr.T("conv.via.other"), "{channel}", connectors.Title(kind, tr.lang))
}

// byLabel names the channel a message came or went by.
func byLabel(tr translator, kind string) string {
	switch kind {
	case "email":
		return tr.T("conv.by.email")
	case "widget":
		return tr.T("conv.by.widget")
	}
	return connectors.Title(kind, tr.lang)
}

// convScriptKeys are the catalogue entries conversation.js uses.
var convScriptKeys = []string{"conv.attachments", "conv.badType", "conv.by.email", "conv.by.widget", "conv.failed", "conv.live",
	"conv.offline", "conv.quoted", "conv.read", "conv.sending", "conv.support", "conv.tooBig", "conv.typing", "conv.you"}

// convStrings are those entries in the reader's language.
func convStrings(tr translator) map[string]string {
	out := make(map[string]string, len(convScriptKeys))
	for _, k := range convScriptKeys {
		out[k] = tr.T(k)
	}
	return out
}

// maskAddress shows enough of an address to recognise it: mi***@example.com.
func maskAddress(a string) string {
	local, domain, ok := strings.Cut(a, "@")
	if !ok {
		return "***"
	}
	r := []rune(local)
	if len(r) > 2 {
		r = r[:2]
	}
	return string(r) + "***@" + domain
}

// device returns the browser's device cookie, setting a new one when the
// browser has none.
func (h *handler) device(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(deviceCookie); err == nil && len(c.Value) >= 22 && len(c.Value) <= 64 {
		return c.Value
	}
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: v, Path: "/c/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: 400 * 24 * 3600})
	return v
}

func (h *handler) renderPublic(w http.ResponseWriter, pg *publicPage, status int) {
	var buf bytes.Buffer
	if err := publicPages.ExecuteTemplate(&buf, "public", pg); err != nil {
		h.log.Error("render conversation page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setPublicHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// setPublicHeaders are the page headers, and: the token in the address
// never leaves in a Referer, and search engines keep out.
func setPublicHeaders(w http.ResponseWriter) {
	setPageHeaders(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
}

// serveConversationFile serves GET /c/{token}/files/{id}: a file on a
// message the link's holder may see; anything else is a 404, so a link for
// one ticket opens no file of another.
func (h *handler) serveConversationFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acc, err := h.s.Inbox.OpenConversation(ctx, r.PathValue("token"))
	if err != nil {
		status, _ := linkProblem(err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	a, err := h.s.Inbox.CustomerAttachment(ctx, acc.Scope(), id)
	if err != nil {
		if !errors.Is(err, inbox.ErrNotFound) {
			h.log.Error("conversation file", "attachment_id", id, "err", err)
		}
		http.NotFound(w, r)
		return
	}
	rc, err := h.s.Inbox.OpenBlob(a.SHA256)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer rc.Close()
	hd := w.Header()
	ct, disp := "application/octet-stream", "attachment"
	if imageTypes[a.ContentType] && r.URL.Query().Get("download") == "" {
		ct, disp = a.ContentType, "inline"
	}
	hd.Set("Content-Type", ct)
	hd.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": a.Name}))
	hd.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, rc); err != nil {
		h.log.Debug("conversation file copy", "err", err)
	}
}
