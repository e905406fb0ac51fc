package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/plaintext"
)

// maxReferences bounds the References header (the first and the newest ids
// are kept, as RFC 5322 suggests).
const maxReferences = 20

var (
	replyPrefix = regexp.MustCompile(`(?i)^\s*((re|aw|sv|fw|fwd|답장|회신|전달|返信|回复|答复)\s*(\[\d+\])?\s*[:：]\s*)+`)
	numberTag   = regexp.MustCompile(`\s*\[#\d+\]`)
)

// Send implements connectors.Connector: it mails an agent reply over SMTP
// and returns its Message-ID, which becomes a thread key of the ticket.
func (c *Channel) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	if c.settings.SMTP.Host == "" {
		return inbox.ExternalRef{}, connectors.Permanent(errors.New("email: channel has no smtp.host"))
	}
	msg, err := c.compose(out, time.Now(), func(to string) (string, error) { return c.pageLink(ctx, out, to) })
	if err != nil {
		return inbox.ExternalRef{}, err
	}
	if err := c.submit(ctx, msg.rcpts, msg.raw); err != nil {
		return inbox.ExternalRef{}, err
	}
	meta := map[string]any{"message_id": msg.id, "to": msg.to, "subject": msg.subject}
	if len(msg.cc) > 0 {
		meta["cc"] = msg.cc
	}
	return inbox.ExternalRef{ID: msg.id, Keys: []string{"email:" + msg.id}, Meta: meta}, nil
}

type composed struct {
	id      string
	subject string
	to      []string
	cc      []string
	rcpts   []string
	raw     []byte
}

// pageLink returns the conversation page link of out's ticket for the
// address to, or "" when Hanbox has no public URL to link to (or the
// channel was built without the inbox's link door).
func (c *Channel) pageLink(ctx context.Context, out *inbox.Outbound, to string) (string, error) {
	if c.links == nil || c.deps.BaseURL == "" || out.Ticket.ID == 0 {
		return "", nil
	}
	url, err := c.links.ConversationLink(ctx, out.Ticket.ID, to)
	if err != nil {
		return "", fmt.Errorf("email: conversation link: %w", err)
	}
	return url, nil
}

// Every agent email ends with the link to its conversation page: the whole
// thread on every channel, readable in any browser, where the customer can
// also answer live (see inbox/links.go).
const (
	pageLinkLabel = "이 대화를 웹에서 보기 / View this conversation in your browser"
	pageLinkNote  = "링크는 받는 분만 쓰도록 보내 드린 것입니다. / This link was sent to you alone; please do not forward it."
)

// pageFooter renders the conversation page link in text and HTML.
func pageFooter(link string) (string, string) {
	text := "\n\n--\n" + pageLinkLabel + ":\n" + link + "\n" + pageLinkNote
	h := `<p style="margin-top:24px;font-size:13px;color:#555"><a href="` + html.EscapeString(link) + `">` + html.EscapeString(pageLinkLabel) +
		`</a><br><span style="font-size:12px;color:#777">` + html.EscapeString(pageLinkNote) + `</span></p>`
	return text, h
}

