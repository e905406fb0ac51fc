package email

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	gocharset "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Korean and Chinese mail often names its charset in ways the IANA index does
// not know (cp949, ms949, x-windows-949) or means a superset of what it says
// (gb2312 is written by GBK mailers). x/text's EUC-KR decoder covers CP949
// (Unified Hangul Code), so every Korean name maps to it.
func init() {
	for _, name := range []string{"euc-kr", "cp949", "ms949", "windows-949", "x-windows-949", "uhc", "ks_c_5601-1987", "ks_c_5601", "ksc5601", "x-euc-kr", "korean"} {
		gocharset.RegisterEncoding(name, korean.EUCKR)
	}
	for _, name := range []string{"gb2312", "x-gbk", "cp936", "gbk", "euc-cn", "x-euc-cn"} {
		gocharset.RegisterEncoding(name, simplifiedchinese.GBK)
	}
	gocharset.RegisterEncoding("iso-2022-kr", ISO2022KR)
	gocharset.RegisterEncoding("csiso2022kr", ISO2022KR)
}

// ISO2022KR is the 7-bit Korean mail encoding of RFC 1557: ASCII with KS X
// 1001 (the EUC-KR repertoire) shifted in by SO (0x0E) and out by SI (0x0F),
// announced once by the designator ESC $ ) C. x/text has no decoder for it.
// Encoding is not supported: Hanbox only writes UTF-8.
var ISO2022KR encoding.Encoding = iso2022kr{}

type iso2022kr struct{}

func (iso2022kr) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &iso2022krDecoder{}}
}

func (iso2022kr) NewEncoder() *encoding.Encoder {
	return encoding.Replacement.NewEncoder()
}

func (iso2022kr) String() string { return "ISO-2022-KR" }

type iso2022krDecoder struct {
	shifted bool
}

var iso2022krDesignator = []byte("\x1b$)C")

func (d *iso2022krDecoder) Reset() { d.shifted = false }

func (d *iso2022krDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	var pair [2]byte
	for nSrc < len(src) {
		b := src[nSrc]
		switch {
		case b == 0x1b:
			rest := src[nSrc:]
			if len(rest) < len(iso2022krDesignator) && !atEOF && bytes.HasPrefix(iso2022krDesignator, rest) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if bytes.HasPrefix(rest, iso2022krDesignator) {
				nSrc += len(iso2022krDesignator)
				continue
			}
			// A stray escape: drop it rather than emit a control character.
			nSrc++
			continue
		case b == 0x0e:
			d.shifted = true
			nSrc++
			continue
		case b == 0x0f:
			d.shifted = false
			nSrc++
			continue
		case b == '\r' || b == '\n':
			// RFC 1557: every line starts in ASCII.
			d.shifted = false
		case d.shifted && b > 0x20 && b < 0x7f:
			if nSrc+1 >= len(src) {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				if nDst+3 > len(dst) {
					return nDst, nSrc, transform.ErrShortDst
				}
				nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
				nSrc++
				continue
			}
			b2 := src[nSrc+1]
			r := utf8.RuneError
			if b2 > 0x20 && b2 < 0x7f {
				pair[0], pair[1] = b|0x80, b2|0x80
				if out, e := korean.EUCKR.NewDecoder().Bytes(pair[:]); e == nil {
					if rr, _ := utf8.DecodeRune(out); rr != utf8.RuneError {
						r = rr
					}
				}
			}
			if nDst+utf8.RuneLen(r) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], r)
			nSrc += 2
			continue
		}
		if b >= 0x80 {
			// Not 7-bit: keep the text readable instead of emitting bad UTF-8.
			if nDst+3 > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
			nSrc++
			continue
		}
		if nDst >= len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		dst[nDst] = b
		nDst++
		nSrc++
	}
	return nDst, nSrc, nil
}

// charsetReader converts input in the named charset to UTF-8, through
// go-message's table extended above.
func charsetReader(name string, input io.Reader) (io.Reader, error) {
	return gocharset.Reader(name, input)
}

// decodeBytes converts b from charset to UTF-8. It reports false when the
// charset is unknown.
func decodeBytes(charset string, b []byte) (string, bool) {
	r, err := charsetReader(strings.TrimSpace(charset), bytes.NewReader(b))
	if err != nil {
		return "", false
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return "", false
	}
	return string(out), true
}

// guessDecode makes text out of bytes whose charset is unknown or missing:
// UTF-8 when valid, else CP949 (the most common legacy charset of our
// senders) when that decodes cleanly, else Windows-1252, which maps every byte.
func guessDecode(b []byte, hint string) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if hint != "" {
		if s, ok := decodeBytes(hint, b); ok && !strings.ContainsRune(s, utf8.RuneError) {
			return s
		}
	}
	if s, err := korean.EUCKR.NewDecoder().Bytes(b); err == nil && !bytes.ContainsRune(s, utf8.RuneError) {
		return string(s)
	}
	s, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return strings.ToValidUTF8(string(s), "\uFFFD")
}
