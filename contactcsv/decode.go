// Package contactcsv imports contacts from CSV files (as people export them
// from spreadsheets, Korean Excel included) and writes contacts as CSV.
//
// An import streams: the file is decoded (UTF-8 with or without BOM,
// UTF-16 with BOM, or CP949/EUC-KR), read one record at a time, checked
// against the attribute definitions and written in batches of
// Options.BatchSize rows, one transaction each. Memory holds one batch, the
// rejected rows kept for the report (at most MaxRejectedShown) and the
// set of addresses already seen (for duplicates within the file), never
// the file. A dry run (the preview) reads the whole file the same way and
// writes nothing.
package contactcsv

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings an import accepts.
const (
	EncodingAuto  = "auto"
	EncodingUTF8  = "utf-8"
	EncodingCP949 = "cp949" // also EUC-KR, its subset; what Korean Excel saves as "CSV"
	EncodingUTF16 = "utf-16"
)

// NormEncoding maps a user's choice to one of the Encoding constants; ok is
// false for an unknown name.
func NormEncoding(name string) (string, bool) {
	switch name {
	case "", EncodingAuto:
		return EncodingAuto, true
	case EncodingUTF8, "utf8":
		return EncodingUTF8, true
	case EncodingCP949, "euc-kr", "euckr", "ks_c_5601-1987", "windows-949":
		return EncodingCP949, true
	case EncodingUTF16, "utf-16le":
		return EncodingUTF16, true
	}
	return "", false
}

// sniffBytes is how much of a file detection looks at.
const sniffBytes = 64 << 10

// decoder returns r decoded to UTF-8 and the encoding it used. With
// EncodingAuto a BOM decides; without one, the first 64 KiB decide: valid
// UTF-8 is UTF-8, anything else is taken for CP949 (Korean Excel's CSV).
// A UTF-8 BOM is dropped in every mode.
func decoder(r io.Reader, enc string) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		if enc == EncodingAuto || enc == EncodingUTF8 {
			_, _ = br.Discard(3)
			return br, EncodingUTF8, nil
		}
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		if enc == EncodingAuto || enc == EncodingUTF16 {
			enc = EncodingUTF16
		}
	}
	if enc == EncodingAuto {
		enc = EncodingCP949
		if validPrefix(head, len(head) == sniffBytes) {
			enc = EncodingUTF8
		}
	}
	switch enc {
	case EncodingCP949:
		return transform.NewReader(br, korean.EUCKR.NewDecoder()), enc, nil
	case EncodingUTF16:
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()), enc, nil
	}
	return br, EncodingUTF8, nil
}

// validPrefix says whether b is UTF-8, allowing a rune cut at the end when
// b is only the start of the file.
func validPrefix(b []byte, cut bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if !cut {
		return false
	}
	for i := 1; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return true
		}
	}
	return false
}
