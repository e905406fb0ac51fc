package email

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"

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
// report of a MIME tree.
type walker struct {
	hint   string
	parts  int
	text   strings.Builder
	html   strings.Builder
	notes  strings.Builder
	atts   []inbox.Attachment
	report *dsn
}

func (w *walker) walk(ent *message.Entity, depth int) {
	w.parts++
	if depth > maxDepth || w.parts > maxParts {
		w.note("[parts nested too deep were skipped]")
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
		body := readText(ent, params["charset"], mediaType, w.hint)
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
	if err != nil && len(data) == 0 {
		w.note(fmt.Sprintf("[an attachment could not be decoded: %v]", err))
		return
	}
	if name == "" {
		name = defaultName(mediaType, ent.Header, w.hint)
	}
	if len(data) > inbox.MaxAttachmentBytes {
		w.note(fmt.Sprintf("[attachment %q was too large to keep]", name))
		return
	}
	if len(w.atts) >= inbox.MaxAttachments {
		w.note(fmt.Sprintf("[attachment %q was skipped: too many attachments]", name))
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
	body, _ := io.ReadAll(io.LimitReader(ent.Body, 64<<20))
	if params["boundary"] == "" || !bytes.Contains(body, []byte("--"+params["boundary"])) {
		w.text.WriteString(guessDecode(body, w.hint))
		return
	}
	sub, _ := message.New(ent.Header, bytes.NewReader(body))
	mr := sub.MultipartReader()
	if mr == nil {
		return
	}
	if mediaType == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") && depth == 0 {
		w.report = &dsn{}
		w.walkReport(mr)
		return
	}
	if mediaType != "multipart/alternative" {
		for {
			part, err := mr.NextPart()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					w.note("[the rest of this message could not be read]")
				}
				return
			}
			w.walk(part, depth+1)
			if w.parts > maxParts {
				return
			}
		}
	}
	// Alternatives: keep the richest text and HTML versions (the last of each).
	var text, html string
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		if w.parts > maxParts {
			break
		}
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
	}
	if text != "" {
		if w.text.Len() > 0 {
			w.text.WriteString("\n")
		}
		w.text.WriteString(text)
	}
	w.html.WriteString(html)
}

// content is the message's text, HTML and attachments within the inbox's
// bounds: text from the HTML when there is no text part, over-long text cut
// with a mark, over-long HTML dropped (the text stays), and the walker's notes
// about skipped parts appended.
func (w *walker) content() (text, html string, atts []inbox.Attachment) {
	text, html = w.text.String(), w.html.String()
	if text == "" && html != "" {
		text = plaintext.FromHTML(html)
	}
	if len(text) > inbox.MaxTextBytes {
		text = plaintext.Clip(text, inbox.MaxTextBytes-64) + "\n[… truncated]"
	}
	if len(html) > inbox.MaxHTMLBytes {
		html = ""
	}
	text += w.notes.String()
	if strings.TrimSpace(text) == "" && strings.TrimSpace(html) == "" && len(w.atts) == 0 {
		text = "(empty message)"
	}
	return text, html, w.atts
}

func (w *walker) note(s string) {
	if s != "" {
		w.notes.WriteString("\n" + s)
	}
}

// readText reads a text part as UTF-8. go-message already converted known
// charsets; unknown, missing or lying (us-ascii with 8-bit bytes) ones are
// decoded by guessing, with an HTML meta charset as a hint.
func readText(ent *message.Entity, charset, mediaType, hint string) string {
	b, err := io.ReadAll(io.LimitReader(ent.Body, 8<<20))
	if err != nil && len(b) == 0 {
		return ""
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
		h = hint
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
