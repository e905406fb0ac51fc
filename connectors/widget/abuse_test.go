package widget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

func settingsWith(t testing.TB, extra map[string]any) map[string]any {
	s := loadSettings(t, "settings.json")
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func errorCode(t testing.TB, r *http.Response) string {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return body.Error.Code
}

// blobFiles counts the stored blob files under the data directory.
func blobFiles(t testing.TB, st *store.Store) int {
	n := 0
	filepath.WalkDir(filepath.Join(st.DataDir, "attachments"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			n++
		}
		return nil
	})
	return n
}

// Anonymous visitors could fill the disk with uploads never sent (issue 10
// item 6). Uploads waiting for a message are bounded per visitor and per
// channel; sending them frees the quota.
func TestUploadQuotas(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, settingsWith(t, map[string]any{"visitor_upload_files": 2, "channel_upload_files": 3}))
		a := h.session(SessionRequest{})
		up := func(token, text string) (*http.Response, UploadResponse) {
			return h.upload(token, "f.txt", "text/plain", []byte(text))
		}
		_, u1 := up(a.SessionToken, "first file")
		_, u2 := up(a.SessionToken, "second file")
		if u1.Ref == "" || u2.Ref == "" {
			t.Fatal("uploads within the quota refused")
		}
		r, _ := up(a.SessionToken, "third file")
		if r.StatusCode != http.StatusTooManyRequests || errorCode(t, r) != "upload_quota" {
			t.Fatalf("third upload of the visitor: %d", r.StatusCode)
		}
		// Another visitor fills the channel's quota.
		b := h.session(SessionRequest{})
		if r, _ := up(b.SessionToken, "b's file"); r.StatusCode != http.StatusCreated {
			t.Fatalf("b's upload: %d", r.StatusCode)
		}
		c := h.session(SessionRequest{})
		if r, _ := up(c.SessionToken, "c's file"); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("upload over the channel quota: %d", r.StatusCode)
		}
		// A sends both files: they are on a message now and count no more.
		var out frame
		if r := h.do("POST", "/messages", a.SessionToken, frame{Type: "message", ClientID: "m-1", Text: "files", Refs: []string{u1.Ref, u2.Ref}}, &out); r.StatusCode != 200 || len(out.Attachments) != 2 {
			t.Fatalf("message with uploads: %d %+v", r.StatusCode, out)
		}
		if r, _ := up(c.SessionToken, "c's file"); r.StatusCode != http.StatusCreated {
			t.Fatalf("upload after the quota was freed: %d", r.StatusCode)
		}
		if r, _ := up(a.SessionToken, "third file"); r.StatusCode != http.StatusCreated {
			t.Fatalf("visitor's upload after sending: %d", r.StatusCode)
		}
	})
}

// Below the free-disk floor uploads are refused with a clear error and
// nothing is written.
func TestUploadRefusedWhenDiskIsLow(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarnessWith(t, dialect, nil, nil, inbox.Options{MinFreeDisk: 64 << 20, FreeDisk: func() (uint64, error) { return 10 << 20, nil }})
		s := h.session(SessionRequest{})
		r, _ := h.upload(s.SessionToken, "p.png", "image/png", pngBytes())
		if r.StatusCode != http.StatusInsufficientStorage || errorCode(t, r) != "storage_full" {
			t.Fatalf("upload on a full disk: %d", r.StatusCode)
		}
		if n := blobFiles(t, h.env.Store); n != 0 {
			t.Fatalf("%d blob files written", n)
		}
	})
}

// Uploads never sent are collected after the channel's grace period with
// their files; files on a message stay.
func TestUnattachedUploadsCollected(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		s := h.session(SessionRequest{VisitorToken: strings.Repeat("v", 40)})
		_, abandoned := h.upload(s.SessionToken, "left.txt", "text/plain", []byte("never sent"))
		_, sent := h.upload(s.SessionToken, "sent.txt", "text/plain", []byte("sent with a message"))
		var out frame
		if r := h.do("POST", "/messages", s.SessionToken, frame{Type: "message", ClientID: "m-1", Text: "see file", Refs: []string{sent.Ref}}, &out); r.StatusCode != 200 {
			t.Fatalf("message: %d", r.StatusCode)
		}
		if n := blobFiles(t, h.env.Store); n != 2 {
			t.Fatalf("%d blobs before collection", n)
		}
		// A day and an hour later (the default grace is 24 h).
		later := time.Now().Add(25 * time.Hour)
		h.conn.setClock(func() time.Time { return later })
		h.conn.collectUploads(context.Background())
		if n := blobFiles(t, h.env.Store); n != 1 {
			t.Fatalf("%d blobs after collection, want 1", n)
		}
		var rows int64
		h.env.Store.DB.Model(&store.Upload{}).Count(&rows)
		if rows != 0 {
			t.Fatalf("%d upload rows left", rows)
		}
		s2 := h.session(SessionRequest{VisitorToken: strings.Repeat("v", 40)})
		resp, err := http.Get(h.url(fmt.Sprintf("/attachments/%d?token=%s", out.Attachments[0].ID, s2.SessionToken)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "sent with a message" {
			t.Fatalf("sent file after collection: %d %q", resp.StatusCode, b)
		}
		if r := h.do("POST", "/messages", s2.SessionToken, frame{Type: "message", ClientID: "m-2", Text: "late", Refs: []string{abandoned.Ref}}, nil); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("collected upload still usable: %d", r.StatusCode)
		}
	})
}

