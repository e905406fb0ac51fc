// Package web is what Hanbox's two HTTP edges, the REST API and the web UI,
// share: Error, the user-safe error every handler returns instead of writing
// a response (status, stable code, English message, parameters for the
// translated message, and the internal cause, which is logged and never
// shown); FromError, the one mapping of domain errors to it; CheckURL, the
// check of request paths and queries; and Fields, the check of decoded
// request fields.
//
// Codes are stable API that clients branch on ("invalid", "not_found",
// "rate_limited", ...). A reason names the case within a code more exactly
// ("invalid" because "too_long", "self_deactivate", ...); the UI shows the
// translation "error.<reason>" (or "error.<code>" without a reason) with the
// parameters filled in.
package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// Error is an error safe to show: Status and Code for clients, Reason for
// the exact case, Message in English, Params for the placeholders of the
// translated message ("{field}", "{max}"), RetryAfter for 429 and 503
// answers, and Err, the internal cause for the log.
type Error struct {
	Status     int
	Code       string
	Reason     string
	Message    string
	Params     map[string]any
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a fixed message.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Errorf returns an Error whose message is formatted.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Because returns e with a reason.
func (e *Error) Because(reason string) *Error {
	c := *e
	c.Reason = reason
	return &c
}

// Key is the translation key of e: "error.<reason>", else "error.<code>".
func (e *Error) Key() string {
	if e.Reason != "" {
		return "error." + e.Reason
	}
	return "error." + e.Code
}

// With returns e with a parameter for the translated message added.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Params = make(map[string]any, len(e.Params)+1)
	for k, v := range e.Params {
		c.Params[k] = v
	}
	c.Params[key] = value
	return &c
}

// Internal returns the 500 error for an unexpected cause.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "something went wrong; it has been logged", Err: cause}
}

// FromError maps any error a handler returns to an Error: an Error is kept;
// domain errors get their status and code; anything else is a 500 whose
// cause is kept for the log only. nil stays nil.
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	var we *Error
	var mbe *http.MaxBytesError
	var ie *inbox.InvalidError
	var le *auth.LimitError
	switch {
	case errors.As(err, &we):
		return we
	case errors.As(err, &mbe):
		return Errorf(http.StatusRequestEntityTooLarge, "too_large", "body is larger than %d bytes", mbe.Limit).With("limit", mbe.Limit)
	case errors.Is(err, inbox.ErrKeyReused):
		return New(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this Idempotency-Key was already used for a different request; send a new key with a new request")
	case errors.As(err, &ie):
		e := &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: ie.Reason, Params: ie.Params}
		if ie.Code != "invalid" {
			e.Reason = ie.Code
		}
		return e.With("reason", ie.Reason)
	case errors.Is(err, inbox.ErrInvalid):
		// ErrInvalid without an InvalidError carries no reason safe to show.
		return New(http.StatusUnprocessableEntity, "invalid", "the request was not accepted")
	case errors.Is(err, inbox.ErrStale):
		return New(http.StatusConflict, "stale", "the ticket changed since you opened it; reload and review before sending")
	case errors.Is(err, inbox.ErrAlreadyImported):
		return New(http.StatusConflict, "already_imported", "this item was imported already")
	case errors.Is(err, store.ErrNotFound):
		return New(http.StatusNotFound, "not_found", "not found")
	case errors.Is(err, store.ErrConflict), store.IsDuplicate(err):
		return New(http.StatusConflict, "conflict", "already exists")
	case errors.Is(err, store.ErrBadCursor):
		return New(http.StatusBadRequest, "bad_cursor", "cursor is not valid")
	case errors.As(err, &le):
		e := New(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait and try again")
		e.RetryAfter = le.Wait
		return e.With("seconds", int(le.Wait/time.Second))
	case errors.Is(err, auth.ErrBusy):
		e := New(http.StatusServiceUnavailable, "busy", "too many sign-ins at once; try again in a moment")
		e.RetryAfter = auth.BusyRetry
		return e
	case errors.Is(err, auth.ErrBadCredentials):
		return New(http.StatusUnauthorized, "bad_credentials", "wrong email or password")
	case errors.Is(err, auth.ErrWrongPassword):
		return New(http.StatusForbidden, "bad_credentials", "the current password is wrong").Because("wrong_password")
	case errors.Is(err, auth.ErrPasswordShort):
		return invalid("password_short", fmt.Sprintf("the password must be at least %d characters", auth.MinPassword)).With("min", auth.MinPassword)
	case errors.Is(err, auth.ErrPasswordLong):
		return invalid("password_long", fmt.Sprintf("the password must be at most %d bytes", auth.MaxPassword)).With("max", auth.MaxPassword)
	case errors.Is(err, auth.ErrSelfDeactivate):
		return invalid("self_deactivate", "you cannot deactivate yourself")
	case errors.Is(err, auth.ErrBadRole):
		return invalid("bad_role", "role must be agent or admin")
	case errors.Is(err, auth.ErrBadEmail):
		return invalid("bad_email", "email is required")
	}
	return Internal(err)
}

// invalid returns a 422 "invalid" error for reason.
func invalid(reason, message string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Reason: reason, Message: message}
}
