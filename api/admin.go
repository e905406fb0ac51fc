package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
)

// Length limits of names, as the columns hold them (characters).
const (
	maxName  = 255
	maxEmail = 320
)

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errf(http.StatusNotFound, "not_found", "not found")
	}
	return id, nil
}

// --- auth ---

// LoginBody is the body of POST /auth/login.
type LoginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b LoginBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	var f web.Fields
	email := f.Line("email", b.Email, maxEmail)
	f.Require("email", email)
	f.Require("password", b.Password)
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	tok, ag, err := a.Auth.Login(r.Context(), email, b.Password, web.ClientIP(r))
	if err != nil {
		a.Audit.Record(r, audit.Entry{Action: audit.ActionLoginFailed, ActorEmail: email, Changes: map[string]any{"reason": web.FromError(err).Code}})
		return 0, nil, err
	}
	a.Audit.Record(r, audit.Entry{Action: audit.ActionLogin, ActorID: ag.ID, ActorEmail: ag.Email, TargetType: "agents", TargetID: ag.ID})
	auth.SetCookie(w, r, tok)
	return http.StatusOK, map[string]any{"token": tok, "agent": agentJSON(ag), "csrf_token": auth.CSRFToken(tok)}, nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if err := a.Auth.Logout(r.Context(), principal(r).Token); err != nil {
		return 0, nil, err
	}
	auth.ClearCookie(w)
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) (int, any, error) {
	p := principal(r)
	return http.StatusOK, map[string]any{"agent": agentJSON(p.Agent), "csrf_token": auth.CSRFToken(p.Token), "version": a.Version}, nil
}