// compose builds the RFC 5322 message for out. link gives the conversation
// page link for the recipient address ("" for none).
func (c *Channel) compose(out *inbox.Outbound, now time.Time, link func(to string) (string, error)) (*composed, error) {
	if out.Campaign != nil {
		return c.composeCampaign(out, now)
	}
	own := c.settings.own()
	_, domain, _ := strings.Cut(c.settings.Address, "@")
	var to string
	var cc []string
	var parentID string
	var parentRefs []string
	baseSubject := out.Ticket.Subject
	if rc := out.ReplyTo; rc != nil && !out.Continued {
		to = metaString(rc.Meta, "reply_to")
		if to == "" {
			to = metaString(rc.Meta, "from")
		}
		parentID = metaString(rc.Meta, "message_id")
		parentRefs = metaStrings(rc.Meta, "references")
		if s := metaString(rc.Meta, "subject"); s != "" {
			baseSubject = s
		}
		// Reply-all: everyone else the customer wrote to, except us.
		seen := map[string]bool{strings.ToLower(to): true, strings.ToLower(metaString(rc.Meta, "from")): true}
		for _, a := range append(metaStrings(rc.Meta, "to"), metaStrings(rc.Meta, "cc")...) {
			a = strings.ToLower(strings.TrimSpace(a))
			if a == "" || seen[a] || isOwn(a, own) {
				continue
			}
			seen[a] = true
			cc = append(cc, a)
		}
	}
	if to == "" {
		to = out.Contact.Email
	}
	if _, err := splitAddr(to); err != nil {
		return nil, connectors.Permanent(fmt.Errorf("email: no address to reply to: %w", err))
	}

	id := fmt.Sprintf("hanbox.%s.%d.%s@%s", out.Ticket.PublicID, out.MessageID, randomHex(6), domain)
	subject := replySubject(baseSubject, out.Ticket.Number)

	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Name: c.fromName(out.Agent), Address: c.settings.Address}})
	h.SetAddressList("To", []*mail.Address{{Name: toName(out, to), Address: to}})
	if len(cc) > 0 {
		list := make([]*mail.Address, len(cc))
		for i, a := range cc {
			list[i] = &mail.Address{Address: a}
		}
		h.SetAddressList("Cc", list)
	}
	if c.settings.ReplyToToken && out.Ticket.ReplyToken != "" {
		local, dom, _ := strings.Cut(c.settings.Address, "@")
		h.SetAddressList("Reply-To", []*mail.Address{{Name: c.settings.FromName, Address: local + "+" + strings.ToLower(out.Ticket.ReplyToken) + "@" + dom}})
	}
	h.SetSubject(subject)
	h.SetMessageID(id)
	if parentID != "" {
		h.SetMsgIDList("In-Reply-To", []string{parentID})
	}
	if refs := references(parentRefs, parentID, out.ThreadKeys, id); len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	h.Set("X-Hanbox-Ticket", strconv.FormatInt(out.Ticket.Number, 10))
	if out.Continued && out.FromChannelKind != "" {
		h.Set("X-Hanbox-Continued-From", out.FromChannelKind)
	}

	text, htmlBody := out.Text, out.HTML
	if strings.TrimSpace(text) == "" && htmlBody != "" {
		text = plaintext.FromHTML(htmlBody)
	}
	if htmlBody == "" {
		htmlBody = textToHTML(text)
	}
	if out.Continued && len(out.History) > 0 {
		st, sh := historySummary(out.History)
		text += "\n\n" + st
		htmlBody += sh
	}
	if out.Survey != nil {
		// A survey request is short and goes to the customer alone: the
		// question and one link per score, each opening the rating page.
		cc = nil
		text, htmlBody = surveyBody(out.Survey)
		h.Del("Cc")
		link = nil
		if u := out.Survey.UnsubscribeURL; u != "" {
			// RFC 2369 and RFC 8058: mail clients show an unsubscribe
			// button that POSTs "List-Unsubscribe=One-Click" to u.
			h.Set("List-Unsubscribe", "<"+u+">")
			h.Set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
	}
	if link != nil {
		url, err := link(to)
		if err != nil {
			return nil, err
		}
		if url != "" {
			ft, fh := pageFooter(url)
			text += ft
			htmlBody += fh
		}
	}

	var buf bytes.Buffer
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, connectors.Permanent(fmt.Errorf("email: compose: %w", err))
	}
	if err := writeAlternative(mw, text, htmlBody); err != nil {
		return nil, err
	}
	for _, a := range out.Attachments {
		if err := writeAttachment(mw, a); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	rcpts := append([]string{to}, cc...)
	return &composed{id: id, subject: subject, to: []string{to}, cc: cc, rcpts: rcpts, raw: buf.Bytes()}, nil
}

