package email

// Content-Transfer-Encoding, read leniently. go-message knows the five
// RFC 2045 names spelled exactly; mailers in the wild also write "8-bit",
// "8 bit", "base-64", "quoted_printable" or names nobody knows. Such a part
// is decoded by what the name most likely means, and the walker records the
// repair so the untouched original is kept with the message.

import (
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
)

// Transfer encodings after normalization.
const (
	encIdentity = "identity" // 7bit, 8bit, binary or none
	encBase64   = "base64"
	encQP       = "quoted-printable"
)

// transferEncoding maps a Content-Transfer-Encoding value to the decoding to
// use. exact is false when the value is not one of RFC 2045's names as
// written (case and surrounding space aside); an unknown name is read as is.
func transferEncoding(v string) (enc string, exact bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch v {
	case "", "7bit", "8bit", "binary":
		return encIdentity, true
	case "base64":
		return encBase64, true
	case "quoted-printable":
		return encQP, true
	}
	// Keep letters and digits only: "8-bit", "8 bit", "base_64", "Base 64",
	// "quoted printable", "base64; x" all reduce to a recognizable core.
	key := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, v)
	switch {
	case key == "7bit" || key == "8bit" || key == "7bits" || key == "8bits" || key == "binary" || key == "bit7" || key == "bit8":
		return encIdentity, false
	case strings.Contains(key, "base64") || key == "b64":
		return encBase64, false
	case strings.Contains(key, "quoted") || strings.Contains(key, "printable") || key == "qp":
		return encQP, false
	}
	return encIdentity, false
}

// decodeTransfer returns a reader of body decoded as enc. Decoding never
// fails: what cannot be decoded is skipped (base64) or passed through
// (quoted-printable), and problem is called once with what happened.
func decodeTransfer(enc string, body io.Reader, problem func(string)) io.Reader {
	switch enc {
	case encBase64:
		return &lazyReader{fill: func() []byte {
			b, err := io.ReadAll(body)
			if err != nil {
				problem(fmt.Sprintf("a part ended early (%v)", err))
			}
			out, stray := lenientBase64(b)
			if stray > 0 {
				problem(fmt.Sprintf("%d stray bytes in base64 data were skipped", stray))
			}
			return out
		}}
	case encQP:
		return &lazyReader{fill: func() []byte {
			b, err := io.ReadAll(body)
			if err != nil {
				problem(fmt.Sprintf("a part ended early (%v)", err))
			}
			out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
			if err != nil {
				problem(fmt.Sprintf("quoted-printable data could not be decoded (%v); kept as is", err))
				return b
			}
			return out
		}}
	}
	return body
}

// lazyReader reads the bytes fill returns, calling it on the first Read, so
// a part nobody reads is never decoded.
type lazyReader struct {
	fill func() []byte
	r    *bytes.Reader
}

func (l *lazyReader) Read(p []byte) (int, error) {
	if l.r == nil {
		l.r = bytes.NewReader(l.fill())
	}
	return l.r.Read(p)
}

// lenientBase64 decodes base64 the way a forgiving mail reader does: white
// space is ignored, the URL-safe alphabet is accepted, padding ends a chunk
// (so concatenated encodings decode), a trailing partial group yields its
// whole bytes, and any other byte is skipped and counted.
func lenientBase64(b []byte) (out []byte, stray int) {
	out = make([]byte, 0, len(b)*3/4)
	var acc uint32
	n := 0 // sextets in acc
	flush := func() {
		switch n {
		case 2:
			out = append(out, byte(acc>>4))
		case 3:
			out = append(out, byte(acc>>10), byte(acc>>2))
		}
		acc, n = 0, 0
	}
	for _, c := range b {
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+' || c == '-':
			v = 62
		case c == '/' || c == '_':
			v = 63
		case c == '=':
			flush()
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		default:
			stray++
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	if n == 1 {
		stray++ // six bits make no byte
	}
	flush()
	return out, stray
}
