package email

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/hanbox/hanbox/plaintext"
)

// Delivery status notifications (RFC 3464) about mail Hanbox sent.

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

// walkReport reads a multipart/report; report-type=delivery-status.
func (w *walker) walkReport(ps *parts) {
	for i := 0; i < 20; i++ {
		part := ps.next()
		if part == nil {
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
	b.Reason = plaintext.Clip(cleanLine(reason), 900)
	return b
}
