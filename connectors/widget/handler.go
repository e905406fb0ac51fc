package widget

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/web"
)

// maxPollsPerVisitor bounds concurrent long-polls of one visitor (tabs).
const maxPollsPerVisitor = 8

// SessionTTL is how long a session token is valid; the script asks for a new
// one on every page load.
const SessionTTL = 24 * time.Hour

// apiError is an error with its HTTP status and a code the script branches on.
type apiError struct {
	status     int
	code, msg  string
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP implements connectors.Handler. Routes, relative to
// /connectors/widget/{public key}:
//
//	POST /session, POST /email, GET /ws, POST /messages, GET /poll,
//	POST /upload, GET /attachments/{id}, GET /conversations/{number},
//	POST /page/session (a conversation page's live part; see page.go),
//	POST /view (a page view; see views.go)
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin != "" {
		if !c.originAllowed(origin) {
			writeErr(w, errf(http.StatusForbidden, "origin_not_allowed", "this site may not use this widget"))
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Max-Age", "600")
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	path := r.URL.Path
	switch {
	case path == "/session" && r.Method == http.MethodPost:
		c.handleSession(w, r)
	case path == "/email" && r.Method == http.MethodPost:
		c.handleEmail(w, r)
	case path == "/helped" && r.Method == http.MethodPost:
		c.handleHelped(w, r)
	case path == "/campaign" && r.Method == http.MethodPost:
		c.handleCampaign(w, r)
	case path == "/ws" && r.Method == http.MethodGet:
		c.handleWS(w, r)
	case path == "/messages" && r.Method == http.MethodPost:
		c.handleMessages(w, r)
	case path == "/poll" && r.Method == http.MethodGet:
		c.handlePoll(w, r)
	case path == "/upload" && r.Method == http.MethodPost:
		c.handleUpload(w, r)
	case strings.HasPrefix(path, "/attachments/") && r.Method == http.MethodGet:
		c.handleAttachment(w, r, strings.TrimPrefix(path, "/attachments/"))
	case strings.HasPrefix(path, "/conversations/") && r.Method == http.MethodGet:
		c.handleConversation(w, r, strings.TrimPrefix(path, "/conversations/"))
	case path == "/page/session" && r.Method == http.MethodPost:
		c.handlePageSession(w, r)
	case path == "/view" && r.Method == http.MethodPost:
		c.handleView(w, r)
	default:
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such endpoint"))
	}
}

// originAllowed reports whether a page of origin may use the widget: the
// channel's allowed sites, and Hanbox's own origin (its conversation pages).
func (c *Channel) originAllowed(origin string) bool {
	if c.baseOrigin != "" && origin == c.baseOrigin {
		return true
	}
	for _, p := range c.origins {
		if p.match(origin) {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"code": e.code, "message": e.msg}
	if e.retryAfter > 0 {
		secs := int((e.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		body["retry_after"] = secs
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

// decodeBody reads a bounded JSON body.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errf(http.StatusRequestEntityTooLarge, "too_large", "request body is larger than %d bytes", limit)
		}
		return errf(http.StatusBadRequest, "bad_json", "body is not valid JSON")
	}
	return nil
}

// auth returns the session of a request: a bearer token, or ?token= for
// WebSockets, image tags and downloads.
func (c *Channel) auth(r *http.Request) (*claims, *apiError) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		tok = r.URL.Query().Get("token")
	}
	key, err := c.signingKey(r.Context())
	if err != nil {
		c.log.Error("widget: signing key", "err", err)
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly")
	}
	var cl claims
	if tok == "" || !verify(key, strings.TrimSpace(tok), &cl) || cl.Visitor == "" {
		return nil, errf(http.StatusUnauthorized, "unauthorized", "missing or invalid session; start a new one")
	}
	if time.Unix(cl.Exp, 0).Before(c.now()) {
		return nil, errf(http.StatusUnauthorized, "session_expired", "session expired; start a new one")
	}
	if c.settings.RequireVerified && cl.UserID == "" && cl.Page == "" {
		return nil, errf(http.StatusForbidden, "verification_required", "this widget needs a signed-in user")
	}
	return &cl, nil
}

// SessionRequest is the body of POST /session.
type SessionRequest struct {
	VisitorToken string    `json:"visitor_token"`
	UserID       string    `json:"user_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	UserHash     string    `json:"user_hash"`
	Page         *pageInfo `json:"page"`
	Locale       string    `json:"locale"`
	TimeZone     string    `json:"time_zone"`
	// Attributes are profile attributes of a verified user (user_id with a
	// valid user_hash); refused without one.
	Attributes map[string]any `json:"attributes"`
}

// SessionResponse answers POST /session.
type SessionResponse struct {
	VisitorToken  string         `json:"visitor_token"`
	SessionToken  string         `json:"session_token"`
	VisitorID     string         `json:"visitor_id"`
	Contact       *ContactView   `json:"contact"`
	Conversations []conversation `json:"conversations"`
	Settings      UISettings     `json:"settings"`
	OfficeHours   HoursState     `json:"office_hours"`
	AgentsOnline  bool           `json:"agents_online"`
	// ExpectedReplySeconds is the median first-response time (0 = unknown).
	ExpectedReplySeconds int64 `json:"expected_reply_seconds"`
	// Campaigns are the life-cycle messages waiting for this contact, shown
	// as a bubble on the pages their pattern matches.
	Campaigns []inbox.CampaignCard `json:"campaigns,omitempty"`
}

// ContactView is what the visitor may see of their contact.
type ContactView struct {
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Verified bool   `json:"verified"`
}

// UISettings are the channel settings the script needs.
type UISettings struct {
	Color           string          `json:"color"`
	Position        string          `json:"position"`
	Greeting        Localized       `json:"greeting,omitempty"`
	Locale          string          `json:"locale"`
	Theme           string          `json:"theme"`
	Proactive       []proactiveView `json:"proactive,omitempty"`
	MaxUploadBytes  int64           `json:"max_upload_bytes"`
	UploadTypes     []string        `json:"upload_types"`
	MaxTextBytes    int             `json:"max_text_bytes"`
	RequireVerified bool            `json:"require_verified"`
}

type proactiveView struct {
	ID              string    `json:"id"`
	URLPattern      string    `json:"url_pattern"`
	Message         Localized `json:"message"`
	DelaySeconds    int       `json:"delay_seconds"`
	OfficeHoursOnly bool      `json:"office_hours_only"`
}

func (c *Channel) uiSettings() UISettings {
	s := c.settings
	ui := UISettings{Color: s.Color, Position: s.Position, Greeting: s.Greeting, Locale: s.Locale,
		MaxUploadBytes: s.maxUpload(), UploadTypes: s.uploadTypes(), MaxTextBytes: MaxTextBytes, RequireVerified: s.RequireVerified}
	if ui.Color == "" {
		ui.Color = "#2f6fed"
	}
	if ui.Position == "" {
		ui.Position = "right"
	}
	if ui.Locale == "" {
		ui.Locale = "auto"
	}
	if ui.Theme = s.Theme; ui.Theme == "" {
		ui.Theme = "auto"
	}
	for i, p := range s.Proactive {
		ui.Proactive = append(ui.Proactive, proactiveView{ID: "p" + strconv.Itoa(i) + "-" + conversationBase(p.URLPattern + p.Message.Get(""))[:6],
			URLPattern: p.URLPattern, Message: p.Message, DelaySeconds: p.DelaySeconds, OfficeHoursOnly: p.OfficeHoursOnly})
	}
	return ui
}

func (c *Channel) handleSession(w http.ResponseWriter, r *http.Request) {
	if ok, wait := c.sessionLimit.Allow(web.ClientIP(r)); !ok {
		writeErr(w, &apiError{status: http.StatusTooManyRequests, code: "rate_limited", msg: "too many sessions from this address; slow down", retryAfter: wait})
		return
	}
	var req SessionRequest
	if e := decodeBody(w, r, 16<<10, &req); e != nil {
		writeErr(w, e)
		return
	}
	ctx := r.Context()
	if !tokenRe.MatchString(req.VisitorToken) {
		req.VisitorToken = base64.RawURLEncoding.EncodeToString(randomBytes(32))
	}
	cl := claims{Visitor: visitorID(req.VisitorToken), Name: plaintext.Clip(strings.TrimSpace(noNUL(req.Name)), 200), Exp: c.now().Add(SessionTTL).Unix()}
	if req.UserID != "" {
		if len(c.identitySecret) == 0 || len(req.UserID) > 200 || strings.ContainsRune(req.UserID, 0) || !c.validHash(req.UserID, req.UserHash) {
			writeErr(w, errf(http.StatusForbidden, "identity_invalid", "user_hash does not match user_id"))
			return
		}
		cl.UserID = req.UserID
	}
	if req.Email != "" {
		addr, err := mail.ParseAddress(req.Email)
		if err != nil || len(addr.Address) > 320 {
			writeErr(w, errf(http.StatusUnprocessableEntity, "invalid", "email is not an address"))
			return
		}
		cl.Email = strings.ToLower(addr.Address)
		cl.EmailVerified = cl.UserID != ""
	}
	if c.settings.RequireVerified && cl.UserID == "" {
		writeErr(w, errf(http.StatusForbidden, "verification_required", "this widget needs a signed-in user"))
		return
	}
	if len(req.Attributes) > 0 {
		if e := c.identify(ctx, &cl, req.Attributes); e != nil {
			writeErr(w, e)
			return
		}
	}
	c.onboard(ctx, &cl, req.Locale)
	resp, apiErr := c.session(ctx, &cl, c.sessionLang(req.Locale))
	if apiErr != nil {
		writeErr(w, apiErr)
		return
	}
	resp.VisitorToken = req.VisitorToken
	if p := req.Page.clean(); p != nil && p.URL != "" {
		contactID, ticketID := c.hub.info(c.identity(&cl))
		c.publishPage(contactID, ticketID, cl.Visitor, p)
		c.recordView(ctx, &cl, p)
	}
	writeJSON(w, http.StatusOK, resp)
}

// onboard gives a visitor without a contact one when an onboarding message
// is on, so a brand-new visitor's first visit gets it. Failures only cost
// the greeting: logged, and the session goes on.
func (c *Channel) onboard(ctx context.Context, cl *claims, locale string) {
	ob, ok := c.svc.(connectors.Onboarder)
	if !ok || cl.Page != "" {
		return
	}
	if id, err := c.contactID(ctx, cl); err != nil || id != 0 {
		return
	}
	if on, err := ob.OnboardsVisitors(ctx); err != nil || !on {
		if err != nil {
			c.log.Warn("widget: onboarding campaigns", "err", err)
		}
		return
	}
	ref := inbox.ContactRef{Kind: inbox.IdentityWidget, ID: c.identity(cl), Verified: cl.UserID != "", Name: cl.Name,
		Locale: plaintext.Clip(noNUL(locale), 35)}
	if cl.EmailVerified {
		ref.Email, ref.EmailVerified = cl.Email, true
	}
	if _, err := ob.VisitorContact(ctx, ref); err != nil {
		c.log.Warn("widget: visitor contact", "visitor", cl.Visitor, "err", err)
	}
}

// identify sets a verified user's profile attributes. Only an identity the
// site signed (user_hash) may write a profile: anyone can claim a visitor
// token or an email.
func (c *Channel) identify(ctx context.Context, cl *claims, attrs map[string]any) *apiError {
	if cl.UserID == "" {
		return errf(http.StatusForbidden, "identity_required", "attributes need a user_id with a valid user_hash")
	}
	idf, ok := c.svc.(connectors.Identifier)
	if !ok {
		return errf(http.StatusUnprocessableEntity, "unsupported", "this server does not keep profile attributes")
	}
	ref := inbox.ContactRef{Kind: inbox.IdentityWidget, ID: c.identity(cl), Verified: true, Name: cl.Name}
	if cl.EmailVerified {
		ref.Email, ref.EmailVerified = cl.Email, true
	}
	_, err := idf.IdentifyContact(ctx, ref, attrs)
	var inv *inbox.InvalidError
	switch {
	case errors.As(err, &inv):
		return errf(http.StatusUnprocessableEntity, "invalid_attributes", "%s", inv.Reason)
	case err != nil:
		c.log.Error("widget: identify", "err", err)
		return errf(http.StatusServiceUnavailable, "unavailable", "try again shortly")
	}
	return nil
}

// sessionLang is the language the widget shows, as the script picks it:
// the channel's locale setting when it is ko or en, else the browser's
// language (Korean for ko*, English otherwise).
func (c *Channel) sessionLang(browser string) string {
	if l := c.settings.Locale; l == "ko" || l == "en" {
		return l
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(browser)), "ko") {
		return "ko"
	}
	return "en"
}

// session builds the session answer for cl; campaign messages are in lang
// ("" takes the contact's locale).
func (c *Channel) session(ctx context.Context, cl *claims, lang string) (*SessionResponse, *apiError) {
	key, err := c.signingKey(ctx)
	if err != nil {
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly")
	}
	tok, err := sign(key, cl)
	if err != nil {
		return nil, errf(http.StatusInternalServerError, "internal", "could not start a session")
	}
	resp := &SessionResponse{SessionToken: tok, VisitorID: cl.Visitor, Settings: c.uiSettings(),
		OfficeHours: c.settings.OfficeHours.State(c.now()), AgentsOnline: c.agentsOnline(), ExpectedReplySeconds: c.expectedReply(ctx),
		Conversations: []conversation{}}
	v, err := c.viewer(ctx, cl)
	if err != nil {
		return nil, c.viewerError("session", err)
	}
	if v.contactID == 0 {
		return resp, nil
	}
	if ct, err := c.svc.Contact(ctx, v.contactID); err == nil {
		resp.Contact = &ContactView{Name: ct.Name, Email: ct.Email, Verified: v.verified}
	}
	convs, err := c.conversations(ctx, v, c.listLimit(v))
	if err != nil {
		c.log.Error("widget: session conversations", "err", err)
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly")
	}
	msgs, err := c.history(ctx, v, convs, 0, 300)
	if err != nil {
		c.log.Error("widget: session history", "err", err)
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly")
	}
	byConv := map[string]int{}
	for i := range convs {
		convs[i].Messages = []frame{}
		byConv[convs[i].ID] = i
	}
	// Unanswered rating cards show again on the next visit.
	pending, pendingMsgs, err := c.svc.PendingSurveys(ctx, v.contactID)
	if err != nil {
		c.log.Warn("widget: pending surveys", "err", err)
	}
	for _, m := range msgs {
		if k := slices.Index(pendingMsgs, m.ID); k >= 0 {
			m.Text, m.Survey = pending[k].Question, surveyCard(&pending[k])
		}
		i := byConv[m.Conversation]
		convs[i].Messages = append(convs[i].Messages, m)
	}
	c.queuePositions(ctx, convs)
	c.shown(cl, v, convs)
	if cm, ok := c.svc.(connectors.Campaigner); ok && v.link == nil {
		if resp.Campaigns, err = cm.PendingCampaigns(ctx, v.contactID, lang); err != nil {
			c.log.Warn("widget: pending campaigns", "err", err)
		}
	}
	if len(convs) > 0 && convs[0].Open {
		c.hub.setContact(c.identity(cl), v.contactID, convs[0].TicketID)
	}
	resp.Conversations = convs
	return resp, nil
}

// listLimit is how many conversations a session lists: a verified customer's
// or a page's history is every channel's; a visitor's own chats are few.
func (c *Channel) listLimit(v viewer) int {
	if v.verified || v.link != nil {
		return 20
	}
	return 5
}

// shown records the conversations listed for an unverified visitor, so
// live frames of those tickets reach them.
func (c *Channel) shown(cl *claims, v viewer, convs []conversation) {
	if v.verified || v.link != nil || len(convs) == 0 {
		return
	}
	ids := make([]int64, len(convs))
	for i, cv := range convs {
		ids[i] = cv.TicketID
	}
	c.hub.allow(c.identity(cl), ids...)
}

// viewerError turns a failed viewer lookup into the visitor's answer.
func (c *Channel) viewerError(what string, err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	c.log.Error("widget: "+what+" viewer", "err", err)
	return errf(http.StatusServiceUnavailable, "unavailable", "try again shortly")
}

func (c *Channel) validHash(userID, hash string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(hash))
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(UserHash(string(c.identitySecret), userID))
	return hmac.Equal(got, want)
}

func (c *Channel) publishPage(contactID, ticketID int64, visitor string, p *pageInfo) {
	c.bus.Publish(inbox.Event{Type: inbox.EventVisitorPage, ChannelID: c.ch.ID, ContactID: contactID, TicketID: ticketID,
		Data: map[string]any{"visitor": visitor, "url": p.URL, "title": p.Title, "referrer": p.Referrer}})
}

// handleCampaign records what the visitor did with a campaign message:
// {"id", "action": "seen" | "click" | "dismiss", "seconds_on_page"}.
func (c *Channel) handleCampaign(w http.ResponseWriter, r *http.Request) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	var req struct {
		ID            string `json:"id"`
		Action        string `json:"action"`
		SecondsOnPage int    `json:"seconds_on_page"`
	}
	if e := decodeBody(w, r, 4<<10, &req); e != nil {
		writeErr(w, e)
		return
	}
	if ok, wait := c.eventLimit.Allow(cl.Visitor); !ok {
		writeErr(w, &apiError{status: http.StatusTooManyRequests, code: "rate_limited", msg: "too many requests; slow down", retryAfter: wait})
		return
	}
	cm, ok := c.svc.(connectors.Campaigner)
	if !ok {
		writeErr(w, errf(http.StatusNotFound, "not_found", "no campaigns here"))
		return
	}
	ctx := r.Context()
	v, err := c.viewer(ctx, cl)
	if err != nil {
		writeErr(w, c.viewerError("campaign", err))
		return
	}
	if v.contactID == 0 || v.link != nil {
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such message"))
		return
	}
	err = cm.CampaignAction(ctx, v.contactID, inbox.CampaignActionInput{CardID: req.ID, Action: req.Action, SecondsOnPage: req.SecondsOnPage})
	switch {
	case errors.Is(err, inbox.ErrTooEarly):
		writeErr(w, errf(http.StatusConflict, "too_early", "this message shows after a longer time on the page"))
	case errors.Is(err, inbox.ErrNotFound):
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such message"))
	case errors.Is(err, inbox.ErrInvalid):
		writeErr(w, errf(http.StatusUnprocessableEntity, "invalid", "unknown action"))
	case err != nil:
		c.log.Error("widget: campaign action", "err", err)
		writeErr(w, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly"))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	}
}

// handleHelped records that a help article answered the visitor's
// question (the help tab's "yes"): one self-served visit per visitor,
// article and day.
func (c *Channel) handleHelped(w http.ResponseWriter, r *http.Request) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	var req struct {
		ArticleID int64  `json:"article_id"`
		Lang      string `json:"lang"`
	}
	if e := decodeBody(w, r, 4<<10, &req); e != nil {
		writeErr(w, e)
		return
	}
	if ok, wait := c.eventLimit.Allow(cl.Visitor); !ok {
		writeErr(w, &apiError{status: http.StatusTooManyRequests, code: "rate_limited", msg: "too many answers; slow down", retryAfter: wait})
		return
	}
	sum := sha256.Sum256([]byte(cl.Visitor + "|" + strconv.FormatInt(req.ArticleID, 10) + "|" + c.now().UTC().Format(time.DateOnly)))
	added, err := c.svc.RecordSelfServed(r.Context(), c.ch.ID, hex.EncodeToString(sum[:16]), req.ArticleID, req.Lang)
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such article"))
	case err != nil:
		c.log.Error("widget: self-served visit", "err", err)
		writeErr(w, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly"))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "counted": added})
	}
}

// handleEmail records an address the visitor left so the answer can arrive
// by email. The address is unverified: it is a reply address only.
func (c *Channel) handleEmail(w http.ResponseWriter, r *http.Request) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	var req struct {
		Email string `json:"email"`
	}
	if e := decodeBody(w, r, 4<<10, &req); e != nil {
		writeErr(w, e)
		return
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(req.Email))
	if err != nil || len(addr.Address) > 320 || !strings.Contains(addr.Address, ".") {
		writeErr(w, errf(http.StatusUnprocessableEntity, "invalid", "that does not look like an email address"))
		return
	}
	ctx := r.Context()
	contactID, err := c.contactID(ctx, cl)
	if err != nil {
		writeErr(w, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly"))
		return
	}
	if contactID != 0 {
		if err := c.svc.SetContactEmail(ctx, contactID, addr.Address); err != nil {
			c.log.Error("widget: set contact email", "contact_id", contactID, "err", err)
			writeErr(w, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly"))
			return
		}
	}
	if !cl.EmailVerified {
		cl.Email = strings.ToLower(addr.Address)
	}
	key, err := c.signingKey(ctx)
	if err != nil {
		writeErr(w, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly"))
		return
	}
	tok, _ := sign(key, cl)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "session_token": tok})
}

// postMessage stores one visitor message; it is the same for WebSocket
// frames and POST /messages. A resend of a client id returns the first
// result, so a visitor who reconnects never creates a duplicate.
func (c *Channel) postMessage(ctx context.Context, cl *claims, f *frame) (frame, reach, *apiError) {
	if ok, wait := c.visitorLimit.Allow(cl.Visitor); !ok {
		return frame{}, reach{}, &apiError{status: http.StatusTooManyRequests, code: "rate_limited", msg: "you are sending messages too fast; wait a moment", retryAfter: wait}
	}
	f.ClientID = strings.TrimSpace(f.ClientID)
	f.Text = noNUL(f.Text)
	if f.ClientID == "" || len(f.ClientID) > 64 || strings.ContainsAny(f.ClientID, "/ \t\r\n\x00") {
		return frame{}, reach{}, errf(http.StatusUnprocessableEntity, "invalid", "client_id is required (at most 64 characters, no slash or spaces)")
	}
	if len(f.Text) > MaxTextBytes {
		return frame{}, reach{}, errf(http.StatusRequestEntityTooLarge, "too_large", "message is longer than %d bytes", MaxTextBytes)
	}
	if len(f.Refs) > MaxAttachmentsPerMessage {
		return frame{}, reach{}, errf(http.StatusUnprocessableEntity, "invalid", "at most %d files per message", MaxAttachmentsPerMessage)
	}
	if strings.TrimSpace(f.Text) == "" && len(f.Refs) == 0 {
		return frame{}, reach{}, errf(http.StatusUnprocessableEntity, "invalid", "message is empty")
	}
	if c.svc == nil {
		return frame{}, reach{}, errf(http.StatusServiceUnavailable, "unavailable", "channel is starting")
	}
	atts, sums, e := c.resolveUploads(ctx, cl, f.Refs)
	if e != nil {
		return frame{}, reach{}, e
	}
	v, err := c.viewer(ctx, cl)
	if err != nil {
		return frame{}, reach{}, c.viewerError("message", err)
	}
	target, e := c.target(ctx, cl, v, f.Conversation)
	if e != nil {
		return frame{}, reach{}, e
	}
	meta := map[string]any{"visitor": cl.Visitor}
	in := &inbox.Inbound{ChannelID: c.ch.ID, ExternalID: cl.Visitor + "/" + f.ClientID,
		Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: c.identity(cl), Verified: cl.UserID != "", Name: cl.Name}}
	var key string
	if target != 0 {
		// Continuing a conversation of another channel (or a page's): the
		// inbox files it there when the sender is that ticket's contact.
		in.FallbackNumber = target
		meta["conversation"] = conversationID(target)
	} else {
		conv, err := c.currentConversation(ctx, cl, v.contactID)
		if err != nil {
			c.log.Error("widget: conversation", "err", err)
			return frame{}, reach{}, errf(http.StatusServiceUnavailable, "unavailable", "could not store the message; it will be resent")
		}
		key = ThreadKey(c.ch.PublicKey, conv)
		in.ThreadKeys, in.OwnKeys = []string{key}, []string{key}
		meta["conversation"] = conv
	}
	if cl.Page != "" {
		in.Contact = inbox.ContactRef{Kind: inbox.IdentityLink, ID: cl.Page, Verified: true}
		meta["via"] = "page"
	}
	if p := f.Page.clean(); p != nil && cl.Page == "" {
		meta["page_url"], meta["page_title"], meta["referrer"] = p.URL, p.Title, p.Referrer
	}
	f.Locale, f.TZ = plaintext.Clip(noNUL(f.Locale), 35), plaintext.Clip(noNUL(f.TZ), 64)
	if f.Locale != "" {
		meta["locale"] = f.Locale
	}
	if f.TZ != "" {
		meta["time_zone"] = f.TZ
	}
	if f.Lang == "ko" || f.Lang == "en" {
		meta["lang"] = f.Lang // the language the widget shows (the bot answers in it)
	}
	if a := f.Article; a != nil && a.ID > 0 {
		// The help article the visitor read before asking (help tab: "no").
		meta["kb_article"] = map[string]any{"id": a.ID, "title": plaintext.Clip(strings.TrimSpace(noNUL(a.Title)), 300)}
	}
	in.Contact.Locale, in.Text, in.Attachments, in.Meta = f.Locale, f.Text, atts, meta
	if cl.EmailVerified {
		in.Contact.Email, in.Contact.EmailVerified = cl.Email, true
	}
	res, err := c.svc.Ingest(ctx, in)
	if err != nil {
		return frame{}, reach{}, c.ingestError(cl, err)
	}
	if err := c.svc.AttachedUploads(ctx, c.ch.ID, c.identity(cl), sums); err != nil {
		c.log.Warn("widget: release uploads", "visitor", cl.Visitor, "err", err)
	}
	c.hub.setContact(c.identity(cl), res.ContactID, res.TicketID)
	c.hub.allow(c.identity(cl), res.TicketID)
	c.ticketMu.Lock()
	c.ticketContact[res.TicketID] = res.ContactID
	c.ticketMu.Unlock()
	if res.NewTicket {
		// The ticket.created event may have passed before this visitor was
		// allowed its ticket: tell them their place now.
		if p, err := c.svc.TicketQueuePlace(ctx, res.TicketID); err == nil && p.Position > 0 {
			c.sendQueuePlace(ctx, res.TicketID, p.Position, p.Wait)
		}
	}
	if !cl.EmailVerified && cl.Email != "" && res.NewTicket {
		if err := c.svc.SetContactEmail(ctx, res.ContactID, cl.Email); err != nil {
			c.log.Warn("widget: set contact email", "contact_id", res.ContactID, "err", err)
		}
	}
	if p := f.Page.clean(); p != nil && p.URL != "" && cl.Page == "" {
		c.publishPage(res.ContactID, res.TicketID, cl.Visitor, p)
	}
	at := c.now().UTC()
	out := frame{Type: "message", ID: res.MessageID, ClientID: f.ClientID, Conversation: conversationID(res.TicketID + inbox.TicketNumberBase),
		From: "visitor", Channel: Kind, Text: f.Text, At: &at}
	if len(atts) > 0 || res.Duplicate {
		if stored, err := c.svc.MessageAttachments(ctx, res.MessageID); err == nil {
			for _, a := range stored {
				out.Attachments = append(out.Attachments, attachmentView(a))
			}
		}
	}
	r := reach{ticketID: res.TicketID}
	if key != "" {
		r.keys = []string{key}
	}
	return out, r, nil
}

// target returns the number of the conversation a message continues when
// it is not the visitor's current chat: a page's ticket, or the one a
// verified customer named (conversation_id). 0 means the current chat. A
// conversation that is over is refused (conversation_closed): the script
// offers a new one.
func (c *Channel) target(ctx context.Context, cl *claims, v viewer, conv string) (int64, *apiError) {
	var ticketID int64
	switch {
	case v.link != nil:
		ticketID = v.link.TicketID
	case conv != "" && v.verified:
		n, err := strconv.ParseInt(conv, 10, 64)
		if err != nil || n <= inbox.TicketNumberBase {
			return 0, errf(http.StatusUnprocessableEntity, "invalid", "conversation_id is not a conversation")
		}
		ticketID = n - inbox.TicketNumberBase
	default:
		return 0, nil
	}
	cc, err := c.svc.CanContinue(ctx, v.contactID, ticketID)
	switch {
	case err == nil:
		return cc.Number, nil
	case errors.Is(err, inbox.ErrNotContinuable):
		return 0, errf(http.StatusConflict, "conversation_closed", "this conversation is closed; start a new one")
	case errors.Is(err, connectors.ErrNotFound):
		return 0, errf(http.StatusNotFound, "not_found", "no such conversation")
	}
	c.log.Error("widget: conversation check", "err", err)
	return 0, errf(http.StatusServiceUnavailable, "unavailable", "could not store the message; it will be resent")
}

// ingestError turns an ingest failure into the visitor's answer. A message
// the inbox refuses (inbox.ErrInvalid) is refused for good with a 422 that
// says why: the script shows it and does not resend it. Only other errors,
// which may pass (a database restarting), ask for a resend.
func (c *Channel) ingestError(cl *claims, err error) *apiError {
	if errors.Is(err, inbox.ErrInvalid) {
		c.log.Info("widget: message refused", "visitor", cl.Visitor, "err", err)
		reason := err.Error()
		if _, r, ok := strings.Cut(reason, inbox.ErrInvalid.Error()+": "); ok {
			reason = r
		}
		return errf(http.StatusUnprocessableEntity, "invalid", "this message cannot be sent: %s", reason)
	}
	c.log.Error("widget: ingest", "visitor", cl.Visitor, "err", err)
	return errf(http.StatusServiceUnavailable, "unavailable", "could not store the message; it will be resent")
}

// noNUL drops NUL characters: no text field of a visitor may carry them (a
// PostgreSQL text column refuses them, and no visitor means them).
func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }

// handleMessages is the HTTP fallback for a message frame.
func (c *Channel) handleMessages(w http.ResponseWriter, r *http.Request) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	var f frame
	if e := decodeBody(w, r, MaxTextBytes+8<<10, &f); e != nil {
		writeErr(w, e)
		return
	}
	switch f.Type {
	case "", "message":
	case "typing", "read", "page":
		c.handleEphemeral(r.Context(), cl, &f)
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	default:
		writeErr(w, errf(http.StatusBadRequest, "bad_frame", "unknown type %q", f.Type))
		return
	}
	out, rc, e := c.postMessage(r.Context(), cl, &f)
	if e != nil {
		writeErr(w, e)
		return
	}
	contactID, _ := c.hub.info(c.identity(cl))
	c.hub.echo(r.Context(), contactID, nil, out, rc)
	writeJSON(w, http.StatusOK, out)
}

// handleEphemeral publishes typing, read and page frames on the bus.
// Beyond the per-visitor event limit they are dropped: they are hints, and
// dropping them loses nothing.
// answerSurvey handles a client "survey" frame: the visitor's rating (and
// comment, in Text) for a card in their chat. It answers with a
// "survey_thanks" frame, or an error frame.
func (c *Channel) answerSurvey(ctx context.Context, cl *claims, f *frame) frame {
	if f.Survey == nil || f.Survey.ID == "" {
		return frame{Type: "error", Code: "bad_frame", Message: "a survey frame needs survey.id and survey.score"}
	}
	if ok, _ := c.eventLimit.Allow(c.identity(cl)); !ok {
		return frame{Type: "error", Code: "rate_limited", Message: "too many answers", RetryAfter: 5}
	}
	v, err := c.viewer(ctx, cl)
	if err != nil || v.contactID == 0 {
		return frame{Type: "error", Code: "not_found", Message: "no such survey"}
	}
	a, err := c.svc.AnswerSurveyAs(ctx, v.contactID, f.Survey.ID, f.Survey.Score, f.Text)
	var inv *inbox.InvalidError
	switch {
	case errors.As(err, &inv):
		return frame{Type: "error", Code: inv.Code, Message: inv.Reason}
	case errors.Is(err, inbox.ErrSurveyExpired):
		return frame{Type: "error", Code: "survey_closed", Message: "this survey has closed"}
	case errors.Is(err, inbox.ErrNotFound):
		return frame{Type: "error", Code: "not_found", Message: "no such survey"}
	case err != nil:
		c.log.Error("widget: answer survey", "err", err)
		return frame{Type: "error", Code: "unavailable", Message: "try again shortly"}
	}
	score := 0
	if a.Survey.Score != nil {
		score = *a.Survey.Score
	}
	_, _, thanks := a.Texts(a.Locale)
	// The card the widget shows is the widget's copy when the survey went
	// by email too.
	id := a.Survey.MessageID
	if a.Survey.WidgetMessageID != nil {
		id = a.Survey.WidgetMessageID
	}
	return frame{Type: "survey_thanks", ID: derefID(id), Survey: &surveyJSON{ID: a.Survey.PublicID, Thanks: thanks, Score: score, Done: true}}
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func (c *Channel) handleEphemeral(ctx context.Context, cl *claims, f *frame) {
	c.hub.touch(c.identity(cl))
	if ok, _ := c.eventLimit.Allow(c.identity(cl)); !ok {
		return
	}
	if id, _ := c.hub.info(c.identity(cl)); id == 0 {
		if _, err := c.contactID(ctx, cl); err != nil {
			c.log.Warn("widget: contact lookup", "err", err)
		}
	}
	contactID, ticketID := c.hub.info(c.identity(cl))
	if t := c.frameTicket(ctx, cl, contactID, f.Conversation); t != 0 {
		ticketID = t
	}
	switch f.Type {
	case "typing":
		typing := f.Typing == nil || *f.Typing
		if contactID != 0 {
			c.bus.Publish(inbox.Event{Type: inbox.EventContactTyping, ChannelID: c.ch.ID, ContactID: contactID, TicketID: ticketID,
				Data: map[string]any{"typing": typing, "visitor": cl.Visitor}})
		}
	case "read":
		if contactID != 0 && f.UpTo > 0 {
			c.bus.Publish(inbox.Event{Type: EventVisitorRead, ChannelID: c.ch.ID, ContactID: contactID, TicketID: ticketID,
				Data: map[string]any{"up_to": f.UpTo, "visitor": cl.Visitor}})
		}
	case "page":
		if p := f.Page.clean(); p != nil && p.URL != "" {
			c.publishPage(contactID, ticketID, cl.Visitor, p)
		}
	}
}

// frameTicket returns the ticket a typing or read frame's conversation_id
// names when the session may see it (0 otherwise, or without one). A page
// is always on its own ticket.
func (c *Channel) frameTicket(ctx context.Context, cl *claims, contactID int64, conv string) int64 {
	if cl.Page != "" {
		_, t := c.hub.info(c.identity(cl))
		return t
	}
	n, err := strconv.ParseInt(conv, 10, 64)
	if err != nil || n <= inbox.TicketNumberBase || contactID == 0 {
		return 0
	}
	id := n - inbox.TicketNumberBase
	if cl.UserID != "" && c.ticketContactID(ctx, id) == contactID {
		return id
	}
	if c.hub.allowed(c.identity(cl), id) {
		return id
	}
	return 0
}

// handlePoll is the long-poll fallback: it answers at once with messages
// newer than ?since=, or waits up to ?wait= seconds (max 25) for one.
func (c *Channel) handlePoll(w http.ResponseWriter, r *http.Request) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	wait := 25
	if s := r.URL.Query().Get("wait"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < wait {
			wait = n
		}
	}
	ctx := r.Context()
	wake, n := c.hub.beginPoll(c.identity(cl))
	defer c.hub.endPoll(c.identity(cl))
	if n > maxPollsPerVisitor {
		writeErr(w, &apiError{status: http.StatusTooManyRequests, code: "rate_limited", msg: "too many open polls for this visitor", retryAfter: 5 * time.Second})
		return
	}
	deadline := time.NewTimer(time.Duration(wait) * time.Second)
	defer deadline.Stop()
	for {
		msgs, err := c.messagesSince(ctx, cl, since)
		if err != nil {
			writeErr(w, c.viewerError("poll", err))
			return
		}
		if len(msgs) > 0 || wait == 0 {
			writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			writeJSON(w, http.StatusOK, map[string]any{"messages": []frame{}})
			return
		case <-wake:
			wake, _ = c.hub.beginPoll(c.identity(cl))
			c.hub.endPoll(c.identity(cl))
		}
	}
}

// messagesSince returns the messages of the session's conversations newer
// than since (a reconnect's catch-up, a poll).
func (c *Channel) messagesSince(ctx context.Context, cl *claims, since int64) ([]frame, error) {
	v, err := c.viewer(ctx, cl)
	if err != nil || v.contactID == 0 {
		return []frame{}, err
	}
	convs, err := c.conversations(ctx, v, c.listLimit(v))
	if err != nil {
		return nil, err
	}
	c.shown(cl, v, convs)
	msgs, err := c.history(ctx, v, convs, since, 200)
	if msgs == nil {
		msgs = []frame{}
	}
	return msgs, err
}

// handleConversation serves GET /conversations/{number}: one conversation
// the session may see, with its messages (the newest 500).
func (c *Channel) handleConversation(w http.ResponseWriter, r *http.Request, num string) {
	cl, e := c.auth(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	ctx := r.Context()
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= inbox.TicketNumberBase {
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such conversation"))
		return
	}
	v, err := c.viewer(ctx, cl)
	if err != nil {
		writeErr(w, c.viewerError("conversation", err))
		return
	}
	one := v
	if one.scope.TicketID != 0 && one.scope.TicketID != n-inbox.TicketNumberBase {
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such conversation"))
		return
	}
	one.scope.TicketID = n - inbox.TicketNumberBase
	convs, err := c.conversations(ctx, one, 1)
	if err == nil && len(convs) == 1 {
		convs[0].Messages, err = c.history(ctx, v, convs, 0, 500)
	}
	if err != nil {
		c.log.Error("widget: conversation", "err", err)
		writeErr(w, errf(http.StatusServiceUnavailable, "unavailable", "try again shortly"))
		return
	}
	if len(convs) == 0 {
		writeErr(w, errf(http.StatusNotFound, "not_found", "no such conversation"))
		return
	}
	c.shown(cl, v, convs)
	if convs[0].Messages == nil {
		convs[0].Messages = []frame{}
	}
	writeJSON(w, http.StatusOK, convs[0])
}

// readAll reads at most n bytes of r; it fails when there are more.
func readAll(r io.Reader, n int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, n+1))
	if err != nil {
		return nil, false, err
	}
	return b, int64(len(b)) <= n, nil
}
