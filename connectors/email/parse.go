package email

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/hanbox/hanbox/inbox"
)

// ErrMalformed means a message could not be understood well enough to become
// a ticket message; the caller quarantines the raw bytes.
var ErrMalformed = errors.New("email: malformed message")

// maxDepth bounds MIME nesting; hostile mail nests thousands of levels.
const maxDepth = 12

// maxParts bounds the number of MIME parts looked at.
const maxParts = 500

// ParseOptions tell Parse about the receiving channel.
type ParseOptions struct {
	ChannelID int64
	// Own are the channel's own addresses (lower case). Recipients matching
	// them are not participants, and local+token@domain variants of them
	// carry a reply token.
	Own []string
}

// Parsed is the result of Parse: a customer message, or a delivery report
// about a message Hanbox sent.
type Parsed struct {
	Inbound *inbox.Inbound
	Bounce  *Bounce
}

// Bounce is a delivery status notification (RFC 3464) about one of our
// messages.
type Bounce struct {
	// OriginalMessageID is the Message-ID of the message that bounced,
	// without angle brackets; empty when the report does not say.
	OriginalMessageID string
	// Failed is false for reports that only announce a delay or success.
	Failed     bool
	Recipients []string
	Reason     string
}

var (
	subjectNumber = regexp.MustCompile(`\[#(\d{4,12})\]`)
	addrSpec      = regexp.MustCompile(`[^\s<>(),;:"'\[\]]+@[^\s<>(),;:"'\[\]]+\.[^\s<>(),;:"'\[\]]+`)
	metaCharset   = regexp.MustCompile(`(?i)<meta[^>]+charset=["']?([a-z0-9_\-:.]+)`)
	vacationSubj  = regexp.MustCompile(`(?i)^(auto(matic)?[ -]?(reply|response)|out of (the )?office|vacation|away from|absence|자동\s*(응답|회신)|부재\s*중|休暇|自動応答|不在|自动回复)`)
)

