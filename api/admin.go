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

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
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

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndex(host, ":"); i > 0 {
		host = host[:i]
	}
	return host
}

func (a *API) login(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b LoginBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if b.Email == "" || b.Password == "" {
		return 0, nil, errf(http.StatusBadRequest, "invalid", "email and password are required")
	}
	tok, ag, err := a.Auth.Login(r.Context(), b.Email, b.Password, clientIP(r))
	if err != nil {
		return 0, nil, err
	}
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

// PasswordBody changes the signed-in agent's password.
type PasswordBody struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b PasswordBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	p := principal(r)
	if !auth.CheckPassword(p.Agent.PasswordHash, b.Current) {
		return 0, nil, errf(http.StatusForbidden, "bad_credentials", "current password is wrong")
	}
	if err := a.Auth.SetPassword(r.Context(), p.Agent.ID, b.New, p.Token); err != nil {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "%s", strings.TrimPrefix(err.Error(), "auth: "))
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// --- contacts ---

func (a *API) listContacts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	db := a.Store.DB.WithContext(r.Context()).Model(&store.Contact{}).Where("merged_into IS NULL")
	if q != "" {
		like := "%" + strings.ToLower(q) + "%"
		db = db.Where("LOWER(name) LIKE ? OR LOWER(email) LIKE ? OR id IN (SELECT contact_id FROM identities WHERE LOWER(value) LIKE ?)", like, like, like)
	}
	var cs []store.Contact
	if err := db.Preload("Identities").Order("id DESC").Limit(100).Find(&cs).Error; err != nil {
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
	c, err := a.Inbox.Contact(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	page, err := a.Store.ListTickets(r.Context(), store.TicketFilter{Status: "all", ContactID: id, Limit: 50})
	if err != nil {
		return 0, nil, err
	}
	agents, chans, err := a.lookups(r)
	if err != nil {
		return 0, nil, err
	}
	tickets := make([]TicketJSON, 0, len(page.Items))
	for i := range page.Items {
		tickets = append(tickets, a.ticketJSON(r, &page.Items[i], agents, chans))
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
		return 0, nil, errf(http.StatusBadRequest, "invalid", "from must be a contact id")
	}
	if err := a.Inbox.MergeContacts(r.Context(), id, from); err != nil {
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
	if ch.Kind == "api" {
		out.InboundURL = fmt.Sprintf("/api/v1/channels/%d/inbound", ch.ID)
	}
	return out
}

func (a *API) listChannels(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var chans []store.Channel
	if err := a.Store.DB.WithContext(r.Context()).Order("id").Find(&chans).Error; err != nil {
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
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "kind must be one of %s", strings.Join(connectors.Kinds(), ", "))
	}
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "name is required")
	}
	tok, hash := auth.NewToken()
	ch := store.Channel{Kind: b.Kind, Name: strings.TrimSpace(*b.Name), PublicKey: inbox.NewPublicID(), TokenHash: hash,
		Settings: b.Settings, Secrets: b.Secrets, Enabled: b.Enabled == nil || *b.Enabled}
	if ch.Settings == nil {
		ch.Settings = store.JSONMap{}
	}
	if ch.Secrets == nil {
		ch.Secrets = store.JSONMap{}
	}
	if _, ok := ch.Secrets["webhook_secret"]; !ok && ch.Kind == "api" {
		sec, _ := auth.NewToken()
		ch.Secrets["webhook_secret"] = sec
	}
	if err := a.validateChannel(r.Context(), ch); err != nil {
		return 0, nil, err
	}
	if err := a.Store.DB.WithContext(r.Context()).Create(&ch).Error; err != nil {
		return 0, nil, err
	}
	a.reload(r.Context())
	out := a.channelJSON(&ch)
	out.Token = tok
	resp := map[string]any{"channel": out, "token": tok}
	if s, ok := ch.Secrets["webhook_secret"].(string); ok && ch.Kind == "api" {
		resp["webhook_secret"] = s
	}
	return http.StatusCreated, resp, nil
}