// composeCampaign builds a campaign email: to the contact alone, outside
// any ticket, with a Message-ID naming the send (the customer's reply is
// linked back to it and opens a ticket) and RFC 8058 one-click
// List-Unsubscribe.
func (c *Channel) composeCampaign(out *inbox.Outbound, now time.Time) (*composed, error) {
	cm := out.Campaign
	to := out.Contact.Email
	if _, err := splitAddr(to); err != nil {
		return nil, connectors.Permanent(fmt.Errorf("email: campaign has no address: %w", err))
	}
	_, domain, _ := strings.Cut(c.settings.Address, "@")
	id := fmt.Sprintf("hanbox.campaign.%s.%s@%s", cm.SendID, randomHex(4), domain)
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Name: c.settings.FromName, Address: c.settings.Address}})
	h.SetAddressList("To", []*mail.Address{{Name: toName(out, to), Address: to}})
	h.SetSubject(cm.Subject)
	h.SetMessageID(id)
	h.Set("X-Hanbox-Campaign", cm.SendID)
	text, hb := campaignBody(out.Text, cm.Links)
	if cm.OpenURL != "" {
		hb += `<img src="` + html.EscapeString(cm.OpenURL) + `" width="1" height="1" alt="" style="border:0;width:1px;height:1px">`
	}
	if u := cm.UnsubscribeURL; u != "" {
		h.Set("List-Unsubscribe", "<"+u+">")
		h.Set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		stop := inbox.CampaignUnsubscribeLabel(cm.Locale)
		text += "\n\n--\n" + stop + ": " + u + "\n"
		hb += `<p style="margin-top:24px;font-size:12px;color:#666"><a href="` + html.EscapeString(u) + `" style="color:#666">` + html.EscapeString(stop) + `</a></p>`
	}
	var buf bytes.Buffer
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, connectors.Permanent(fmt.Errorf("email: compose campaign: %w", err))
	}
	if err := writeAlternative(mw, text, hb); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return &composed{id: id, subject: cm.Subject, to: []string{to}, rcpts: []string{to}, raw: buf.Bytes()}, nil
}

