package plaintext

import "testing"

func TestStripBidi(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"김민지", "김민지"},
		{"\u202Enimda 관리자", "nimda 관리자"},
		{"invoice\u202Egnp.exe", "invoicegnp.exe"},
		{"a\u202Ab\u202Bc\u202Cd\u202De", "abcde"},
		{"\u2066x\u2067y\u2068z\u2069", "xyz"},
		{"שלום \u200Fעולם", "שלום \u200Fעולם"}, // RTL text and marks stay
		{"مرحبا", "مرحبا"},
	} {
		if got := StripBidi(c.in); got != c.want {
			t.Errorf("StripBidi(%q) = %q, want %q", c.in, got, c.want)
		}
		if HasBidi(c.in) != (c.in != c.want) {
			t.Errorf("HasBidi(%q) = %v", c.in, HasBidi(c.in))
		}
	}
}