// validateChannel builds the connector once (without starting it) so a bad
// configuration is refused with the connector's own message.
func (a *API) validateChannel(ctx context.Context, ch store.Channel) error {
	if a.Runtime == nil {
		return nil
	}
	if err := a.Runtime.Check(ctx, ch); err != nil {
		return errf(http.StatusUnprocessableEntity, "invalid_settings", "%s", err.Error())
	}
	return nil
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

func (a *API) loadChannel(r *http.Request) (*store.Channel, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var ch store.Channel
	if err := a.Store.DB.WithContext(r.Context()).Take(&ch, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	return &ch, nil
}

func (a *API) getChannel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ch, err := a.loadChannel(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.channelJSON(ch), nil
}

func (a *API) patchChannel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ch, err := a.loadChannel(r)
	if err != nil {
		return 0, nil, err
	}
	var b ChannelBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if b.Kind != "" && b.Kind != ch.Kind {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "a channel's kind cannot change")
	}
	if b.Name != nil && strings.TrimSpace(*b.Name) != "" {
		ch.Name = strings.TrimSpace(*b.Name)
	}
	if b.Settings != nil {
		ch.Settings = b.Settings
	}
	for k, v := range b.Secrets {
		if ch.Secrets == nil {
			ch.Secrets = store.JSONMap{}
		}
		if v == nil {
			delete(ch.Secrets, k)
		} else {
			ch.Secrets[k] = v
		}
	}
	if b.Enabled != nil {
		ch.Enabled = *b.Enabled
	}
	if err := a.validateChannel(r.Context(), *ch); err != nil {
		return 0, nil, err
	}
	if err := a.Store.DB.WithContext(r.Context()).Save(ch).Error; err != nil {
		return 0, nil, err
	}
	a.reload(r.Context())
	return http.StatusOK, a.channelJSON(ch), nil
}

func (a *API) deleteChannel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ch, err := a.loadChannel(r)
	if err != nil {
		return 0, nil, err
	}
	var n int64
	a.Store.DB.WithContext(r.Context()).Model(&store.Message{}).Where("channel_id = ?", ch.ID).Count(&n)
	if n > 0 {
		// History keeps referring to the channel: disable instead.
		if err := a.Store.DB.WithContext(r.Context()).Model(ch).Update("enabled", false).Error; err != nil {
			return 0, nil, err
		}
		a.reload(r.Context())
		return http.StatusOK, map[string]any{"ok": true, "disabled": true}, nil
	}
	if err := a.Store.DB.WithContext(r.Context()).Delete(ch).Error; err != nil {
		return 0, nil, err
	}
	a.reload(r.Context())
	return http.StatusOK, map[string]any{"ok": true}, nil
}

func (a *API) rotateChannelToken(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ch, err := a.loadChannel(r)
	if err != nil {
		return 0, nil, err
	}
	tok, hash := auth.NewToken()
	if err := a.Store.DB.WithContext(r.Context()).Model(ch).Updates(map[string]any{"token_hash": hash}).Error; err != nil {
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
	var ags []store.Agent
	if err := a.Store.DB.WithContext(r.Context()).Order("id").Find(&ags).Error; err != nil {
		return 0, nil, err
	}
	items := make([]*AgentJSON, 0, len(ags))
	for i := range ags {
		items = append(items, agentJSON(&ags[i]))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

// AgentBody creates or changes an agent.
type AgentBody struct {
	Email    string  `json:"email"`
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Password string  `json:"password"`
	Active   *bool   `json:"active"`
}

func (a *API) createAgent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b AgentBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	role := store.RoleAgent
	if b.Role != nil {
		role = *b.Role
	}
	if role != store.RoleAgent && role != store.RoleAdmin {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "role must be agent or admin")
	}
	if !strings.Contains(b.Email, "@") {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "email is required")
	}
	name := ""
	if b.Name != nil {
		name = *b.Name
	}
	if err := auth.CreateAgent(r.Context(), a.Store, b.Email, name, role, b.Password); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return 0, nil, errf(http.StatusConflict, "conflict", "an agent with this email exists")
		}
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "%s", strings.TrimPrefix(err.Error(), "auth: "))
	}
	ag, err := a.Inbox.AgentByEmail(r.Context(), b.Email)
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
	var ag store.Agent
	if err := a.Store.DB.WithContext(r.Context()).Take(&ag, id).Error; err != nil {
		return 0, nil, store.ErrNotFound
	}
	up := map[string]any{}
	if b.Name != nil {
		up["name"] = *b.Name
	}
	if b.Role != nil {
		if *b.Role != store.RoleAgent && *b.Role != store.RoleAdmin {
			return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "role must be agent or admin")
		}
		up["role"] = *b.Role
	}
	if b.Active != nil {
		if !*b.Active && id == principal(r).Agent.ID {
			return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "you cannot deactivate yourself")
		}
		up["active"] = *b.Active
	}
	if len(up) > 0 {
		if err := a.Store.DB.WithContext(r.Context()).Model(&ag).Updates(up).Error; err != nil {
			return 0, nil, err
		}
	}
	if b.Password != "" {
		if err := a.Auth.SetPassword(r.Context(), id, b.Password, ""); err != nil {
			return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "%s", strings.TrimPrefix(err.Error(), "auth: "))
		}
	}
	if b.Active != nil && !*b.Active {
		a.Store.DB.WithContext(r.Context()).Where("agent_id = ?", id).Delete(&store.Session{})
		a.Auth.Revoked(id) // open event streams of the agent end
	}
	a.Store.DB.WithContext(r.Context()).Take(&ag, id)
	return http.StatusOK, agentJSON(&ag), nil
}

