package plaintext

import (
	"strings"
	"unicode/utf8"
)

// Scrub returns s as text every store accepts: NUL bytes are removed and each
// run of bytes that is not UTF-8 becomes one U+FFFD. PostgreSQL refuses both
// in text columns where SQLite stores them, so text from outside is scrubbed
// before it is stored, and the stores then hold the same thing. Valid text
// without NUL is returned as is.
func Scrub(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// Clean reports whether s needs no scrubbing.
func Clean(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// ScrubAll scrubs each string of ss in place and returns ss.
func ScrubAll(ss []string) []string {
	for i, s := range ss {
		ss[i] = Scrub(s)
	}
	return ss
}

// ScrubValue returns v with every string in it scrubbed, map keys included:
// v is a JSON-like value (string, []string, []any, map[string]any,
// map[string]string, nested); other values are returned unchanged. Maps and
// slices that need no change are returned as they are; others are copied, so
// the caller's value is never modified.
func ScrubValue(v any) any {
	switch x := v.(type) {
	case string:
		return Scrub(x)
	case []string:
		if allClean(x) {
			return x
		}
		return ScrubAll(append([]string(nil), x...))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ScrubValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[Scrub(k)] = ScrubValue(e)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, e := range x {
			out[Scrub(k)] = Scrub(e)
		}
		return out
	}
	return v
}

func allClean(ss []string) bool {
	for _, s := range ss {
		if !Clean(s) {
			return false
		}
	}
	return true
}
