package plaintext

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestScrub(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"배송 문의", "배송 문의"},
		{"a\x00b", "ab"},
		{"\x00\x00", ""},
		{"caf\xe9", "caf\uFFFD"},         // Latin-1 é
		{"\xff\xfe\xfd ok", "\uFFFD ok"}, // one replacement per invalid run
		{"\xed\xa0\x80", "\uFFFD"},       // an encoded surrogate is not UTF-8
		{"배\xea\xb0", "배\uFFFD"},         // a character cut in half
		{"a\x00\xffb", "a\uFFFDb"},       // both at once
		{"", ""},
	} {
		got := Scrub(c.in)
		if got != c.want {
			t.Errorf("Scrub(%q) = %q, want %q", c.in, got, c.want)
		}
		if !utf8.ValidString(got) || !Clean(got) {
			t.Errorf("Scrub(%q) = %q is not clean", c.in, got)
		}
		if Scrub(got) != got {
			t.Errorf("Scrub is not idempotent on %q", got)
		}
	}
	if Clean("a\x00") || Clean("\xff") || !Clean("배송") {
		t.Error("Clean misjudges")
	}
}

func TestScrubValue(t *testing.T) {
	in := map[string]any{
		"page\x00": "http://shop.test/\xff",
		"cc":       []string{"a@example.com", "b\x00@example.com"},
		"nested":   map[string]any{"list": []any{"x\xfe", 3.0, true, nil}},
		"headers":  map[string]string{"X\xff": "v\x00"},
		"n":        42,
	}
	want := map[string]any{
		"page":    "http://shop.test/\uFFFD",
		"cc":      []string{"a@example.com", "b@example.com"},
		"nested":  map[string]any{"list": []any{"x\uFFFD", 3.0, true, nil}},
		"headers": map[string]string{"X\uFFFD": "v"},
		"n":       42,
	}
	got := ScrubValue(in)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ScrubValue = %#v\nwant %#v", got, want)
	}
	if in["cc"].([]string)[1] != "b\x00@example.com" {
		t.Fatal("ScrubValue changed its input")
	}
}
