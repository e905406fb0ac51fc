package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/hanbox/hanbox/plaintext"
)

// CheckURL checks a request's path and query before any handler reads them:
// every part must be valid UTF-8 without NUL bytes (a database would refuse
// them, and no route or filter means them), and the query must be well
// formed. nil means the request may go on.
func CheckURL(r *http.Request) *Error {
	if !plaintext.Clean(r.URL.Path) {
		return badUTF8("path")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return New(http.StatusBadRequest, "bad_query", "the query string is malformed").Because("malformed_query")
	}
	for k, vs := range q {
		if !plaintext.Clean(k) {
			return badUTF8("query")
		}
		for _, v := range vs {
			if !plaintext.Clean(v) {
				return badUTF8(k)
			}
		}
	}
	return nil
}

func badUTF8(field string) *Error {
	return Errorf(http.StatusBadRequest, "bad_utf8", "%s is not valid UTF-8 text", field).With("field", field)
}

// Fields checks the fields of one decoded request and keeps the first
// problem, so a handler checks every field in a row and asks once:
//
//	var f web.Fields
//	name := f.Line("name", b.Name, 255)
//	if err := f.Err(); err != nil { return err }
type Fields struct {
	err *Error
}

// Line checks a one-line field (plaintext.Line): control characters, NUL
// included, are refused; max counts characters.
func (f *Fields) Line(field, s string, max int) string {
	out, err := plaintext.Line(s, max)
	f.fail(field, max, err)
	return out
}

// Lines checks every value of a list field like Line.
func (f *Fields) Lines(field string, ss []string, max int) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, f.Line(field, s, max))
	}
	return out
}

// Text checks a free-text field (plaintext.Text): NUL bytes are removed;
// maxBytes counts bytes.
func (f *Fields) Text(field, s string, maxBytes int) string {
	out, err := plaintext.Text(s, maxBytes)
	f.fail(field, maxBytes, err)
	return out
}

// Require records a missing field when s is empty.
func (f *Fields) Require(field, s string) {
	if s == "" && f.err == nil {
		f.err = invalid("required", field+" is required").With("field", field)
	}
}

// Err returns the first problem found, or nil.
func (f *Fields) Err() error {
	if f.err == nil {
		return nil
	}
	return f.err
}

func (f *Fields) fail(field string, max int, err error) {
	if err == nil || f.err != nil {
		return
	}
	switch {
	case errors.Is(err, plaintext.ErrInvalidUTF8):
		f.err = badUTF8(field)
	case errors.Is(err, plaintext.ErrControl):
		f.err = invalid("invalid_text", field+" must not contain control characters").With("field", field)
	case errors.Is(err, plaintext.ErrTooLong):
		f.err = invalid("too_long", fmt.Sprintf("%s is longer than %d", field, max)).With("field", field).With("max", max)
	default:
		f.err = Internal(err)
	}
}
