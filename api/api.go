// Package api is Hanbox's REST API under /api/v1: JSON in and out, errors as
// {"error": {"code", "reason", "message", "params"}} (web.Error: a stable
// code, the exact reason, an English message, the values of the translated
// message), bearer tokens or session cookies (with a CSRF token for
// cookie-authenticated writes). Paths and queries are checked (web.CheckURL)
// before any handler runs, and decoded text fields go through web.Fields:
// handlers decode, call, render. Every route is declared once in routes.go;
// the mux and the OpenAPI document are both built from that table.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hanbox/hanbox/assist"
	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/ratelimit"
	"github.com/hanbox/hanbox/report"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/web"
	"github.com/hanbox/hanbox/webhook"
)

// MaxJSONBody bounds JSON request bodies (replies with base64 attachments).
const MaxJSONBody = 36 << 20

// Options wire the API.
type Options struct {
	Inbox   *inbox.Service
	Store   *store.Store
	Runtime *connectors.Runtime
	Auth    *auth.Service
	Jobs    *jobs.Scheduler
	Logger  *slog.Logger
	// BaseURL is Hanbox's public URL, for the endpoints shown on channels.
	BaseURL string
	Version string
	// SSEClients, if set, is updated with the number of live event streams.
	SSEClients interface{ Add(float64) }
	// KB is the knowledge base; nil: one over Store.
	KB *kb.Service
	// Webhooks manages event webhooks; nil: the webhook endpoints answer 404.
	Webhooks *webhook.Service
	// Audit records admin actions and sign-ins; nil records nothing.
	Audit *audit.Recorder
	// Reports computes reports; nil: one over Store.
	Reports *report.Service
	// NPS holds the NPS survey definitions; nil: the NPS endpoints answer 503.
	NPS *inbox.NPS
	// ImportMaxRows caps the data rows of a contact import (0:
	// contactcsv.DefaultMaxRows); ImportMaxBytes its upload (0:
	// DefaultImportMaxBytes).
	ImportMaxRows  int
	ImportMaxBytes int64

	// Campaigns holds the life-cycle messages; nil: their endpoints answer 503.
	Campaigns *inbox.Campaigns

	// Assist drafts replies and holds the generative-answers settings;
	// nil: one over Store, KB and Inbox.
	Assist *assist.Service
}

// API serves /api/v1.
type API struct {
	Options
	log *slog.Logger
	// gets are the GET routes' handlers by path, for the audit log's
	// before/after snapshots (set by Mount).
	gets map[string]handlerFunc
	// getResults are the GET routes' response schemas by path: a write
	// answering with the same schema as its own path's GET answers with
	// the item after the change, and the audit diff takes that answer
	// instead of reading the item again.
	getResults map[string]string
	// suggestLimit bounds public /kb/suggest calls per client address.
	suggestLimit *ratelimit.Keyed
	// draftLimit bounds POST /tickets/{id}/draft per agent: each call may
	// cost a provider request.
	draftLimit *ratelimit.Keyed
}

// New returns the API.
func New(o Options) *API {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.KB == nil {
		o.KB = kb.New(o.Store)
	}
	if o.Assist == nil {
		o.Assist = assist.New(o.Store, o.KB, o.Inbox, o.BaseURL)
	}
	if o.Reports == nil {
		o.Reports = report.New(o.Store)
	}
	return &API{Options: o, log: log, suggestLimit: ratelimit.New(SuggestBurst, time.Minute), draftLimit: ratelimit.New(DraftBurst, time.Minute)}
}

// errf returns a user-safe error (web.Error) with a formatted message.
func errf(status int, code, format string, args ...any) *web.Error {
	return web.Errorf(status, code, format, args...)
}

// handlerFunc is an API handler: it returns a value to encode (with status)
// or an error to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (int, any, error)