// campaignBody renders a campaign's text: in the text part each link is
// its tracked URL; in the HTML part each link shows as written and points
// at the tracked URL. Without tracked links it is the text as written.
func campaignBody(text string, links map[string]string) (string, string) {
	var t, hb strings.Builder
	hb.WriteString(`<div style="white-space:pre-wrap">`)
	esc := func(s string) string { return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") }
	last := 0
	for _, l := range inbox.CampaignLinks(text) {
		u := text[l[0]:l[1]]
		tracked, ok := links[u]
		if !ok {
			continue
		}
		t.WriteString(text[last:l[0]] + tracked)
		hb.WriteString(esc(text[last:l[0]]) + `<a href="` + html.EscapeString(tracked) + `">` + html.EscapeString(u) + `</a>`)
		last = l[1]
	}
	t.WriteString(text[last:])
	hb.WriteString(esc(text[last:]) + `</div>`)
	return t.String(), hb.String()
}

// surveyBody renders a survey request: the question and one-click rating
// links, lowest score first.
func surveyBody(sv *inbox.SurveyRequest) (string, string) {
	labels := inbox.SurveyLabels(sv.Locale)
	var t, hb strings.Builder
	t.WriteString(sv.Question + "\n\n")
	hb.WriteString(`<p>` + html.EscapeString(sv.Question) + `</p><p>`)
	for _, n := range sv.Choices() {
		label := strconv.Itoa(n)
		if sv.Lowest() == 1 && n <= len(labels) { // CSAT's named scores; NPS's 0–10 are numbers
			label += " " + labels[n-1]
		}
		u := sv.ScoreURL(n)
		t.WriteString(label + ": " + u + "\n")
		hb.WriteString(`<a href="` + html.EscapeString(u) + `" style="display:inline-block;margin:0 6px 6px 0;padding:8px 12px;border:1px solid #ccc;border-radius:6px;color:#222;text-decoration:none">` +
			html.EscapeString(label) + `</a>`)
	}
	hb.WriteString(`</p>`)
	if sv.UnsubscribeURL != "" {
		stop := inbox.SurveyUnsubscribeLabel(sv.Locale)
		t.WriteString("\n" + stop + ": " + sv.UnsubscribeURL + "\n")
		hb.WriteString(`<p style="font-size:12px;color:#666"><a href="` + html.EscapeString(sv.UnsubscribeURL) + `" style="color:#666">` + html.EscapeString(stop) + `</a></p>`)
	}
	return t.String(), hb.String()
}

func writeAttachment(mw *mail.Writer, a inbox.OutboundAttachment) error {
	var ah mail.AttachmentHeader
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	ah.SetContentType(ct, nil)
	ah.SetFilename(plaintext.StripBidi(a.Name))
	ah.Set("Content-Transfer-Encoding", "base64")
	if a.Open == nil {
		return connectors.Permanent(fmt.Errorf("email: attachment %q has no content", a.Name))
	}
	r, err := a.Open()
	if err != nil {
		return fmt.Errorf("email: open attachment %q: %w", a.Name, err)
	}
	defer r.Close()
	aw, err := mw.CreateAttachment(ah)
	if err != nil {
		return connectors.Permanent(fmt.Errorf("email: compose: %w", err))
	}
	if _, err := io.Copy(aw, r); err != nil {
		return fmt.Errorf("email: read attachment %q: %w", a.Name, err)
	}
	return aw.Close()
}

// fromName is "Agent Name (Team)" when both are known. Names lose their
// bidirectional controls (plaintext.StripBidi), here and in toName, so a
// header cannot display reordered.
func (c *Channel) fromName(agent inbox.PersonRef) string {
	agent.Name = plaintext.StripBidi(agent.Name)
	switch {
	case agent.Name != "" && c.settings.FromName != "":
		return agent.Name + " (" + c.settings.FromName + ")"
	case agent.Name != "":
		return agent.Name
	default:
		return c.settings.FromName
	}
}

func toName(out *inbox.Outbound, to string) string {
	if strings.EqualFold(to, out.Contact.Email) {
		return plaintext.StripBidi(out.Contact.Name)
	}
	return ""
}

// replySubject is "Re: <subject> [#number]", without stacked prefixes or tags.
func replySubject(subject string, number int64) string {
	s := replyPrefix.ReplaceAllString(subject, "")
	s = strings.TrimSpace(numberTag.ReplaceAllString(s, ""))
	if s == "" {
		s = "(no subject)"
	}
	if number > 0 {
		s += " [#" + strconv.FormatInt(number, 10) + "]"
	}
	return "Re: " + s
}

// references builds References per RFC 5322: the parent's References plus the
// parent's Message-ID, then the ticket's other email keys (so a mailer that
// keeps only References still finds the ticket), bounded to maxReferences
// ids keeping the first.
func references(parentRefs []string, parentID string, threadKeys []string, self string) []string {
	var ids []string
	for _, r := range parentRefs {
		ids = appendUnique(ids, r)
	}
	if parentID != "" {
		ids = appendUnique(ids, parentID)
	}
	var extra []string
	for _, k := range threadKeys {
		// Ids Hanbox synthesized for mail without a Message-ID mean nothing
		// to other mailers.
		if id, ok := strings.CutPrefix(k, "email:"); ok && id != self && !strings.HasSuffix(id, "@hanbox.invalid") && !slices.Contains(ids, id) {
			extra = appendUnique(extra, id)
		}
	}
	ids = append(extra, ids...)
	if len(ids) > maxReferences {
		ids = append(ids[:1], ids[len(ids)-maxReferences+1:]...)
	}
	return ids
}

// historySummary renders the conversation before a reply that continues a
// chat by email, in text and HTML, with bilingual headings.
func historySummary(hist []inbox.PriorMessage) (string, string) {
	const heading = "이전 대화 내용 / Earlier conversation"
	const note = "채팅이 끝나 이메일로 답변드립니다. 이 메일에 회신하시면 대화가 이어집니다.\nThe chat ended, so we are answering by email. Reply to this email to continue."
	if len(hist) > 10 {
		hist = hist[len(hist)-10:]
	}
	var t, h strings.Builder
	t.WriteString("----- " + heading + " -----\n" + note + "\n\n")
	h.WriteString(`<hr><p><b>` + html.EscapeString(heading) + `</b><br>` + strings.ReplaceAll(html.EscapeString(note), "\n", "<br>") + `</p><div style="color:#555">`)
	for _, m := range hist {
		who := plaintext.StripBidi(m.AuthorName)
		if who == "" {
			if m.Direction == "inbound" {
				who = "고객 / Customer"
			} else {
				who = "상담원 / Agent"
			}
		}
		body := plaintext.Shorten(strings.TrimSpace(m.Text), 501)
		at := m.At.UTC().Format("2006-01-02 15:04 UTC")
		t.WriteString("[" + at + "] " + who + ":\n" + body + "\n\n")
		h.WriteString(`<p><small>` + html.EscapeString(at) + `</small> <b><bdi>` + html.EscapeString(who) + `</bdi></b><br>` +
			strings.ReplaceAll(html.EscapeString(body), "\n", "<br>") + `</p>`)
	}
	h.WriteString(`</div>`)
	return strings.TrimRight(t.String(), "\n"), h.String()
}

func textToHTML(s string) string {
	return `<div style="white-space:pre-wrap">` + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") + `</div>`
}

func metaString(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func metaStrings(m map[string]any, k string) []string {
	switch v := m[k].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		if v != "" {
			return []string{v}
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// submit hands one message to the SMTP server. Errors are classified for the
// dispatcher: 5xx replies (including failed AUTH) and certificate problems
// are permanent; 4xx and network errors are retried.
func (c *Channel) submit(ctx context.Context, rcpts []string, raw []byte) error {
	cl, err := c.dialSMTP(ctx)
	if err != nil {
		return classify("connect", err)
	}
	defer cl.Close()
	if dl, ok := ctx.Deadline(); ok {
		cl.CommandTimeout = time.Until(dl)
		cl.SubmissionTimeout = time.Until(dl)
	}
	if c.settings.SMTP.Username != "" {
		var a sasl.Client
		switch {
		case cl.SupportsAuth("PLAIN"):
			a = sasl.NewPlainClient("", c.settings.SMTP.Username, c.smtpPassword)
		case cl.SupportsAuth("LOGIN"):
			a = sasl.NewLoginClient(c.settings.SMTP.Username, c.smtpPassword)
		default:
			return connectors.Permanent(errors.New("email: smtp server offers neither AUTH PLAIN nor LOGIN"))
		}
		if err := cl.Auth(a); err != nil {
			return classify("auth", err)
		}
	}
	if err := cl.Mail(c.settings.Address, nil); err != nil {
		return classify("mail from", err)
	}
	for _, r := range rcpts {
		if err := cl.Rcpt(r, nil); err != nil {
			return classify("rcpt "+r, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return classify("data", err)
	}
	if _, err := w.Write(raw); err != nil {
		return classify("data", err)
	}
	if err := w.Close(); err != nil {
		return classify("data", err)
	}
	_ = cl.Quit()
	return nil
}

func (c *Channel) dialSMTP(ctx context.Context) (*smtp.Client, error) {
	s := c.settings.SMTP
	addr := hostPort(s.Host, s.Port)
	cfg := &tls.Config{ServerName: s.Host, InsecureSkipVerify: s.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	d := &net.Dialer{Timeout: 30 * time.Second}
	var conn net.Conn
	var err error
	if s.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.TLS == TLSStartTLS {
		// go-smtp greets as "localhost" before STARTTLS; Hello cannot follow.
		return smtp.NewClientStartTLS(conn, cfg)
	}
	cl := smtp.NewClient(conn)
	_, domain, _ := strings.Cut(c.settings.Address, "@")
	if err := cl.Hello(domain); err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

func classify(step string, err error) error {
	err = fmt.Errorf("email: smtp %s: %w", step, err)
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return connectors.Permanent(err)
	}
	var ce *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	if errors.As(err, &ce) || errors.As(err, &ue) || errors.As(err, &he) {
		return connectors.Permanent(err)
	}
	return err
}

// writeAlternative writes the text and HTML bodies of a message as one
// multipart/alternative part, both UTF-8 quoted-printable.
func writeAlternative(mw *mail.Writer, text, htmlBody string) error {
	iw, err := mw.CreateInline()
	if err != nil {
		return connectors.Permanent(fmt.Errorf("email: compose: %w", err))
	}
	for _, p := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", htmlBody}} {
		var ph mail.InlineHeader
		ph.SetContentType(p.typ, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := iw.CreatePart(ph)
		if err != nil {
			return connectors.Permanent(fmt.Errorf("email: compose: %w", err))
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return iw.Close()
}