// A message with NUL bytes got 503 "retry" on PostgreSQL (issue 10 item 8),
// a poison message the script resent forever. NULs are dropped at the edge;
// the message is stored on both stores.
func TestMessageWithNULIsStored(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		s := h.session(SessionRequest{Name: "김\x00민지"})
		var out frame
		r := h.do("POST", "/messages", s.SessionToken, frame{Type: "message", ClientID: "nul-1", Text: "주문\x00번호 A-1234",
			Page: &pageInfo{URL: testOrigin + "/\x00", Title: "T\x00"}, Locale: "ko\x00"}, &out)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("message with NUL: %d", r.StatusCode)
		}
		if out.Text != "주문번호 A-1234" {
			t.Errorf("echo %q", out.Text)
		}
		c := h.mustDial(s.SessionToken, "")
		c.send(frame{Type: "message", ClientID: "nul-2", Text: "\x00두 번째\x00"})
		if f := c.next("message"); f.Type != "message" || f.Text != "두 번째" {
			t.Fatalf("ws message with NUL: %+v", f)
		}
		c.send(frame{Type: "message", ClientID: "nul-3", Text: "\x00"})
		if f := c.next("error"); f.Code != "invalid" {
			t.Fatalf("NUL-only message: %+v", f)
		}
		ts := h.env.Tickets()
		if len(ts) != 1 || ts[0].Contact.Name != "김민지" {
			t.Fatalf("tickets %+v", ts)
		}
		if ms := h.env.Messages(ts[0].ID); len(ms) != 2 || ms[0].Text != "주문번호 A-1234" {
			t.Fatalf("messages %+v", ms)
		}
	})
}

// refusingInbox is an inbox whose ingest fails with a given error.
type refusingInbox struct {
	connectors.Visitors
	err error
}

func (f refusingInbox) Ingest(context.Context, *inbox.Inbound) (inbox.IngestResult, error) {
	return inbox.IngestResult{}, f.err
}

func (f refusingInbox) ContactByIdentity(context.Context, string, string) (*inbox.Contact, error) {
	return nil, inbox.ErrNotFound
}

func (f refusingInbox) FirstResponseMedian(context.Context, int64, int) (time.Duration, error) {
	return 0, nil
}

// Only errors that may pass ask the script to resend: a message the inbox
// refuses is a 422 that says why, never a 503 "retry".
func TestIngestErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		says   string
	}{
		{"refused", fmt.Errorf("inbox: ingest: %w", fmt.Errorf("%w: text holds a NUL character", inbox.ErrInvalid)), 422, "invalid", "text holds a NUL character"},
		{"refused plainly", inbox.ErrInvalid, 422, "invalid", "cannot be sent"},
		{"database down", errors.New("inbox: ingest: dial tcp: connection refused"), 503, "unavailable", "resent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := New(connectors.Channel{ID: 1, Kind: Kind, PublicKey: "pk", Settings: loadSettings(t, "settings.json")},
				connectors.Deps{Visitors: refusingInbox{err: tc.err}, State: &memState{m: map[string]string{}}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.StripPrefix("/w", conn))
			defer srv.Close()
			h := &harness{t: t, srv: srv, ch: store.Channel{PublicKey: "pk"}}
			h.prefix = "/w"
			s := h.session(SessionRequest{})
			var body struct {
				Error struct {
					Code, Message string
					RetryAfter    int `json:"retry_after"`
				}
			}
			r := h.do("POST", "/messages", s.SessionToken, frame{Type: "message", ClientID: "x-1", Text: "hello"}, &body)
			if r.StatusCode != tc.status || body.Error.Code != tc.code || !strings.Contains(body.Error.Message, tc.says) {
				t.Fatalf("answer %d %+v; want %d %s %q", r.StatusCode, body.Error, tc.status, tc.code, tc.says)
			}
			if tc.status < 500 && r.Header.Get("Retry-After") != "" {
				t.Errorf("a refused message says Retry-After")
			}
		})
	}
}

// memState is a connector state in memory.
type memState struct{ m map[string]string }

func (s *memState) Get(_ context.Context, k string) (string, error) {
	v, ok := s.m[k]
	if !ok {
		return "", connectors.ErrNotFound
	}
	return v, nil
}

func (s *memState) Put(_ context.Context, k, v string) error { s.m[k] = v; return nil }
