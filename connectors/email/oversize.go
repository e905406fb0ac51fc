package email

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message/textproto"
)

// Mail over max_message_bytes is not imported, by IMAP or by the SMTP
// listener: its header block goes to the quarantine with the reason, and with
// an X-Hanbox-Dropped field saying what was dropped (the parts, with names,
// types and sizes, as far as they are known). When an admin retries it, the
// message is imported from the headers and its text is that note, so the
// ticket says what the customer sent instead of "(empty message)".

// droppedField carries the note in the quarantined header block; Parse reads
// it only for input handed back from the quarantine (ParseOptions.Retry).
const droppedField = "X-Hanbox-Dropped"

// maxDroppedParts bounds the parts listed in the note.
const maxDroppedParts = 20

// droppedPart is one part of an over-size mail.
type droppedPart struct {
	name      string // file name, "" for a body text
	mediaType string
	size      int64 // decoded bytes, approximate for base64
}

// droppedNote says what an over-size mail held; parts may be nil (unknown).
func droppedNote(size, limit int64, parts []droppedPart) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[This mail was %s, over this channel's %s limit, so Hanbox imported only its headers. ", humanSize(size), humanSize(limit))
	if len(parts) == 0 {
		b.WriteString("Its text and any attachments were dropped.")
	} else {
		b.WriteString("Dropped: ")
		for i, p := range parts {
			if i > 0 {
				b.WriteString(", ")
			}
			if p.name == "" && strings.HasPrefix(p.mediaType, "text/") {
				fmt.Fprintf(&b, "the text (%s, %s)", p.mediaType, humanSize(p.size))
			} else {
				name := p.name
				if name == "" {
					name = "an unnamed part"
				}
				fmt.Fprintf(&b, "%s (%s, %s)", name, p.mediaType, humanSize(p.size))
			}
		}
		b.WriteString(".")
	}
	b.WriteString(" The original is only in the sender's mailbox: ask for a smaller mail or a link to the files.]")
	return b.String()
}

// humanSize writes n bytes in decimal units.
func humanSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
	}
}

// oversizeReason is the quarantine reason shown to admins.
func oversizeReason(size, limit int64) string {
	return fmt.Sprintf("message of %d bytes is over the %d byte limit (max_message_bytes): only its headers were kept; "+
		"retrying imports them with a note saying what was dropped", size, limit)
}

// quarantineOversize quarantines the header block of an over-size mail with
// the dropped-parts note in front.
func (c *Channel) quarantineOversize(ctx context.Context, raw []byte, source string, size int64, parts []droppedPart) error {
	limit := c.settings.MaxMessageBytes
	head := headerOnly(raw)
	field := droppedField + ": " + mime.QEncoding.Encode("utf-8", droppedNote(size, limit, parts)) + "\r\n"
	return c.quarantine(ctx, append([]byte(field), head...), source, oversizeReason(size, limit))
}

// readDroppedNote returns the note of a quarantined over-size mail's header
// block, or "".
func readDroppedNote(h textproto.Header) string {
	v := h.Get(droppedField)
	if v == "" {
		return ""
	}
	dec := mime.WordDecoder{CharsetReader: charsetReader}
	s, err := dec.DecodeHeader(v)
	if err != nil {
		return ""
	}
	return cleanLine(s)
}

// partsOfStream lists the parts of a mail read from r to its end, without
// keeping their bodies, and counts its bytes. A read error of r is returned
// (the listener's size cap); a malformed structure only ends the list.
func partsOfStream(r io.Reader) ([]droppedPart, int64, error) {
	cr := &stickyReader{r: r}
	br := bufio.NewReader(cr)
	var parts []droppedPart
	if h, err := textproto.ReadHeader(br); err == nil {
		streamParts(h, br, 0, &parts)
	}
	if _, err := io.Copy(io.Discard, br); err != nil && cr.err == nil {
		cr.err = err
	}
	return parts, cr.n, cr.err
}

func streamParts(h textproto.Header, body io.Reader, depth int, out *[]droppedPart) {
	mt, params := lenientContentType(h.Get("Content-Type"))
	if mt == "" {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < maxDepth {
		mr := textproto.NewMultipartReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			streamParts(p.Header, p, depth+1, out)
		}
	}
	n, err := io.Copy(io.Discard, body)
	if err != nil {
		return
	}
	_, dparams := lenientContentType(h.Get("Content-Disposition"))
	name := fileName(dparams["filename"], params["name"], params["charset"])
	if enc, _ := transferEncoding(h.Get("Content-Transfer-Encoding")); enc == encBase64 {
		n = n * 57 / 78 // 57 bytes per 76-character line and its CRLF
	}
	if len(*out) < maxDroppedParts {
		*out = append(*out, droppedPart{name: name, mediaType: mt, size: n})
	}
}

// partsOfStructure lists the parts an IMAP BODYSTRUCTURE describes.
func partsOfStructure(bs imap.BodyStructure) []droppedPart {
	if bs == nil {
		return nil
	}
	var parts []droppedPart
	bs.Walk(func(_ []int, p imap.BodyStructure) bool {
		sp, ok := p.(*imap.BodyStructureSinglePart)
		if !ok || len(parts) >= maxDroppedParts {
			return len(parts) < maxDroppedParts
		}
		n := int64(sp.Size)
		if strings.EqualFold(sp.Encoding, "base64") {
			n = n * 57 / 78
		}
		name := sp.Filename()
		if strings.Contains(name, "=?") {
			dec := mime.WordDecoder{CharsetReader: charsetReader}
			if s, err := dec.DecodeHeader(name); err == nil {
				name = s
			}
		}
		parts = append(parts, droppedPart{name: cleanLine(name), mediaType: sp.MediaType(), size: n})
		return true
	})
	return parts
}

// stickyReader counts what its reader gave and remembers the first error
// other than io.EOF.
type stickyReader struct {
	r   io.Reader
	n   int64
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}
