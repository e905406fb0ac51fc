package email

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// The MIME walk: text, HTML and attachments out of a message's tree of parts.

// maxDepth bounds MIME nesting; hostile mail nests thousands of levels.
const maxDepth = 12

// maxParts bounds the number of MIME parts looked at.
const maxParts = 500

var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset=["']?([a-z0-9_\-:.]+)`)

// walker collects the readable text, HTML, attachments and any delivery
// report of a MIME tree, and the repairs a malformed tree needed.
type walker struct {
	hint    string
	parts   int
	text    strings.Builder
	html    strings.Builder
	notes   strings.Builder
	atts    []inbox.Attachment
	report  *dsn
	repairs []string
}

// maxRepairs bounds the repairs listed for one message.
const maxRepairs = 10

// repair records that the message was not well-formed and had to be read by
// a guess or in part; the original is then kept with the message.
func (w *walker) repair(what string) {
	what = plaintext.Clip(cleanLine(what), 300) // errors may quote the mail's bytes
	if len(w.repairs) < maxRepairs && !slices.Contains(w.repairs, what) {
		w.repairs = append(w.repairs, what)
	}
}

// entity makes the entity of a header and its raw body, decoding the
// transfer encoding itself (leniently, see transfer.go) and leaving the
// charset to go-message. Multipart bodies are never transfer-decoded (RFC
// 2045 allows only identity there; mailers that say otherwise are wrong).
func (w *walker) entity(h textproto.Header, body io.Reader) *message.Entity {
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.Get("Content-Type"))), "multipart/") {
		v := h.Get("Content-Transfer-Encoding")
		enc, exact := transferEncoding(v)
		if !exact {
			w.repair(fmt.Sprintf("Content-Transfer-Encoding %q was read as %s", strings.TrimSpace(v), enc))
		}
		body = decodeTransfer(enc, body, w.repair)
		if h.Has("Content-Transfer-Encoding") {
			h = h.Copy()
			h.Del("Content-Transfer-Encoding")
		}
	}
	// The only errors New reports are unknown charsets; the entity is still
	// readable and readText guesses the charset.
	ent, _ := message.New(message.Header{Header: h}, body)
	return ent
}

// parts iterates over the parts of a multipart body.
type parts struct {
	w  *walker
	mr *textproto.MultipartReader
	n  int
}

// next returns the next part, or nil at the end. A broken structure ends
// the parts early and is recorded as a repair.
func (p *parts) next() *message.Entity {
	part, err := p.mr.NextPart()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			p.w.repair(fmt.Sprintf("the MIME structure breaks after part %d (%v); the rest could not be read", p.n, err))
		}
		return nil
	}
	p.n++
	return p.w.entity(part.Header, part)
}

