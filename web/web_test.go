package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

func TestCheckURL(t *testing.T) {
	cases := map[string]string{
		"/api/v1/tickets/abc?tag=%EB%B0%B0%EC%86%A1": "",
		"/api/v1/tickets/%ff":                        "bad_utf8",
		"/api/v1/tickets/%00":                        "bad_utf8",
		"/tickets?tag=%ff":                           "bad_utf8",
		"/tickets?q=%00":                             "bad_utf8",
		"/tickets?%ff=1":                             "bad_utf8",
		"/tickets?q=%zz":                             "bad_query",
		"/tickets?q=a+b&view=open":                   "",
	}
	for target, want := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		p, q, _ := strings.Cut(target, "?")
		r.URL.RawQuery = q
		r.URL.Path = mustUnescape(t, p)
		got := ""
		if e := CheckURL(r); e != nil {
			got = e.Code
			if e.Status != http.StatusBadRequest {
				t.Errorf("%s: status %d", target, e.Status)
			}
		}
		if got != want {
			t.Errorf("%s: %q, want %q", target, got, want)
		}
	}
}

func mustUnescape(t *testing.T, p string) string {
	t.Helper()
	r := httptest.NewRequest("GET", p, nil)
	return r.URL.Path
}

func TestFieldsKeepTheFirstProblem(t *testing.T) {
	var f Fields
	if got := f.Line("name", "  김민지 ", 10); got != "김민지" {
		t.Fatalf("Line = %q", got)
	}
	if got := f.Text("body", "a\x00b", 0); got != "ab" {
		t.Fatalf("Text = %q", got)
	}
	if f.Err() != nil {
		t.Fatalf("no problem yet: %v", f.Err())
	}
	f.Line("subject", strings.Repeat("x", 11), 10)
	f.Line("team", "a\x00", 10)
	var e *Error
	if !errors.As(f.Err(), &e) || e.Reason != "too_long" || e.Params["field"] != "subject" || e.Params["max"] != 10 {
		t.Fatalf("first problem: %+v", f.Err())
	}
	var g Fields
	g.Lines("tags", []string{"ok", "b\xffad"}, 64)
	if !errors.As(g.Err(), &e) || e.Code != "bad_utf8" || e.Status != 400 {
		t.Fatalf("invalid UTF-8 in a list: %+v", g.Err())
	}
	var h Fields
	h.Require("name", "")
	if !errors.As(h.Err(), &e) || e.Reason != "required" || e.Status != 422 {
		t.Fatalf("required: %+v", h.Err())
	}
}

func TestFromError(t *testing.T) {
	internal := errors.New("pq: relation \"agents\" does not exist")
	cases := []struct {
		err                  error
		status               int
		code, reason, detail string
	}{
		{fmt.Errorf("wrapped: %w", store.ErrNotFound), 404, "not_found", "", ""},
		{&auth.LimitError{Wait: 30e9}, 429, "rate_limited", "", ""},
		{auth.ErrBusy, 503, "busy", "", ""},
		{fmt.Errorf("auth: %w", auth.ErrSelfDeactivate), 422, "invalid", "self_deactivate", ""},
		{fmt.Errorf("inbox: reply to ticket 3: %w", &inbox.InvalidError{Code: "message_empty", Reason: "reply is empty"}), 422, "invalid", "message_empty", "reply is empty"},
		{&inbox.InvalidError{Code: "invalid", Reason: "channel is required"}, 422, "invalid", "", "channel is required"},
		{inbox.ErrStale, 409, "stale", "", ""},
		{internal, 500, "internal", "", ""},
	}
	for _, c := range cases {
		e := FromError(c.err)
		if e.Status != c.status || e.Code != c.code || e.Reason != c.reason {
			t.Errorf("%v: %d %s/%s, want %d %s/%s", c.err, e.Status, e.Code, e.Reason, c.status, c.code, c.reason)
		}
		if c.detail != "" && e.Message != c.detail {
			t.Errorf("%v: message %q", c.err, e.Message)
		}
		if strings.Contains(e.Message, "pq:") || strings.Contains(e.Message, "auth:") || strings.Contains(e.Message, "inbox:") {
			t.Errorf("%v: internal text in the message %q", c.err, e.Message)
		}
	}
	if e := FromError(internal); !errors.Is(e, internal) {
		t.Error("the internal cause is not kept for the log")
	}
	if e := FromError(&auth.LimitError{Wait: 30e9}); e.RetryAfter != 30e9 {
		t.Errorf("Retry-After %v", e.RetryAfter)
	}
	if FromError(nil) != nil {
		t.Error("nil is not an error")
	}
}