// Parse turns one raw RFC 5322 message into an Inbound, or a Bounce for a
// delivery status notification. It never panics; it returns an error wrapping
// ErrMalformed when the message cannot be used.
func Parse(raw []byte, opts ParseOptions) (p *Parsed, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: parser panic: %v", ErrMalformed, r)
		}
	}()
	ent, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if ent.Header.Len() == 0 {
		return nil, fmt.Errorf("%w: no header", ErrMalformed)
	}
	h := ent.Header
	_, topParams, _ := h.ContentType()
	hint := topParams["charset"]

	w := &walker{hint: hint}
	w.walk(ent, 0)

	if w.report != nil {
		return &Parsed{Bounce: w.report.bounce()}, nil
	}

	from := parseAddrs(h, "From", hint)
	if len(from) == 0 {
		from = parseAddrs(h, "Sender", hint)
	}
	if len(from) == 0 {
		from = parseAddrs(h, "Return-Path", hint)
	}
	if len(from) == 0 {
		return nil, fmt.Errorf("%w: no sender address", ErrMalformed)
	}
	sender := from[0]
	replyTo := parseAddrs(h, "Reply-To", hint)
	if isOwn(sender.Address, opts.Own) && len(replyTo) > 0 && !isOwn(replyTo[0].Address, opts.Own) {
		// A web form or relay writing as us on the customer's behalf: the
		// customer is whoever answers go to.
		sender = replyTo[0]
	}

	msgID := firstMsgID(h.Get("Message-Id"))
	if msgID == "" {
		sum := sha256.Sum256(raw)
		msgID = "sha256." + hex.EncodeToString(sum[:16]) + "@hanbox.invalid"
	}
	subject := cleanLine(headerText(h, "Subject", hint))

	in := &inbox.Inbound{
		ChannelID:  opts.ChannelID,
		ExternalID: truncate(msgID, inbox.MaxExternalID),
		Subject:    subject,
		Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: strings.ToLower(sender.Address), Verified: true,
			Name: cleanLine(sender.Name)},
		OwnKeys: []string{"email:" + msgID},
	}

	// Thread keys, strongest first: In-Reply-To, References newest first,
	// then the reply token of a local+token@ recipient.
	inReplyTo := ParseMsgIDs(h.Get("In-Reply-To"))
	refs := ParseMsgIDs(h.Get("References"))
	in.ThreadKeys = ThreadKeys(inReplyTo, refs)

	to := parseAddrs(h, "To", hint)
	cc := parseAddrs(h, "Cc", hint)
	var tokenRcpts []*mail.Address
	tokenRcpts = append(tokenRcpts, to...)
	tokenRcpts = append(tokenRcpts, cc...)
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"} {
		for _, v := range h.Values(k) {
			if a := addrSpec.FindString(v); a != "" {
				tokenRcpts = append(tokenRcpts, &mail.Address{Address: a})
			}
		}
	}
	for _, a := range tokenRcpts {
		if tok := replyToken(a.Address, opts.Own); tok != "" {
			in.ThreadKeys = appendUnique(in.ThreadKeys, inbox.TokenKey(tok))
		}
	}
	if m := subjectNumber.FindStringSubmatch(subject); m != nil {
		in.FallbackNumber, _ = strconv.ParseInt(m[1], 10, 64)
	}

	seen := map[string]bool{strings.ToLower(sender.Address): true}
	for _, a := range append(append([]*mail.Address(nil), to...), cc...) {
		addr := strings.ToLower(a.Address)
		if seen[addr] || isOwn(addr, opts.Own) {
			continue
		}
		seen[addr] = true
		in.Participants = append(in.Participants, inbox.ContactRef{Kind: inbox.IdentityEmail, ID: addr, Name: cleanLine(a.Name)})
	}

	if d, err := mail.ParseDate(h.Get("Date")); err == nil && d.Before(time.Now().Add(24*time.Hour)) && d.Year() > 1990 {
		in.SentAt = d.UTC()
	}
	in.Auto = isAuto(h, subject, sender.Address)

	text, html := w.text.String(), w.html.String()
	if text == "" && html != "" {
		text = htmlToText(html)
	}
	if len(text) > inbox.MaxTextBytes {
		text = truncate(text, inbox.MaxTextBytes-64) + "\n[… truncated]"
	}
	if len(html) > inbox.MaxHTMLBytes {
		html = ""
	}
	text += w.notes.String()
	if strings.TrimSpace(text) == "" && strings.TrimSpace(html) == "" && len(w.atts) == 0 {
		text = "(empty message)"
	}
	in.Text, in.HTML, in.Attachments = text, html, w.atts

	meta := map[string]any{
		"from":       sender.Address,
		"subject":    subject,
		"message_id": msgID,
	}
	if sender.Name != "" {
		meta["from_name"] = cleanLine(sender.Name)
	}
	if len(to) > 0 {
		meta["to"] = addrStrings(to)
	}
	if len(cc) > 0 {
		meta["cc"] = addrStrings(cc)
	}
	if len(replyTo) > 0 && !isOwn(replyTo[0].Address, opts.Own) {
		meta["reply_to"] = replyTo[0].Address
	}
	if len(refs) > 0 {
		meta["references"] = refs
	}
	if len(inReplyTo) > 0 {
		meta["in_reply_to"] = inReplyTo[0]
	}
	if q := QuoteStart(text); q >= 0 {
		meta["quoted_from"] = q
	}
	in.Meta = meta
	return &Parsed{Inbound: in}, nil
}

// ThreadKeys returns the "email:" thread keys of a message: In-Reply-To
// first, then References newest first, without duplicates.
func ThreadKeys(inReplyTo, references []string) []string {
	var keys []string
	for _, id := range inReplyTo {
		keys = appendUnique(keys, "email:"+id)
	}
	for i := len(references) - 1; i >= 0; i-- {
		keys = appendUnique(keys, "email:"+references[i])
	}
	return keys
}

// ParseMsgIDs extracts message ids (without angle brackets) from an
// In-Reply-To or References value. It is lenient: mailers fold, comment and
// sometimes drop the brackets.
func ParseMsgIDs(v string) []string {
	var ids []string
	rest := v
	found := false
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		found = true
		if id := cleanMsgID(rest[i+1 : i+j]); id != "" {
			ids = appendUnique(ids, id)
		}
		rest = rest[i+j+1:]
	}
	if !found {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				if id := cleanMsgID(f); id != "" {
					ids = appendUnique(ids, id)
				}
			}
		}
	}
	if len(ids) > 100 {
		ids = ids[len(ids)-100:] // the newest matter; bound hostile headers
	}
	return ids
}