func (w *walker) walk(ent *message.Entity, depth int) {
	w.parts++
	if depth > maxDepth || w.parts > maxParts {
		w.note("[parts nested too deep were skipped]")
		w.repair("parts nested too deep or too many parts were skipped")
		return
	}
	mediaType, params, err := ent.Header.ContentType()
	if err != nil {
		mediaType, params = lenientContentType(ent.Header.Get("Content-Type"))
	}
	if mediaType == "" {
		mediaType = "text/plain"
	}
	mediaType = strings.ToLower(mediaType)
	if strings.HasPrefix(mediaType, "multipart/") {
		w.walkMultipart(ent, mediaType, params, depth)
		return
	}
	disp, dparams, derr := ent.Header.ContentDisposition()
	if derr != nil {
		disp, dparams = lenientContentType(ent.Header.Get("Content-Disposition"))
	}
	disp = strings.ToLower(disp)
	name := fileName(dparams["filename"], params["name"], w.hint)
	isText := mediaType == "text/plain" || mediaType == "text/html"
	if isText && disp != "attachment" && name == "" {
		body := w.readText(ent, params["charset"], mediaType)
		if mediaType == "text/html" {
			w.html.WriteString(body)
		} else {
			if w.text.Len() > 0 && !strings.HasSuffix(w.text.String(), "\n") {
				w.text.WriteString("\n")
			}
			w.text.WriteString(body)
		}
		return
	}
	data, err := io.ReadAll(io.LimitReader(ent.Body, inbox.MaxAttachmentBytes+1))
	if err != nil {
		w.repair(fmt.Sprintf("an attachment ended early (%v)", err))
		if len(data) == 0 {
			w.note(fmt.Sprintf("[an attachment could not be decoded: %v]", err))
			return
		}
	}
	if name == "" {
		name = defaultName(mediaType, ent.Header, w.hint)
	}
	if len(data) > inbox.MaxAttachmentBytes {
		w.note(fmt.Sprintf("[attachment %q was too large to keep]", name))
		w.repair(fmt.Sprintf("attachment %q was too large to keep", name))
		return
	}
	if len(w.atts) >= inbox.MaxAttachments {
		w.note(fmt.Sprintf("[attachment %q was skipped: too many attachments]", name))
		w.repair("attachments over the limit were skipped")
		return
	}
	cid := strings.Trim(strings.TrimSpace(ent.Header.Get("Content-Id")), "<>")
	w.atts = append(w.atts, inbox.Attachment{
		Name:        name,
		ContentType: mediaType,
		Data:        data,
		ContentID:   plaintext.Clip(cid, 255),
		Inline:      disp == "inline" || (disp == "" && cid != "" && strings.HasPrefix(mediaType, "image/")),
	})
}

func (w *walker) walkMultipart(ent *message.Entity, mediaType string, params map[string]string, depth int) {
	// Buffer the body so a multipart without a usable boundary can still be
	// shown as text instead of being lost.
	body, err := io.ReadAll(io.LimitReader(ent.Body, 64<<20))
	if err != nil {
		w.repair(fmt.Sprintf("a multipart ended early (%v)", err))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return // nothing there (an over-size mail's headers)
	}
	if params["boundary"] == "" || !bytes.Contains(body, []byte("--"+params["boundary"])) {
		w.repair("a multipart without its boundary was read as text")
		w.text.WriteString(guessDecode(body, w.hint))
		return
	}
	ps := &parts{w: w, mr: textproto.NewMultipartReader(bytes.NewReader(body), params["boundary"])}
	if mediaType == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") && depth == 0 {
		w.report = &dsn{}
		w.walkReport(ps)
		return
	}
	if mediaType != "multipart/alternative" {
		for part := ps.next(); part != nil; part = ps.next() {
			w.walk(part, depth+1)
			if w.parts > maxParts {
				return
			}
		}
		return
	}
	// Alternatives: keep the richest text and HTML versions (the last of each).
	var text, html string
	for part := ps.next(); part != nil && w.parts <= maxParts; part = ps.next() {
		sub := &walker{hint: w.hint, parts: w.parts}
		sub.walk(part, depth+1)
		w.parts = sub.parts
		if s := sub.text.String(); strings.TrimSpace(s) != "" {
			text = s
		}
		if s := sub.html.String(); strings.TrimSpace(s) != "" {
			html = s
		}
		w.atts = append(w.atts, sub.atts...)
		w.notes.WriteString(sub.notes.String())
		for _, r := range sub.repairs {
			w.repair(r)
		}
	}
	if text != "" {
		if w.text.Len() > 0 {
			w.text.WriteString("\n")
		}
		w.text.WriteString(text)
	}
	w.html.WriteString(html)
}

// originalName is the attachment that keeps a repaired mail as received.
const originalName = "original-message.eml"

// maxOriginalBytes bounds that attachment (a variable so tests can shrink it).
var maxOriginalBytes = inbox.MaxAttachmentBytes

