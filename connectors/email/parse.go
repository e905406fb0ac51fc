package email

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
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
	"github.com/hanbox/hanbox/plaintext"
)

// ErrMalformed means a message could not be understood well enough to become
// a ticket message; the caller quarantines the raw bytes.
var ErrMalformed = errors.New("email: malformed message")

// ParseOptions tell Parse about the receiving channel.
type ParseOptions struct {
	ChannelID int64
	// Own are the channel's own addresses (lower case). Recipients matching
	// them are not participants, and local+token@domain variants of them
	// carry a reply token.
	Own []string
	// Retry is set for input handed back from the quarantine: only then is
	// the note Hanbox put on an over-size mail's headers (X-Hanbox-Dropped)
	// believed and shown as the message text.
	Retry bool
}

// Parsed is the result of Parse: a customer message, or a delivery report
// about a message Hanbox sent.
type Parsed struct {
	Inbound *inbox.Inbound
	Bounce  *Bounce
	// Repairs say how a malformed message was read (a misspelled transfer
	// encoding, a broken MIME structure); empty for well-formed mail.
	// OriginalKept reports that the raw message is attached to Inbound
	// (it is not when it is larger than an attachment may be).
	Repairs      []string
	OriginalKept bool
}

var (
	subjectNumber = regexp.MustCompile(`\[#(\d{4,12})\]`)
	addrSpec      = regexp.MustCompile(`[^\s<>(),;:"'\[\]]+@[^\s<>(),;:"'\[\]]+\.[^\s<>(),;:"'\[\]]+`)
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
	br := bufio.NewReader(bytes.NewReader(raw))
	th, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if th.Len() == 0 {
		return nil, fmt.Errorf("%w: no header", ErrMalformed)
	}
	w := &walker{}
	ent := w.entity(th, br)
	_, topParams, _ := ent.Header.ContentType()
	w.hint = topParams["charset"]
	hint := w.hint
	w.walk(ent, 0)
	if w.report != nil {
		return &Parsed{Bounce: w.report.bounce()}, nil
	}
	e, err := readEnvelope(ent.Header, hint, opts.Own)
	if err != nil {
		return nil, err
	}
	digest := contentDigest(raw)
	if e.msgID == "" {
		e.msgID = syntheticID(digest)
	}
	in := &inbox.Inbound{
		ChannelID:  opts.ChannelID,
		ExternalID: plaintext.Clip(e.msgID, inbox.MaxExternalID),
		Subject:    e.subject,
		Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: strings.ToLower(e.sender.Address), Verified: true,
			Name: cleanLine(e.sender.Name)},
		OwnKeys:      []string{"email:" + e.msgID},
		ThreadKeys:   e.threadKeys(ent.Header, opts.Own),
		Participants: e.participants(opts.Own),
		Auto:         isAuto(ent.Header, e.subject, e.sender.Address),
	}
	if m := subjectNumber.FindStringSubmatch(e.subject); m != nil {
		in.FallbackNumber, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if d, err := mail.ParseDate(ent.Header.Get("Date")); err == nil && d.Before(time.Now().Add(24*time.Hour)) && d.Year() > 1990 {
		in.SentAt = d.UTC()
	}
	var kept bool
	in.Text, in.HTML, in.Attachments, kept = w.content(raw)
	if note := readDroppedNote(th); opts.Retry && note != "" {
		in.Text = withNote(strings.TrimSuffix(in.Text, "(empty message)"), note)
	}
	in.Meta = e.meta(opts.Own, in.Text)
	in.Meta["digest"] = hex.EncodeToString(digest[:])
	if len(w.repairs) > 0 {
		in.Meta["repaired"] = w.repairs
	}
	return &Parsed{Inbound: in, Repairs: w.repairs, OriginalKept: kept}, nil
}

// envelope is what the header says about a customer message.
type envelope struct {
	sender          *mail.Address
	replyTo, to, cc []*mail.Address
	msgID, subject  string
	inReplyTo, refs []string
}

func readEnvelope(h message.Header, hint string, own []string) (*envelope, error) {
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
	e := &envelope{
		sender:    from[0],
		replyTo:   parseAddrs(h, "Reply-To", hint),
		to:        parseAddrs(h, "To", hint),
		cc:        parseAddrs(h, "Cc", hint),
		msgID:     firstMsgID(h.Get("Message-Id")),
		subject:   cleanLine(headerText(h, "Subject", hint)),
		inReplyTo: ParseMsgIDs(h.Get("In-Reply-To")),
		refs:      ParseMsgIDs(h.Get("References")),
	}
	if isOwn(e.sender.Address, own) && len(e.replyTo) > 0 && !isOwn(e.replyTo[0].Address, own) {
		// A web form or relay writing as us on the customer's behalf: the
		// customer is whoever answers go to.
		e.sender = e.replyTo[0]
	}
	return e, nil
}

// threadKeys are the keys that may name the ticket, strongest first:
// In-Reply-To, References newest first, then the reply token of a
// local+token@ recipient (To, Cc or an envelope recipient header).
func (e *envelope) threadKeys(h message.Header, own []string) []string {
	keys := ThreadKeys(e.inReplyTo, e.refs)
	rcpts := append(append([]*mail.Address(nil), e.to...), e.cc...)
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"} {
		for _, v := range h.Values(k) {
			if a := addrSpec.FindString(v); a != "" {
				rcpts = append(rcpts, &mail.Address{Address: a})
			}
		}
	}
	for _, a := range rcpts {
		if tok := replyToken(a.Address, own); tok != "" {
			keys = appendUnique(keys, inbox.TokenKey(tok))
		}
	}
	return keys
}

// participants are the other people on To and Cc, for reply-all.
func (e *envelope) participants(own []string) []inbox.ContactRef {
	var out []inbox.ContactRef
	seen := map[string]bool{strings.ToLower(e.sender.Address): true}
	for _, a := range append(append([]*mail.Address(nil), e.to...), e.cc...) {
		addr := strings.ToLower(a.Address)
		if seen[addr] || isOwn(addr, own) {
			continue
		}
		seen[addr] = true
		out = append(out, inbox.ContactRef{Kind: inbox.IdentityEmail, ID: addr, Name: cleanLine(a.Name)})
	}
	return out
}

// meta is what a reply needs to thread and address the answer.
func (e *envelope) meta(own []string, text string) map[string]any {
	meta := map[string]any{
		"from":       e.sender.Address,
		"subject":    e.subject,
		"message_id": e.msgID,
	}
	if e.sender.Name != "" {
		meta["from_name"] = cleanLine(e.sender.Name)
	}
	if len(e.to) > 0 {
		meta["to"] = addrStrings(e.to)
	}
	if len(e.cc) > 0 {
		meta["cc"] = addrStrings(e.cc)
	}
	if len(e.replyTo) > 0 && !isOwn(e.replyTo[0].Address, own) {
		meta["reply_to"] = e.replyTo[0].Address
	}
	if len(e.refs) > 0 {
		meta["references"] = e.refs
	}
	if len(e.inReplyTo) > 0 {
		meta["in_reply_to"] = e.inReplyTo[0]
	}
	if q := plaintext.QuoteStart(text); q >= 0 {
		meta["quoted_from"] = q
	}
	return meta
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
