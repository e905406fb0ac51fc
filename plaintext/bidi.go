package plaintext

import "strings"

// isBidiControl reports the characters that change the direction of the
// text after them until a matching pop: the embeddings and overrides
// U+202A–U+202E and the isolates U+2066–U+2069. In a name or a file name
// they only serve to make it read as something else ("invoice\u202Egnp.exe"
// shows as "invoiceexe.png"), and an unclosed one runs on into whatever is
// printed next to it.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// StripBidi returns s without bidirectional embedding, override and isolate
// controls (U+202A–U+202E, U+2066–U+2069), for names and file names shown
// to agents and customers. Right-to-left text itself is kept and still
// displays right to left; the marks U+200E/U+200F, which cannot reorder
// neighbouring text, are kept too. Text without them is returned as is.
func StripBidi(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// HasBidi reports whether s holds a bidirectional control StripBidi removes.
func HasBidi(s string) bool { return strings.ContainsFunc(s, isBidiControl) }