// content is the message's text, HTML and attachments within the inbox's
// bounds: text from the HTML when there is no text part, over-long text cut
// with a mark, over-long HTML dropped (the text stays), and the walker's notes
// about skipped parts appended. When the walk needed repairs the raw mail is
// attached as originalName (if it fits; kept reports whether it did), so a
// wrong guess never loses what the customer sent.
func (w *walker) content(raw []byte) (text, html string, atts []inbox.Attachment, kept bool) {
	text, html, atts = w.text.String(), w.html.String(), w.atts
	if text == "" && html != "" {
		text = plaintext.FromHTML(html)
	}
	if len(html) > inbox.MaxHTMLBytes {
		html = ""
	}
	notes := w.notes.String()
	if len(w.repairs) > 0 && len(raw) <= maxOriginalBytes {
		if len(atts) >= inbox.MaxAttachments {
			// The original holds every part, the dropped one included.
			atts = atts[:inbox.MaxAttachments-1]
		}
		atts = append(atts, inbox.Attachment{Name: originalName, ContentType: "message/rfc822", Data: raw})
		kept = true
		notes += "\n[This mail was malformed and Hanbox repaired it (" + strings.Join(w.repairs, "; ") +
			"). The mail as received is attached as " + originalName + ".]"
	}
	// Room is kept for the notes and for one more that the channel may add.
	if room := inbox.MaxTextBytes - len(notes) - 1024; len(text) > room {
		text = plaintext.Clip(text, room-len("\n[… truncated]")) + "\n[… truncated]"
	}
	text += notes
	if strings.TrimSpace(text) == "" && strings.TrimSpace(html) == "" && len(atts) == 0 {
		text = "(empty message)"
	}
	return text, html, atts, kept
}

func (w *walker) note(s string) {
	if s != "" {
		w.notes.WriteString("\n" + s)
	}
}

// readText reads a text part as UTF-8. go-message already converted known
// charsets; unknown, missing or lying (us-ascii with 8-bit bytes) ones are
// decoded by guessing, with an HTML meta charset as a hint.
func (w *walker) readText(ent *message.Entity, charset, mediaType string) string {
	b, err := io.ReadAll(io.LimitReader(ent.Body, 8<<20))
	if err != nil {
		w.repair(fmt.Sprintf("a text part ended early (%v)", err))
	}
	if utf8.Valid(b) {
		return string(b)
	}
	h := charset
	if mediaType == "text/html" {
		if m := metaCharset.FindSubmatch(b); m != nil {
			h = string(m[1])
		}
	}
	if h == "" {
		h = w.hint
	}
	return guessDecode(b, h)
}

// fileName picks an attachment name: RFC 2231 filename (decoded by mime),
// else the Content-Type name; encoded words that mailers put in quoted
// parameters are decoded too.
func fileName(disp, ctName, hint string) string {
	name := disp
	if name == "" {
		name = ctName
	}
	if name == "" {
		return ""
	}
	if strings.Contains(name, "=?") {
		dec := mime.WordDecoder{CharsetReader: charsetReader}
		if s, err := dec.DecodeHeader(name); err == nil {
			name = s
		}
	}
	if !utf8.ValidString(name) {
		name = guessDecode([]byte(name), hint)
	}
	return cleanLine(name)
}

func defaultName(mediaType string, h message.Header, hint string) string {
	if mediaType == "message/rfc822" {
		return "forwarded.eml"
	}
	ext := ""
	if exts, _ := mime.ExtensionsByType(mediaType); len(exts) > 0 {
		ext = exts[0]
	}
	if cid := strings.Trim(h.Get("Content-Id"), "<> "); cid != "" {
		base, _, _ := strings.Cut(cid, "@")
		return cleanLine(base) + ext
	}
	_, sub, _ := strings.Cut(mediaType, "/")
	if ext == "" && sub != "" {
		ext = "." + sub
	}
	return "attachment" + ext
}

// lenientContentType reads "type/sub; name=x" when mime rejected it.
func lenientContentType(v string) (string, map[string]string) {
	params := map[string]string{}
	parts := strings.Split(v, ";")
	mt := strings.ToLower(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		k = strings.TrimSuffix(k, "*")
		params[k] = strings.Trim(strings.TrimSpace(val), `"`)
	}
	return mt, params
}
