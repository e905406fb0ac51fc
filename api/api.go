// Package api is Hanbox's REST API under /api/v1: JSON in and out, errors as
// {"error": {"code", "message"}}, bearer tokens or session cookies (with a
// CSRF token for cookie-authenticated writes). Every route is declared once in
// routes.go; the mux and the OpenAPI document are both built from that table.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// MaxJSONBody bounds JSON request bodies (replies with base64 attachments).
const MaxJSONBody = 36 << 20

// Options wire the API.
type Options struct {
	Inbox   *inbox.Service
	Store   *store.Store
	Runtime *connectors.Runtime
	Auth    *auth.Service
	Logger  *slog.Logger
	// BaseURL is Hanbox's public URL, for the endpoints shown on channels.
	BaseURL string
	Version string
	// SSEClients, if set, is updated with the number of live event streams.
	SSEClients interface{ Add(float64) }
}

// API serves /api/v1.
type API struct {
	Options
	log *slog.Logger
}

// New returns the API.
func New(o Options) *API {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{Options: o, log: log}
}

// Error is an API error: an HTTP status, a stable code and a message safe
// to show. Internal errors are logged, never echoed.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// handlerFunc is an API handler: it returns a value to encode (with status)
// or an error to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (int, any, error)

func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		status, body, err := rt.Handler(w, r)
		if err != nil {
			a.render(w, r, err)
			return
		}
		if status == 0 {
			return // the handler wrote the response itself
		}
		writeJSON(w, status, body)
	})
}

// render maps domain errors to HTTP. Client mistakes are 4xx with their
// reason; anything else is logged and answered 500 without detail.
func (a *API) render(w http.ResponseWriter, r *http.Request, err error) {
	var ae *Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &mbe):
		ae = errf(http.StatusRequestEntityTooLarge, "too_large", "body is larger than %d bytes", mbe.Limit)
	case errors.Is(err, inbox.ErrKeyReused):
		ae = errf(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this Idempotency-Key was already used for a different request; send a new key with a new request")
	case errors.Is(err, inbox.ErrInvalid):
		msg := err.Error()
		if i := strings.LastIndex(msg, inbox.ErrInvalid.Error()+": "); i >= 0 {
			msg = msg[i+len(inbox.ErrInvalid.Error())+2:]
		}
		ae = &Error{http.StatusUnprocessableEntity, "invalid", msg}
	case errors.Is(err, inbox.ErrStale):
		ae = errf(http.StatusConflict, "stale", "the ticket changed since you opened it; reload and review before sending")
	case errors.Is(err, store.ErrNotFound):
		ae = errf(http.StatusNotFound, "not_found", "not found")
	case errors.Is(err, store.ErrConflict), store.IsDuplicate(err):
		ae = errf(http.StatusConflict, "conflict", "already exists")
	case errors.Is(err, store.ErrBadCursor):
		ae = errf(http.StatusBadRequest, "bad_cursor", "cursor is not valid")
	case errors.Is(err, auth.ErrRateLimited):
		ae = errf(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a few minutes")
	case errors.Is(err, auth.ErrBadCredentials):
		ae = errf(http.StatusUnauthorized, "bad_credentials", "wrong email or password")
	default:
		a.log.Error("api error", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errf(http.StatusInternalServerError, "internal", "something went wrong; it has been logged")
	}
	writeJSON(w, ae.Status, map[string]any{"error": map[string]string{"code": ae.Code, "message": ae.Message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decode reads a JSON body into dst, refusing unknown fields, wrong types,
// trailing data and bodies over the limit.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errf(http.StatusBadRequest, "bad_json", "field %q must be %s", te.Field, te.Type.String())
		}
		return errf(http.StatusBadRequest, "bad_json", "body is not valid JSON: %s", err.Error())
	}
	if dec.More() {
		return errf(http.StatusBadRequest, "bad_json", "body has data after the JSON value")
	}
	return nil
}

func principal(r *http.Request) *auth.Principal { return auth.From(r.Context()) }