func firstMsgID(v string) string {
	ids := ParseMsgIDs(v)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func cleanMsgID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, "<>,;")
	if s == "" || len(s) > 400 || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return ""
		}
	}
	return s
}

// replyToken returns the token of a local+token@domain recipient whose
// local@domain is one of own.
func replyToken(addr string, own []string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	local, domain := addr[:at], addr[at+1:]
	base, tok, ok := strings.Cut(local, "+")
	if !ok || tok == "" {
		return ""
	}
	if !isOwn(base+"@"+domain, own) {
		return ""
	}
	for _, r := range tok {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return tok
}

func isOwn(addr string, own []string) bool {
	addr = strings.ToLower(addr)
	for _, o := range own {
		if addr == o {
			return true
		}
		if at := strings.LastIndexByte(addr, '@'); at > 0 {
			if base, _, ok := strings.Cut(addr[:at], "+"); ok && base+addr[at:] == o {
				return true
			}
		}
	}
	return false
}

func isAuto(h message.Header, subject, from string) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	if h.Has("X-Autoreply") || h.Has("X-Autorespond") {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	if h.Has("List-Id") || h.Has("List-Unsubscribe") && h.Has("Precedence") {
		return true
	}
	local, _, _ := strings.Cut(strings.ToLower(from), "@")
	if local == "mailer-daemon" || local == "postmaster" {
		return true
	}
	return vacationSubj.MatchString(strings.TrimSpace(subject))
}

// headerText decodes a header field's encoded words; raw 8-bit values
// (Korean webmail sends EUC-KR unencoded) are decoded by guessing.
func headerText(h message.Header, key, hint string) string {
	v, err := h.Text(key)
	if err != nil {
		v = h.Get(key)
	}
	if !utf8.ValidString(v) {
		v = guessDecode([]byte(v), hint)
	}
	return v
}

// parseAddrs parses an address list leniently: strict RFC 5322 first, then any
// addr-spec looking strings.
func parseAddrs(h message.Header, key, hint string) []*mail.Address {
	var out []*mail.Address
	for _, raw := range h.Values(key) {
		if !utf8.ValidString(raw) {
			raw = guessDecode([]byte(raw), hint)
		}
		p := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader}}
		list, err := p.ParseList(raw)
		if err == nil {
			for _, a := range list {
				if a.Address != "" && len(a.Address) <= 320 {
					out = append(out, a)
				}
			}
			continue
		}
		for _, a := range addrSpec.FindAllString(raw, 50) {
			if len(a) <= 320 {
				out = append(out, &mail.Address{Address: a})
			}
		}
	}
	return out
}

func addrStrings(l []*mail.Address) []string {
	out := make([]string, 0, len(l))
	for _, a := range l {
		out = append(out, strings.ToLower(a.Address))
	}
	return out
}