// PasswordBody changes the signed-in agent's password. Other sessions end;
// revoke_tokens ends the agent's API tokens too.
type PasswordBody struct {
	Current      string `json:"current"`
	New          string `json:"new"`
	RevokeTokens bool   `json:"revoke_tokens"`
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b PasswordBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	p := principal(r)
	err := a.Auth.ChangePassword(r.Context(), p.Agent, auth.PasswordChange{Current: b.Current, New: b.New, Client: web.ClientIP(r),
		KeepToken: p.Token, RevokeTokens: b.RevokeTokens})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// --- contacts ---

func (a *API) listContacts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := r.URL.Query().Get("q")
	if len(q) > 500 {
		return 0, nil, errf(http.StatusBadRequest, "bad_query", "q is too long")
	}
	cs, err := a.Store.SearchContacts(r.Context(), q, 100, viewer(r))
	if err != nil {
		return 0, nil, err
	}
	items := make([]*ContactJSON, 0, len(cs))
	for i := range cs {
		items = append(items, contactJSON(&cs[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) getContact(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.checkContactVisible(r, id); err != nil {
		return 0, nil, err
	}
	c, err := a.Inbox.Contact(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	page, err := a.Store.ListTickets(r.Context(), store.TicketFilter{Status: "all", ContactID: id, Limit: 50, Viewer: viewer(r)})
	if err != nil {
		return 0, nil, err
	}
	agents, chans, teams, err := a.ticketLookups(r)
	if err != nil {
		return 0, nil, err
	}
	tickets := make([]TicketJSON, 0, len(page.Items))
	for i := range page.Items {
		tickets = append(tickets, a.ticketJSON(r, &page.Items[i], agents, chans, teams))
	}
	return http.StatusOK, map[string]any{"contact": contactJSON(c), "tickets": tickets}, nil
}

func (a *API) mergeContact(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b MergeBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	from, err := strconv.ParseInt(b.From, 10, 64)
	if err != nil {
		return 0, nil, errf(http.StatusBadRequest, "invalid", "from must be a contact id").Because("bad_contact")
	}
	if from == id {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "cannot merge a contact into itself").Because("merge_self")
	}
	for _, c := range []int64{id, from} {
		if err := a.checkContactVisible(r, c); err != nil {
			return 0, nil, err
		}
	}
	if err := a.Inbox.MergeContacts(r.Context(), id, from); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

func (a *API) unmergeContact(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Inbox.UnmergeContact(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// --- channels ---

func (a *API) channelJSON(ch *store.Channel) ChannelJSON {
	out := ChannelJSON{ID: ch.ID, Kind: ch.Kind, Name: ch.Name, PublicKey: ch.PublicKey, Settings: ch.Settings, Enabled: ch.Enabled,
		Status: ch.Status, LastError: ch.LastError, CreatedAt: ch.CreatedAt, SecretKeys: []string{}}
	if out.Settings == nil {
		out.Settings = map[string]any{}
	}
	for k := range ch.Secrets {
		out.SecretKeys = append(out.SecretKeys, k)
	}
	sort.Strings(out.SecretKeys)
	if a.Runtime != nil {
		if state, lastErr, running := a.Runtime.Status(ch.ID); running {
			out.Status, out.LastError = state, lastErr
		}
	}
	out.InboundURL = inboundPath(ch)
	out.Endpoints = a.channelEndpoints(ch)
	return out
}

func (a *API) listChannels(w http.ResponseWriter, r *http.Request) (int, any, error) {
	chans, err := a.Store.ListChannels(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := make([]ChannelJSON, 0, len(chans))
	for i := range chans {
		items = append(items, a.channelJSON(&chans[i]))
	}
	return http.StatusOK, map[string]any{"items": items, "kinds": connectors.Kinds()}, nil
}

// ChannelBody creates or changes a channel.
type ChannelBody struct {
	Kind     string         `json:"kind"`
	Name     *string        `json:"name"`
	Settings map[string]any `json:"settings"`
	Secrets  map[string]any `json:"secrets"`
	Enabled  *bool          `json:"enabled"`
}

func (a *API) createChannel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b ChannelBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if _, ok := connectors.Lookup(b.Kind); !ok {
		kinds := strings.Join(connectors.Kinds(), ", ")
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "kind must be one of %s", kinds).Because("bad_kind").With("kinds", kinds)
	}
	var f web.Fields
	name := ""
	if b.Name != nil {
		name = f.Line("name", *b.Name, maxName)
	}
	f.Require("name", name)
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	if err := checkChannelSecrets(b.Secrets); err != nil {
		return 0, nil, err
	}
	tok, hash := auth.NewToken()
	ch := store.Channel{Kind: b.Kind, Name: name, TokenHash: hash, Settings: b.Settings, Secrets: b.Secrets, Enabled: b.Enabled == nil || *b.Enabled}
	if ch.Secrets == nil {
		ch.Secrets = store.JSONMap{}
	}
	generated := generateSecrets(ch.Kind, ch.Secrets)
	if err := a.Inbox.CreateChannel(r.Context(), &ch, a.checkChannel); err != nil {
		return 0, nil, err
	}
	a.reload(r.Context())
	out := a.channelJSON(&ch)
	out.Token = tok
	resp := map[string]any{"channel": out, "token": tok}
	if generated != nil {
		// Shown once; each also at the top level (webhook_secret), as before.
		resp["generated_secrets"] = generated
		for k, v := range generated {
			resp[k] = v
		}
	}
	return http.StatusCreated, resp, nil
}

// checkChannel builds the connector once (without starting it) so a bad
// configuration is refused with the connector's own message.
func (a *API) checkChannel(ctx context.Context, ch store.Channel) error {
	if a.Runtime == nil {
		return nil
	}
	if err := a.Runtime.Check(ctx, ch); err != nil {
		e := errf(http.StatusUnprocessableEntity, "invalid_settings", "%s", err.Error()).With("reason", err.Error())
		if key := settingNamed(ch.Kind, err.Error()); key != "" {
			// The UI names the field in the agent's language and shows the
			// message next to it, instead of the connector's English text.
			e = e.Because("bad_setting").With("setting", key)
		}
		return e
	}
	return nil
}

// settingNamed finds the setting a connector's validation message is about:
// messages read "kind: key: what is wrong" or "kind: key …", and key must
// be one of the kind's described fields. "" when none is named.
func settingNamed(kind, msg string) string {
	d, ok := connectors.Describe(kind)
	if !ok {
		return ""
	}
	rest, _ := strings.CutPrefix(msg, kind+": ")
	end := strings.IndexAny(rest, ": ")
	if end <= 0 {
		return ""
	}
	for _, f := range d.Fields {
		if f.Key == rest[:end] {
			return f.Key
		}
	}
	return ""
}

func (a *API) reload(ctx context.Context) {
	if a.Runtime == nil {
		return
	}
	if err := a.Runtime.Reload(context.WithoutCancel(ctx)); err != nil {
		a.log.Error("reload channels", "err", err)
	}
	// Other instances (relayed over PostgreSQL) reload on this event.
	a.Inbox.Bus().Publish(inbox.Event{Type: inbox.EventChannelsChanged})
}

func (a *API) getChannel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	ch, err := a.Store.GetChannel(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.channelJSON(ch), nil
}

func (a *API) patchChannel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b ChannelBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if err := checkChannelSecrets(b.Secrets); err != nil {
		return 0, nil, err
	}
	c := inbox.ChannelChange{Kind: b.Kind, Settings: b.Settings, Secrets: b.Secrets, Enabled: b.Enabled}
	if b.Name != nil {
		var f web.Fields
		name := f.Line("name", *b.Name, maxName)
		if err := f.Err(); err != nil {
			return 0, nil, err
		}
		c.Name = &name
	}
	ch, err := a.Inbox.UpdateChannel(r.Context(), id, c, a.checkChannel)
	if err != nil {
		return 0, nil, err
	}
	a.reload(r.Context())
	return http.StatusOK, a.channelJSON(ch), nil
}

func (a *API) deleteChannel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	disabled, err := a.Inbox.RemoveChannel(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	a.reload(r.Context())
	if disabled {
		return http.StatusOK, map[string]any{"ok": true, "disabled": true}, nil
	}
	return http.StatusOK, map[string]any{"ok": true}, nil
}

func (a *API) rotateChannelToken(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	tok, hash := auth.NewToken()
	if err := a.Store.SetChannelToken(r.Context(), id, hash); err != nil {
		return 0, nil, err
	}
	ch, err := a.Store.GetChannel(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	a.reload(r.Context())
	out := a.channelJSON(ch)
	out.Token = tok
	return http.StatusOK, out, nil
}

func (a *API) channelInbound(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if a.Runtime == nil || !a.Runtime.ServeChannel(w, r, id, "/inbound") {
		return 0, nil, errf(http.StatusNotFound, "not_found", "no running api channel %d", id)
	}
	return 0, nil, nil
}

// --- agents ---

func (a *API) listAgents(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ags, err := a.Store.ListAgents(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := make([]*AgentJSON, 0, len(ags))
	for i := range ags {
		items = append(items, agentJSON(&ags[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) getAgent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	ag, err := a.Store.GetAgent(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, agentJSON(ag), nil
}

// AgentBody creates or changes an agent. A password in a change is an
// admin's reset: it ends all the agent's sessions and API tokens.
type AgentBody struct {
	Email    string  `json:"email"`
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Password string  `json:"password"`
	Active   *bool   `json:"active"`
	// ChatCap is the agent's concurrent-chat cap (PATCH only).
	ChatCap *int `json:"chat_cap"`
}

func (a *API) createAgent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b AgentBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	var f web.Fields
	email := f.Line("email", b.Email, maxEmail)
	name := ""
	if b.Name != nil {
		name = f.Line("name", *b.Name, maxName)
	}
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	role := store.RoleAgent
	if b.Role != nil {
		role = *b.Role
	}
	ag, err := a.Auth.CreateAgent(r.Context(), email, name, role, b.Password)
	if errors.Is(err, store.ErrConflict) {
		return 0, nil, errf(http.StatusConflict, "conflict", "an agent with this email exists").Because("agent_exists")
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, agentJSON(ag), nil
}

func (a *API) patchAgent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var b AgentBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	c := auth.AgentChange{Role: b.Role, Active: b.Active}
	if b.Name != nil {
		var f web.Fields
		name := f.Line("name", *b.Name, maxName)
		if err := f.Err(); err != nil {
			return 0, nil, err
		}
		c.Name = &name
	}
	if b.Password != "" {
		c.Password = &b.Password
	}
	ag, err := a.Auth.UpdateAgent(r.Context(), principal(r).Agent.ID, id, c)
	if err != nil {
		return 0, nil, err
	}
	if b.ChatCap != nil {
		if ag, err = a.Inbox.SetChatCap(r.Context(), id, *b.ChatCap); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, agentJSON(ag), nil
}

// --- tokens ---

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ss, err := a.Store.ListTokens(r.Context(), principal(r).Agent.ID)
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for _, s := range ss {
		items = append(items, map[string]any{"id": s.ID, "name": s.Name, "created_at": s.CreatedAt, "last_used": s.LastUsed})
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

// TokenBody names a new API token.
type TokenBody struct {
	Name string `json:"name"`
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b TokenBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	var f web.Fields
	name := f.Line("name", b.Name, maxName)
	f.Require("name", name)
	if err := f.Err(); err != nil {
		return 0, nil, err
	}
	tok, err := a.Auth.CreateSession(r.Context(), principal(r).Agent.ID, store.SessionToken, name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"name": name, "token": tok}, nil
}

func (a *API) deleteToken(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Store.DeleteToken(r.Context(), principal(r).Agent.ID, id); err != nil {
		return 0, nil, err
	}
	a.Auth.Revoked(principal(r).Agent.ID) // a stream opened with the token ends
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// --- saved replies ---

func (a *API) listSavedReplies(w http.ResponseWriter, r *http.Request) (int, any, error) {
	rs, err := a.Store.ListSavedReplies(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for _, s := range rs {
		items = append(items, map[string]any{"id": s.ID, "name": s.Name, "body": s.Body})
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

// SavedReplyBody creates a saved reply; the body may use {{contact.name}} and {{agent.name}}.
type SavedReplyBody struct {
	Name string `json:"name"`
	Body string `json:"body"`
}

// savedReplyBody reads and checks the body of a saved-reply create or edit.
func savedReplyBody(w http.ResponseWriter, r *http.Request) (name, body string, err error) {
	var b SavedReplyBody
	if err := decode(w, r, &b); err != nil {
		return "", "", err
	}
	var f web.Fields
	name = f.Line("name", b.Name, maxName)
	body = f.Text("body", b.Body, inbox.MaxTextBytes)
	f.Require("name", name)
	f.Require("body", strings.TrimSpace(body))
	return name, body, f.Err()
}

func (a *API) createSavedReply(w http.ResponseWriter, r *http.Request) (int, any, error) {
	name, body, err := savedReplyBody(w, r)
	if err != nil {
		return 0, nil, err
	}
	sr := store.SavedReply{Name: name, Body: body}
	if err := a.Store.CreateSavedReply(r.Context(), &sr); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"id": sr.ID, "name": sr.Name, "body": sr.Body}, nil
}

func (a *API) deleteSavedReply(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.Store.DeleteSavedReply(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// --- files ---

// safeInline lists content types a browser may show inline; everything else
// is downloaded, so a customer's HTML or SVG file never runs in our origin.
var safeInline = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "application/pdf": true, "text/plain": true}

func (a *API) attachment(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	at, err := a.Store.GetAttachment(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if viewer(r) != 0 {
		m, err := a.Inbox.Message(r.Context(), at.MessageID)
		if err != nil {
			return 0, nil, err
		}
		if err := a.checkVisible(r, m.TicketID); err != nil {
			return 0, nil, err
		}
	}
	rc, err := a.Store.OpenBlob(at.SHA256)
	if err != nil {
		return 0, nil, err
	}
	defer rc.Close()
	ct, _, _ := mime.ParseMediaType(at.ContentType)
	disp := "attachment"
	if safeInline[ct] && r.URL.Query().Get("download") == "" {
		disp = "inline"
	} else {
		ct = "application/octet-stream"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": at.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("Content-Length", strconv.FormatInt(at.Size, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		a.log.Warn("send attachment", "attachment_id", at.ID, "err", err)
	}
	return 0, nil, nil
}

func (a *API) listQuarantine(w http.ResponseWriter, r *http.Request) (int, any, error) {
	qs, err := a.Store.ListQuarantine(r.Context(), 200)
	if err != nil {
		return 0, nil, err
	}
	items := []map[string]any{}
	for _, q := range qs {
		items = append(items, map[string]any{"id": q.ID, "channel_id": q.ChannelID, "external_id": q.ExternalID, "reason": q.Reason,
			"size": q.Size, "resolved": q.Resolved, "created_at": q.CreatedAt, "raw_url": fmt.Sprintf("/api/v1/quarantine/%d/raw", q.ID)})
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func (a *API) quarantineRaw(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	q, err := a.Store.GetQuarantine(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"quarantine-%d.eml\"", q.ID))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(q.Raw); err != nil {
		a.log.Warn("send quarantined item", "quarantine_id", q.ID, "err", err)
	}
	return 0, nil, nil
}

func (a *API) retryQuarantine(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	err = a.Inbox.RetryQuarantine(r.Context(), id, a.reimport)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// reimport takes quarantined input back through its running channel. A
// channel that cannot, or input it refuses again, is the admin's to see; the
// cause of any other failure goes to the log only.
func (a *API) reimport(ctx context.Context, channelID int64, raw []byte, externalID string) error {
	if a.Runtime == nil {
		return errf(http.StatusUnprocessableEntity, "cannot_retry", "this channel is not running or cannot import quarantined input again")
	}
	err := a.Runtime.Reprocess(ctx, channelID, raw, externalID)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, connectors.ErrCannotReprocess):
		return errf(http.StatusUnprocessableEntity, "cannot_retry", "this channel is not running or cannot import quarantined input again")
	case errors.Is(err, inbox.ErrInvalid):
		return err
	default:
		e := errf(http.StatusUnprocessableEntity, "cannot_retry", "the channel could not import it again; the reason is in the server log").Because("retry_failed")
		e.Err = err
		a.log.Warn("retry quarantined item", "channel_id", channelID, "err", err)
		return e
	}
}
