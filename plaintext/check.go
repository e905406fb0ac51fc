package plaintext

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors of the text checks. They say what is wrong with a value a person
// sent; the HTTP edge turns them into 400 (ErrInvalidUTF8) and 422 (the rest).
var (
	ErrInvalidUTF8 = errors.New("plaintext: not valid UTF-8")
	ErrControl     = errors.New("plaintext: control character")
	ErrTooLong     = errors.New("plaintext: too long")
)

// Line checks a one-line value such as a name, a subject or a tag and
// returns it with surrounding spaces trimmed. It must be valid UTF-8, hold no
// control character (NUL, a line break, a tab, DEL, C1) and be at most max
// characters long (max <= 0: no bound). Characters, not bytes, are counted,
// as PostgreSQL's varchar(n) does.
func Line(s string, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrInvalidUTF8
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", ErrControl
	}
	s = strings.TrimSpace(s)
	if max > 0 && utf8.RuneCountInString(s) > max {
		return "", ErrTooLong
	}
	return s, nil
}

// Text normalises multi-line free text such as a reply or a note: invalid
// UTF-8 is an error; NUL bytes are removed (they show as nothing, and
// PostgreSQL cannot store them); every other character is kept. The result
// must be at most maxBytes long (maxBytes <= 0: no bound).
func Text(s string, maxBytes int) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrInvalidUTF8
	}
	s = strings.ReplaceAll(s, "\x00", "")
	if maxBytes > 0 && len(s) > maxBytes {
		return "", ErrTooLong
	}
	return s, nil
}