func appendUnique(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

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
		ContentID:   truncate(cid, 255),
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

func (w *walker) note(s string) {
	if s != "" {
		w.notes.WriteString("\n" + s)
	}
}

// walkReport reads a multipart/report; report-type=delivery-status.
func (w *walker) walkReport(mr message.MultipartReader) {
	for i := 0; i < 20; i++ {
		part, err := mr.NextPart()
		if err != nil {
			return
		}
		mt, _, _ := part.Header.ContentType()
		switch strings.ToLower(mt) {
		case "message/delivery-status", "message/global-delivery-status":
			b, _ := io.ReadAll(io.LimitReader(part.Body, 1<<20))
			w.report.parseStatus(b)
		case "text/rfc822-headers", "message/rfc822", "message/rfc822-headers", "message/global", "message/global-headers":
			br := bufio.NewReader(io.LimitReader(part.Body, 1<<20))
			hdr, _ := textproto.ReadHeader(br)
			if id := firstMsgID(hdr.Get("Message-Id")); id != "" {
				w.report.originalID = id
			}
		case "text/plain":
			if w.report.human == "" {
				b, _ := io.ReadAll(io.LimitReader(part.Body, 4<<10))
				w.report.human = strings.TrimSpace(strings.ToValidUTF8(string(b), ""))
			}
		}
	}
}

type dsn struct {
	originalID string
	actions    []string
	rcpts      []string
	diag       []string
	human      string
}

func (d *dsn) parseStatus(b []byte) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	cont := -1 // index in d.diag that a folded line continues
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			cont = -1
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cont >= 0 {
				d.diag[cont] += " " + strings.TrimSpace(line)
			}
			continue
		}
		cont = -1
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "action":
			d.actions = append(d.actions, strings.ToLower(v))
		case "final-recipient":
			if _, addr, ok := strings.Cut(v, ";"); ok {
				v = addr
			}
			d.rcpts = append(d.rcpts, strings.TrimSpace(v))
		case "diagnostic-code", "status":
			d.diag = append(d.diag, v)
			cont = len(d.diag) - 1
		case "original-message-id", "x-original-message-id":
			if id := firstMsgID(v); id != "" && d.originalID == "" {
				d.originalID = id
			}
		}
	}
}

func (d *dsn) bounce() *Bounce {
	b := &Bounce{OriginalMessageID: d.originalID, Recipients: d.rcpts}
	for _, a := range d.actions {
		if a == "failed" {
			b.Failed = true
		}
	}
	if len(d.actions) == 0 {
		b.Failed = true // a report without per-recipient actions is a failure notice
	}
	reason := strings.Join(d.diag, "; ")
	if reason == "" {
		reason = d.human
	}
	if len(d.rcpts) > 0 {
		reason = strings.Join(d.rcpts, ", ") + ": " + reason
	}
	b.Reason = truncate(cleanLine(reason), 900)
	return b
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

var (
	htmlBreak = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/tr|/h[1-6]|/li)\b[^>]*>`)
	htmlTag   = regexp.MustCompile(`(?s)<[^>]*>`)
	htmlDrop  = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)\s*>`)
	blankRuns = regexp.MustCompile(`\n{3,}`)
)

// htmlToText makes searchable plain text of an HTML-only message.
func htmlToText(s string) string {
	s = htmlDrop.ReplaceAllString(s, "")
	s = htmlBreak.ReplaceAllString(s, "\n")
	s = htmlTag.ReplaceAllString(s, "")
	s = htmlUnescape(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(blankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

var htmlEntities = strings.NewReplacer("&nbsp;", " ", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&apos;", "'")

func htmlUnescape(s string) string { return htmlEntities.Replace(s) }

var quoteHeads = []*regexp.Regexp{
	regexp.MustCompile(`(?m)^On .{4,200}wrote:\s*$`),
	regexp.MustCompile(`(?m)^20\d\d[년./-].{0,120}(작성|님이 작성|wrote).{0,10}:\s*$`),
	regexp.MustCompile(`(?m)^.{0,120}님이 작성:\s*$`),
	regexp.MustCompile(`(?m)^-{2,}\s*(Original Message|원본 메시지|Forwarded message|전달된 메시지|元のメッセージ|原始邮件)\s*-{2,}`),
	regexp.MustCompile(`(?m)^(From|보낸 사람|보낸사람|差出人|发件人)\s*:.+\n(Sent|Date|보낸 날짜|날짜|送信日時|发送时间)\s*:`),
	regexp.MustCompile(`(?m)^________________________________\s*$`),
	regexp.MustCompile(`(?m)^>`),
}

// QuoteStart returns the byte offset where quoted history begins in a reply's
// text (an attribution line, an Outlook header block or the first ">" line),
// or -1. The full text is stored; the UI folds from this offset.
func QuoteStart(text string) int {
	best := -1
	for _, re := range quoteHeads {
		if loc := re.FindStringIndex(text); loc != nil && (best < 0 || loc[0] < best) {
			best = loc[0]
		}
	}
	if best == 0 {
		return -1 // a message that is all quote: show it all
	}
	return best
}