func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := web.CheckURL(r); err != nil {
			a.render(w, r, err)
			return
		}
		p := auth.From(r.Context())
		switch rt.Auth {
		case authAgent, authAdmin:
			if p == nil {
				a.render(w, r, errf(http.StatusUnauthorized, "unauthorized", "sign in or send a bearer token"))
				return
			}
			if rt.Auth == authAdmin && p.Agent.Role != store.RoleAdmin {
				a.render(w, r, errf(http.StatusForbidden, "forbidden", "this needs an admin"))
				return
			}
			if p.Cookie && !auth.Safe(r.Method) && !auth.CheckCSRF(r, p.Token) {
				a.render(w, r, errf(http.StatusForbidden, "csrf", "missing or wrong CSRF token (X-CSRF-Token header)"))
				return
			}
		}
		audited, action := a.audited(rt)
		var reqBody []byte
		if audited && r.Body != nil && r.Method != http.MethodGet && jsonBody(r) {
			// The handler reads the body too: keep a copy for the entry.
			b, err := io.ReadAll(io.LimitReader(r.Body, MaxJSONBody+1))
			if err != nil {
				a.render(w, r, errf(http.StatusBadRequest, "bad_body", "the body could not be read"))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			reqBody = b
		}
		var before any
		snap := ""
		if audited {
			if snap = a.snapshotPath(rt); snap != "" {
				before = a.snapshot(r, snap)
			}
		}
		status, body, err := rt.Handler(w, r)
		if err != nil {
			a.render(w, r, err)
			return
		}
		if audited {
			var diff *auditDiff
			if snap != "" && before != nil {
				d := auditDiff{before: before}
				switch {
				case a.answerIsAfter(rt, snap):
					d.after = auditValue(body)
				case rt.Method != http.MethodDelete || snap != rt.Path:
					d.after = a.snapshot(r, snap)
				}
				diff = &d
			}
			a.recordRoute(r, rt, action, reqBody, body, diff)
		}
		if status == 0 {
			return // the handler wrote the response itself
		}
		writeJSON(w, status, body)
	})
}

// jsonBody says whether r's body is JSON (or untyped), the bodies an audit
// entry copies; an upload (a CSV import) streams to its handler uncopied.
func jsonBody(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return ct == "" || strings.HasPrefix(ct, "application/json")
}

// ErrorBody is the JSON of every API error: a stable code, the exact reason
// within it when there is one, an English message, and the values a
// translated message shows.
type ErrorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Reason  string         `json:"reason,omitempty"`
		Message string         `json:"message"`
		Params  map[string]any `json:"params,omitempty"`
	} `json:"error"`
}

// render answers with err as a web.Error. Unexpected errors are logged with
// their cause and answered 500 without detail.
func (a *API) render(w http.ResponseWriter, r *http.Request, err error) {
	e := web.FromError(err)
	if e.Status >= 500 {
		a.log.Error("api error", "method", r.Method, "path", r.URL.Path, "code", e.Code, "err", e.Err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Round(time.Second)/time.Second)))
	}
	var b ErrorBody
	b.Error.Code, b.Error.Reason, b.Error.Message, b.Error.Params = e.Code, e.Reason, e.Message, e.Params
	writeJSON(w, e.Status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decode reads a JSON body into dst, refusing bodies that are not UTF-8,
// unknown fields, wrong types, trailing data and bodies over the limit.
// (encoding/json would silently turn invalid UTF-8 into U+FFFD.)
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errf(http.StatusBadRequest, "bad_body", "the body could not be read")
	}
	if !utf8.Valid(raw) {
		return errf(http.StatusBadRequest, "bad_utf8", "body is not valid UTF-8 text").With("field", "body")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errf(http.StatusBadRequest, "bad_json", "field %q must be %s", te.Field, te.Type.String()).With("field", te.Field)
		}
		return errf(http.StatusBadRequest, "bad_json", "body is not valid JSON: %s", err.Error())
	}
	if dec.More() {
		return errf(http.StatusBadRequest, "bad_json", "body has data after the JSON value")
	}
	return nil
}

func principal(r *http.Request) *auth.Principal { return auth.From(r.Context()) }
