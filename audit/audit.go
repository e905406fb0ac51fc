// Package audit records who did what, when and from where: every admin
// action, sign-ins, failed sign-ins and password changes and resets, in the
// audit_entries table, with secrets redacted before anything is written.
//
// The API records admin writes by itself (api.wrap calls Record for every
// authAdmin route that is not a GET, and for the routes listed in its
// auditRoutes map), so a new admin endpoint is audited without a line of
// its own. Anything else that must be audited calls, in one line:
//
//	rec.Record(r, audit.Entry{Action: "rules.create", TargetType: "rules", TargetID: id, Changes: body})
//
// Record takes the actor, the remote address and the user agent from r.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
)

// Actions recorded outside the generic API path.
const (
	ActionLogin          = "auth.login"
	ActionLoginFailed    = "auth.login_failed"
	ActionLogout         = "auth.logout"
	ActionPasswordChange = "auth.password_change"
	ActionPasswordReset  = "agents.password_reset"
)

// Redacted replaces a secret's value.
const Redacted = "[redacted]"

// Entry is what a caller says about an action; Record adds the rest.
type Entry struct {
	Action     string
	TargetType string
	// TargetID is the target's id (int64, string or anything fmt prints).
	TargetID any
	// ActorID overrides the signed-in agent (a sign-in has no principal
	// yet); ActorEmail names the account a failed sign-in tried.
	ActorID    int64
	ActorEmail string
	// Changes is what changed or was asked for: a struct, a map or a JSON
	// document (json.RawMessage, []byte). Secrets are redacted (Redact).
	Changes any
}

// Recorder writes audit entries. A nil *Recorder records nothing.
type Recorder struct {
	st  *store.Store
	log *slog.Logger
	now func() time.Time
}

// Options tune a Recorder.
type Options struct {
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// New returns a recorder over st.
func New(st *store.Store, opts Options) *Recorder {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Recorder{st: st, log: opts.Logger, now: opts.Now}
}

// Record writes e for request r. A failure to write is logged, not
// returned: the action it describes has already happened.
func (rc *Recorder) Record(r *http.Request, e Entry) {
	if rc == nil {
		return
	}
	if err := rc.Write(r.Context(), rc.entry(r, e)); err != nil {
		rc.log.Error("audit: record", "action", e.Action, "err", err)
	}
}

// RecordLocal writes e for an action taken outside HTTP (the hanbox admin
// command): via names the tool and goes where a user agent would.
func (rc *Recorder) RecordLocal(ctx context.Context, via string, e Entry) error {
	if rc == nil {
		return nil
	}
	return rc.Write(ctx, rc.row(e, "", via, nil))
}

func (rc *Recorder) entry(r *http.Request, e Entry) *store.AuditEntry {
	return rc.row(e, web.ClientIP(r), r.UserAgent(), auth.From(r.Context()))
}

func (rc *Recorder) row(e Entry, ip, ua string, p *auth.Principal) *store.AuditEntry {
	row := &store.AuditEntry{At: rc.now().UTC().Truncate(time.Microsecond), Action: clip(e.Action, 96), TargetType: clip(e.TargetType, 64),
		RemoteIP: clip(ip, 64), UserAgent: clip(ua, 512), ActorEmail: clip(e.ActorEmail, 320)}
	if e.TargetID != nil {
		row.TargetID = clip(fmt.Sprint(e.TargetID), 64)
		if row.TargetID == "0" {
			row.TargetID = ""
		}
	}
	if e.ActorID > 0 {
		id := e.ActorID
		row.ActorID = &id
	} else if p != nil && p.Agent != nil {
		id := p.Agent.ID
		row.ActorID = &id
		if row.ActorEmail == "" {
			row.ActorEmail = p.Agent.Email
		}
	}
	row.Changes = store.JSONMap{}
	if e.Changes != nil {
		switch v := Redact(e.Changes).(type) {
		case map[string]any:
			row.Changes = v
		case nil:
		default:
			row.Changes = store.JSONMap{"value": v}
		}
	}
	return row
}

// Write appends a prepared entry (for callers without a request).
func (rc *Recorder) Write(ctx context.Context, row *store.AuditEntry) error {
	if rc == nil {
		return nil
	}
	return rc.st.CreateAuditEntry(ctx, row)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// secretWords mark a key whose value is a secret, wherever it is nested:
// passwords, tokens, channel and webhook secrets, API and private keys.
var secretWords = []string{"password", "passwd", "secret", "token", "apikey", "api_key", "private_key", "privatekey",
	"authorization", "cookie", "credential", "signature"}

// Secret reports whether a key names a secret.
func Secret(key string) bool {
	k := strings.ToLower(key)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Redact returns v as plain JSON values (maps, slices, strings, numbers)
// with the value of every secret key (Secret) replaced by Redacted. It goes
// through JSON, so struct tags decide the key names.
func Redact(v any) any {
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return map[string]any{"error": "not recordable"}
		}
		raw = b
	}
	var plain any
	if len(raw) == 0 || json.Unmarshal(raw, &plain) != nil {
		return nil
	}
	return redact(plain)
}

// RedactStrings is Redact for a document made of credentials (a password
// change: "current", "new"): every non-empty string is redacted, whatever
// its key; numbers and flags stay.
func RedactStrings(v any) any {
	plain := Redact(v)
	if plain == nil {
		return nil
	}
	return redactAll(plain)
}

func redactAll(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = redactAll(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = redactAll(val)
		}
		return out
	case string:
		if x != "" {
			return Redacted
		}
	}
	return v
}

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if Secret(k) && !empty(val) {
				out[k] = Redacted
				continue
			}
			out[k] = redact(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = redact(val)
		}
		return out
	}
	return v
}

// empty values (no secret given, a flag) need not be hidden: "secret":
// false or "" says nothing about a secret.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return true
	}
	return false
}
