package discord

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeDiscord is a loopback Discord: a gateway speaking the JSON (not zlib)
// protocol — HELLO, IDENTIFY → READY, heartbeats and ACKs, RESUME with
// replay of missed dispatches, close codes — and the REST endpoints the
// connector uses, recording every call.
type fakeDiscord struct {
	t     testing.TB
	srv   *httptest.Server
	token string
	botID string

	// gw orders the dispatch log and the writes to the live connection.
	gw      sync.Mutex
	session string
	log     []gwEvent
	conn    *fakeConn
	nextSes int

	mu          sync.Mutex
	identifies  int
	resumes     int
	heartbeats  int
	dials       int
	meCalls     int
	identifyErr int // close code answered to IDENTIFY, 0 = accept
	intents     int64
	posts       []fakePost
	attempts    []time.Time // every create-message request, 429s included
	rateLimit   int         // answer this many create-message requests with 429
	limitAt     int         // or answer the create-message attempt with this 1-based number with 429
	retryAfter  float64
	postStatus  int // answer create-message with this status (403, 404...)
	postCode    int // and this Discord error code
	nonces      map[string]map[string]any
	threads     []string
	members     []string
	channels    map[string]map[string]any
	files       map[string][]byte
	nextID      int64
	history     map[string][]map[string]any // channel id → messages, oldest first
	holdHello   chan struct{}               // when set, new gateway connections wait for it
	callbacks   []fakeCallback
}

type gwEvent struct {
	seq  int64
	typ  string
	data any
}

type fakePost struct {
	ChannelID       string
	Content         string
	Nonce           string
	AllowedMentions map[string]any
	Reference       map[string]any
	Components      []map[string]any
	Files           map[string][]byte
}

// fakeCallback is an interaction response the bot posted.
type fakeCallback struct {
	ID, Token string
	Type      int
	Content   string
	Flags     int
}

type fakeConn struct {
	mu sync.Mutex
	ws *websocket.Conn
}

func (c *fakeConn) send(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteJSON(v)
}