// --- tokens ---

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var ss []store.Session
	if err := a.Store.DB.WithContext(r.Context()).Where("agent_id = ? AND kind = ?", principal(r).Agent.ID, "api").Order("id").Find(&ss).Error; err != nil {
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
	if strings.TrimSpace(b.Name) == "" {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "name is required")
	}
	tok, err := a.Auth.CreateSession(r.Context(), principal(r).Agent.ID, "api", b.Name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"name": b.Name, "token": tok}, nil
}

func (a *API) deleteToken(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	res := a.Store.DB.WithContext(r.Context()).Where("id = ? AND agent_id = ? AND kind = ?", id, principal(r).Agent.ID, "api").Delete(&store.Session{})
	if res.Error != nil {
		return 0, nil, res.Error
	}
	if res.RowsAffected == 0 {
		return 0, nil, store.ErrNotFound
	}
	a.Auth.Revoked(principal(r).Agent.ID) // a stream opened with the token ends
	return http.StatusOK, map[string]bool{"ok": true}, nil
}

// --- saved replies ---

func (a *API) listSavedReplies(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var rs []store.SavedReply
	if err := a.Store.DB.WithContext(r.Context()).Order("name").Find(&rs).Error; err != nil {
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

func (a *API) createSavedReply(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var b SavedReplyBody
	if err := decode(w, r, &b); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(b.Name) == "" || strings.TrimSpace(b.Body) == "" {
		return 0, nil, errf(http.StatusUnprocessableEntity, "invalid", "name and body are required")
	}
	sr := store.SavedReply{Name: b.Name, Body: b.Body}
	if err := a.Store.DB.WithContext(r.Context()).Create(&sr).Error; err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"id": sr.ID, "name": sr.Name, "body": sr.Body}, nil
}

func (a *API) deleteSavedReply(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	res := a.Store.DB.WithContext(r.Context()).Delete(&store.SavedReply{}, id)
	if res.Error != nil {
		return 0, nil, res.Error
	}
	if res.RowsAffected == 0 {
		return 0, nil, store.ErrNotFound
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
	var at store.Attachment
	if err := a.Store.DB.WithContext(r.Context()).Take(&at, id).Error; err != nil {
		return 0, nil, store.ErrNotFound
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
	_, _ = io.Copy(w, rc)
	return 0, nil, nil
}

func (a *API) listQuarantine(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var qs []store.Quarantine
	if err := a.Store.DB.WithContext(r.Context()).Omit("raw").Order("id DESC").Limit(200).Find(&qs).Error; err != nil {
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
	var q store.Quarantine
	if err := a.Store.DB.WithContext(r.Context()).Take(&q, id).Error; err != nil {
		return 0, nil, store.ErrNotFound
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"quarantine-%d.eml\"", q.ID))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(q.Raw)
	return 0, nil, nil
}

func (a *API) retryQuarantine(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var q store.Quarantine
	if err := a.Store.DB.WithContext(r.Context()).Take(&q, id).Error; err != nil {
		return 0, nil, store.ErrNotFound
	}
	if q.Resolved {
		return 0, nil, errf(http.StatusConflict, "already_imported", "this item was imported already")
	}
	if a.Runtime == nil {
		return 0, nil, errf(http.StatusUnprocessableEntity, "cannot_retry", "%s", connectors.ErrCannotReprocess.Error())
	}
	if err := a.Runtime.Reprocess(r.Context(), q.ChannelID, q.Raw, q.ExternalID); err != nil {
		return 0, nil, errf(http.StatusUnprocessableEntity, "cannot_retry", "%s", err.Error())
	}
	if err := a.Store.DB.WithContext(r.Context()).Model(&q).Update("resolved", true).Error; err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"ok": true}, nil
}
