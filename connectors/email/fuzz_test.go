package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse: any input either parses into a valid-looking Inbound or Bounce,
// or fails with an error; it never panics, and text is always UTF-8.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, b := range corpus() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p *Parsed
		var err error
		done := make(chan struct{})
		go func() { p, err = Parse(raw, ParseOptions{ChannelID: 1, Own: testOwn}); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Parse hangs on %q", raw)
		}
		if err != nil {
			if p != nil {
				t.Fatal("result and error together")
			}
			return
		}
		switch {
		case p.Bounce != nil:
			if p.Inbound != nil {
				t.Fatal("both bounce and inbound")
			}
		case p.Inbound != nil:
			in := p.Inbound
			if in.ExternalID == "" || in.Contact.ID == "" || !strings.Contains(in.Contact.ID, "@") {
				t.Fatalf("incomplete inbound: id %q contact %q", in.ExternalID, in.Contact.ID)
			}
			for _, s := range []string{in.Subject, in.Text, in.Contact.Name} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8: %q", s)
				}
			}
			if strings.TrimSpace(in.Text) == "" && strings.TrimSpace(in.HTML) == "" && len(in.Attachments) == 0 {
				t.Fatal("empty message would be rejected by the inbox")
			}
		default:
			t.Fatal("neither bounce nor inbound")
		}
	})
}

// FuzzThreadKeys: References/In-Reply-To parsing yields clean, bounded ids.
func FuzzThreadKeys(f *testing.F) {
	for _, s := range []string{
		"<a@b> <c@d>", "<" + ourMsgID + ">", "a@b c@d", "<a@b>\r\n\t<c@d> (x)", "<<>>", "<a b@c>", "<a@b",
		"<CAGmail-reply-1@mail.gmail.com> <first.customer@mail.gmail.com>",
	} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, irt, refs string) {
		a, b := ParseMsgIDs(irt), ParseMsgIDs(refs)
		if len(b) > 100 {
			t.Fatalf("%d references kept", len(b))
		}
		keys := ThreadKeys(a, b)
		seen := map[string]bool{}
		for _, k := range keys {
			id := strings.TrimPrefix(k, "email:")
			if seen[k] || id == "" || strings.ContainsAny(id, "<> \t\r\n") || !utf8.ValidString(id) {
				t.Fatalf("bad key %q in %v", k, keys)
			}
			seen[k] = true
		}
		if len(a) > 0 && keys[0] != "email:"+a[0] {
			t.Fatalf("In-Reply-To not first: %v", keys)
		}
	})
}