func (c *fakeConn) closeWith(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

const (
	fakeGuild   = "900000000000000001"
	fakeSupport = "900000000000000010"
	fakeOther   = "900000000000000011"
	fakeRole    = "900000000000000020"
)

func newFakeDiscord(t testing.TB) *fakeDiscord {
	f := &fakeDiscord{t: t, token: "test-token", botID: "800000000000000001", nextID: 1000000000000000000,
		nonces: map[string]map[string]any{}, channels: map[string]map[string]any{}, files: map[string][]byte{},
		history: map[string][]map[string]any{}}
	f.channels[fakeSupport] = map[string]any{"id": fakeSupport, "type": 0, "guild_id": fakeGuild, "name": "support"}
	f.channels[fakeOther] = map[string]any{"id": fakeOther, "type": 0, "guild_id": fakeGuild, "name": "general"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /gateway/", f.serveGateway)
	mux.HandleFunc("GET /api/v9/gateway", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"url": f.wsURL()})
	})
	mux.HandleFunc("GET /api/v9/gateway/bot", f.auth(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"url": f.wsURL(), "shards": 1,
			"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}})
	}))
	mux.HandleFunc("GET /api/v9/users/@me", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.meCalls++
		f.mu.Unlock()
		if !f.authorized(r) {
			writeJSON(w, 401, map[string]any{"message": "401: Unauthorized", "code": 0})
			return
		}
		writeJSON(w, 200, f.botUser())
	})
	mux.HandleFunc("POST /api/v9/channels/{id}/messages", f.auth(f.createMessage))
	mux.HandleFunc("GET /api/v9/channels/{id}/messages", f.auth(f.listMessages))
	// Interaction responses are authenticated by the interaction's token
	// in the path, not by the bot token.
	mux.HandleFunc("POST /api/v9/interactions/{id}/{token}/callback", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Type int `json:"type"`
			Data struct {
				Content string `json:"content"`
				Flags   int    `json:"flags"`
			} `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.callbacks = append(f.callbacks, fakeCallback{ID: r.PathValue("id"), Token: r.PathValue("token"), Type: req.Type,
			Content: req.Data.Content, Flags: req.Data.Flags})
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /api/v9/channels/{id}/messages/{mid}/threads", f.auth(f.startThread))
	mux.HandleFunc("PUT /api/v9/channels/{id}/thread-members/{uid}", f.auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.members = append(f.members, r.PathValue("id")+"/"+r.PathValue("uid"))
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("GET /api/v9/channels/{id}", f.auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ch, ok := f.channels[r.PathValue("id")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 404, map[string]any{"message": "Unknown Channel", "code": 10003})
			return
		}
		writeJSON(w, 200, ch)
	}))
	mux.HandleFunc("GET /attachments/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		data, ok := f.files[r.PathValue("name")]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.close)
	return f
}

func (f *fakeDiscord) close() {
	f.gw.Lock()
	if f.conn != nil {
		_ = f.conn.ws.Close()
	}
	f.gw.Unlock()
	f.srv.CloseClientConnections()
	f.srv.Close()
}

func (f *fakeDiscord) wsURL() string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway"
}

func (f *fakeDiscord) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bot "+f.token
}

func (f *fakeDiscord) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(r) {
			writeJSON(w, 401, map[string]any{"message": "401: Unauthorized", "code": 0})
			return
		}
		h(w, r)
	}
}

func (f *fakeDiscord) botUser() map[string]any {
	return map[string]any{"id": f.botID, "username": "hanbox", "global_name": nil, "discriminator": "0", "bot": true}
}

func (f *fakeDiscord) newID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return strconv.FormatInt(f.nextID, 10)
}

// serveGateway speaks the gateway protocol on one WebSocket connection.
func (f *fakeDiscord) serveGateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &fakeConn{ws: ws}
	f.mu.Lock()
	f.dials++
	hold := f.holdHello
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	defer func() {
		f.gw.Lock()
		if f.conn == c {
			f.conn = nil
		}
		f.gw.Unlock()
		_ = ws.Close()
	}()
	if err := c.send(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 41250}}); err != nil {
		return
	}
	for {
		mt, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.TextMessage {
			c.closeWith(4002, "Decode error")
			return
		}
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := json.Unmarshal(data, &p); err != nil {
			c.closeWith(4002, "Decode error")
			return
		}
		switch p.Op {
		case 1:
			f.mu.Lock()
			f.heartbeats++
			f.mu.Unlock()
			_ = c.send(map[string]any{"op": 11})
		case 2:
			var id struct {
				Token    string `json:"token"`
				Intents  int64  `json:"intents"`
				Compress bool   `json:"compress"`
			}
			_ = json.Unmarshal(p.D, &id)
			f.mu.Lock()
			f.intents = id.Intents
			code := f.identifyErr
			f.mu.Unlock()
			switch {
			case id.Token != "Bot "+f.token:
				c.closeWith(4004, "Authentication failed.")
				return
			case code != 0:
				c.closeWith(code, "Disallowed intent(s).")
				return
			case id.Compress:
				c.closeWith(4002, "compression is not supported by this fake")
				return
			}
			f.mu.Lock()
			f.identifies++
			f.mu.Unlock()
			f.gw.Lock()
			f.nextSes++
			f.session = fmt.Sprintf("session-%d", f.nextSes)
			f.log = nil
			f.conn = c
			f.dispatchLocked("READY", map[string]any{
				"v": 10, "user": f.botUser(), "session_id": f.session, "resume_gateway_url": f.wsURL(),
				"guilds": []any{map[string]any{"id": fakeGuild, "unavailable": true}}, "private_channels": []any{},
				"application": map[string]any{"id": f.botID, "flags": 0},
			})
			// As on Discord, the guild follows READY with its channels,
			// threads and roles.
			f.dispatchLocked("GUILD_CREATE", f.guild())
			f.gw.Unlock()
		case 6:
			var rs struct {
				Token     string `json:"token"`
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			_ = json.Unmarshal(p.D, &rs)
			if rs.Token != "Bot "+f.token {
				c.closeWith(4004, "Authentication failed.")
				return
			}
			f.gw.Lock()
			if rs.SessionID != f.session {
				f.gw.Unlock()
				_ = c.send(map[string]any{"op": 9, "d": false})
				continue
			}
			f.mu.Lock()
			f.resumes++
			f.mu.Unlock()
			f.conn = c
			for _, e := range f.log {
				if e.seq > rs.Seq {
					_ = c.send(map[string]any{"op": 0, "s": e.seq, "t": e.typ, "d": e.data})
				}
			}
			f.dispatchLocked("RESUMED", map[string]any{})
			f.gw.Unlock()
		}
	}
}

// dispatch sends an event to the bot, or logs it for a later RESUME while
// the bot is disconnected, as Discord does.
func (f *fakeDiscord) dispatch(typ string, data any) {
	f.gw.Lock()
	defer f.gw.Unlock()
	f.dispatchLocked(typ, data)
}

func (f *fakeDiscord) dispatchLocked(typ string, data any) {
	if m, ok := data.(map[string]any); ok && typ == "MESSAGE_CREATE" {
		f.remember(m)
	}
	e := gwEvent{seq: int64(len(f.log) + 1), typ: typ, data: data}
	f.log = append(f.log, e)
	if f.conn != nil {
		_ = f.conn.send(map[string]any{"op": 0, "s": e.seq, "t": e.typ, "d": e.data})
	}
}

// remember adds a message to its channel's history (for GET messages).
func (f *fakeDiscord) remember(m map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, _ := m["channel_id"].(string)
	f.history[ch] = append(f.history[ch], m)
}

// offline records a message sent while the bot is not connected: it is in
// the channel's history but was never dispatched.
func (f *fakeDiscord) offline(m map[string]any) { f.remember(m) }

// invalidate ends the gateway session: a RESUME is answered with op 9, so
// the bot must identify again and Discord replays nothing.
func (f *fakeDiscord) invalidate() {
	f.gw.Lock()
	defer f.gw.Unlock()
	f.session = ""
}

// listMessages answers GET /channels/{id}/messages?after=&limit=: the oldest
// messages after the given id, newest first, without guild_id, as Discord.
func (f *fakeDiscord) listMessages(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	f.mu.Lock()
	var out []any
	for _, m := range f.history[r.PathValue("id")] {
		id, _ := strconv.ParseUint(m["id"].(string), 10, 64)
		if id <= after || len(out) == limit {
			continue
		}
		c := map[string]any{}
		for k, v := range m {
			if k != "guild_id" && k != "member" {
				c[k] = v
			}
		}
		out = append([]any{c}, out...)
	}
	f.mu.Unlock()
	if out == nil {
		out = []any{}
	}
	writeJSON(w, 200, out)
}

// drop cuts the live gateway connection without a close frame.
func (f *fakeDiscord) drop() {
	f.gw.Lock()
	defer f.gw.Unlock()
	if f.conn != nil {
		_ = f.conn.ws.NetConn().Close()
		f.conn = nil
	}
}

// askReconnect sends op 7: Discord asks the bot to reconnect and resume.
func (f *fakeDiscord) askReconnect() {
	f.gw.Lock()
	defer f.gw.Unlock()
	if f.conn != nil {
		_ = f.conn.send(map[string]any{"op": 7, "d": nil})
	}
}

func (f *fakeDiscord) connected() bool {
	f.gw.Lock()
	defer f.gw.Unlock()
	return f.conn != nil
}

func (f *fakeDiscord) createMessage(w http.ResponseWriter, r *http.Request) {
	channelID := r.PathValue("id")
	f.mu.Lock()
	f.attempts = append(f.attempts, time.Now())
	if f.rateLimit > 0 || f.limitAt == len(f.attempts) {
		f.rateLimit = max(f.rateLimit-1, 0)
		ra := f.retryAfter
		f.mu.Unlock()
		body := map[string]any{}
		raw, _ := os.ReadFile("testdata/rate_limited.json")
		_ = json.Unmarshal(raw, &body)
		body["retry_after"] = ra
		w.Header().Set("Retry-After", strconv.Itoa(int(ra+0.999)))
		w.Header().Set("X-RateLimit-Scope", "user")
		writeJSON(w, 429, body)
		return
	}
	if f.postStatus != 0 {
		st, code := f.postStatus, f.postCode
		f.mu.Unlock()
		writeJSON(w, st, map[string]any{"message": "refused by the fake", "code": code})
		return
	}
	f.mu.Unlock()
	p := fakePost{ChannelID: channelID, Files: map[string][]byte{}}
	var body []byte
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(part)
			if part.FormName() == "payload_json" {
				body = data
			} else {
				p.Files[part.FileName()] = data
			}
		}
	} else {
		body, _ = io.ReadAll(r.Body)
	}
	var req struct {
		Content         string           `json:"content"`
		Nonce           string           `json:"nonce"`
		EnforceNonce    bool             `json:"enforce_nonce"`
		AllowedMentions map[string]any   `json:"allowed_mentions"`
		Reference       map[string]any   `json:"message_reference"`
		Components      []map[string]any `json:"components"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, 400, map[string]any{"message": "Cannot send an empty message", "code": 50006})
		return
	}
	if len([]rune(req.Content)) > 2000 {
		writeJSON(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	p.Content, p.Nonce, p.AllowedMentions, p.Reference, p.Components = req.Content, req.Nonce, req.AllowedMentions, req.Reference, req.Components
	f.mu.Lock()
	if prev, ok := f.nonces[req.Nonce]; ok && req.EnforceNonce {
		f.mu.Unlock()
		writeJSON(w, 200, prev)
		return
	}
	f.mu.Unlock()
	msg := map[string]any{"id": f.newID(), "channel_id": channelID, "content": req.Content, "type": 0,
		"author": f.botUser(), "timestamp": time.Now().UTC().Format(time.RFC3339), "nonce": req.Nonce,
		"mentions": []any{}, "attachments": []any{}, "embeds": []any{}}
	if ch, ok := f.channel(channelID); ok {
		if g, ok := ch["guild_id"]; ok {
			msg["guild_id"] = g
		}
	}
	f.mu.Lock()
	f.posts = append(f.posts, p)
	if req.Nonce != "" {
		f.nonces[req.Nonce] = msg
	}
	f.mu.Unlock()
	writeJSON(w, 200, msg)
	// Discord echoes the bot's own message on the gateway; the bot must
	// ignore it.
	f.dispatch("MESSAGE_CREATE", msg)
}

func (f *fakeDiscord) startThread(w http.ResponseWriter, r *http.Request) {
	channelID, messageID := r.PathValue("id"), r.PathValue("mid")
	var req struct {
		Name string `json:"name"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.channels[messageID]; ok {
		writeJSON(w, 400, map[string]any{"message": "A thread has already been created for this message", "code": 160004})
		return
	}
	th := map[string]any{"id": messageID, "type": 11, "guild_id": fakeGuild, "parent_id": channelID, "name": req.Name,
		"owner_id": f.botID, "thread_metadata": map[string]any{"archived": false, "auto_archive_duration": 10080, "locked": false}}
	f.channels[messageID] = th
	f.threads = append(f.threads, messageID+":"+req.Name)
	writeJSON(w, 201, th)
}

func (f *fakeDiscord) guild() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var channels, threads []any
	for _, ch := range f.channels {
		if ch["type"] == 11 {
			threads = append(threads, ch)
		} else {
			channels = append(channels, ch)
		}
	}
	return map[string]any{"id": fakeGuild, "name": "Hanbox Test", "owner_id": "700000000000000009", "unavailable": false,
		"channels": channels, "threads": threads, "members": []any{}, "member_count": 3,
		"roles": []any{
			map[string]any{"id": fakeGuild, "name": "@everyone", "position": 0, "permissions": "0"},
			map[string]any{"id": fakeRole, "name": "고객지원", "position": 1, "permissions": "0"},
		}}
}

func (f *fakeDiscord) channel(id string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.channels[id]
	return ch, ok
}

// addThread registers a thread a user opened themselves.
func (f *fakeDiscord) addThread(id, parent string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[id] = map[string]any{"id": id, "type": 11, "guild_id": fakeGuild, "parent_id": parent, "name": "help"}
}

func (f *fakeDiscord) addFile(name string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[name] = data
	return f.srv.URL + "/attachments/" + name
}

func (f *fakeDiscord) snapshot() (posts []fakePost, threads, members []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakePost(nil), f.posts...), append([]string(nil), f.threads...), append([]string(nil), f.members...)
}

func (f *fakeDiscord) interactionAnswers() []fakeCallback {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCallback(nil), f.callbacks...)
}

func (f *fakeDiscord) counts() (identifies, resumes, dials, me int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.identifies, f.resumes, f.dials, f.meCalls
}

// userMessage is a MESSAGE_CREATE payload from a person, shaped like
// Discord's (see testdata/message_create_guild.json).
func userMessage(id, channelID, guildID, userID, username, content string) map[string]any {
	m := map[string]any{
		"id": id, "channel_id": channelID, "type": 0, "content": content, "tts": false,
		"timestamp": "2026-11-24T07:30:00.000000+00:00", "edited_timestamp": nil,
		"mention_everyone": false, "mentions": []any{}, "mention_roles": []any{}, "attachments": []any{},
		"embeds": []any{}, "pinned": false, "flags": 0, "components": []any{},
		"author": map[string]any{"id": userID, "username": username, "global_name": nil, "discriminator": "0", "avatar": nil},
	}
	if guildID != "" {
		m["guild_id"] = guildID
		m["member"] = map[string]any{"roles": []any{}, "joined_at": "2025-01-01T00:00:00+00:00", "nick": nil, "deaf": false, "mute": false}
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
