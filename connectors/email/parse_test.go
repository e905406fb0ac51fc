package email

import (
	"bytes"
	"errors"
	"io"
	"testing/iotest"

	"golang.org/x/text/transform"
	"slices"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/inbox"
)

var testOwn = []string{"support@example.com"}

func mustParse(t *testing.T, name string) *Parsed {
	t.Helper()
	p, err := Parse(readCorpus(t, name), ParseOptions{ChannelID: 1, Own: testOwn})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return p
}

func TestParseCharsets(t *testing.T) {
	for _, c := range charsetCases {
		t.Run(c.charset, func(t *testing.T) {
			p := mustParse(t, c.file)
			in := p.Inbound
			if in == nil {
				t.Fatal("no inbound")
			}
			if in.Subject != c.subject {
				t.Errorf("subject = %q, want %q", in.Subject, c.subject)
			}
			if got := strings.TrimSpace(strings.ReplaceAll(in.Text, "\r\n", "\n")); got != c.body {
				t.Errorf("text = %q, want %q", got, c.body)
			}
			name, addr, _ := strings.Cut(c.from, " <")
			if in.Contact.Name != name || in.Contact.ID != strings.TrimSuffix(addr, ">") || !in.Contact.Verified || in.Contact.Kind != inbox.IdentityEmail {
				t.Errorf("contact = %+v, want %s", in.Contact, c.from)
			}
			if want := strings.TrimSuffix(c.file, ".eml") + "@mail.example.net"; in.ExternalID != want {
				t.Errorf("external id = %q, want %q", in.ExternalID, want)
			}
		})
	}
}

func TestISO2022KRDecoderSplitInput(t *testing.T) {
	want := "가나다 abc 한글\n둘째 줄"
	src := encodeISO2022KR(want)
	// One byte per Read exercises ErrShortSrc inside the designator and
	// between the two bytes of every character.
	out, err := io.ReadAll(transform.NewReader(iotest.OneByteReader(bytes.NewReader(src)), ISO2022KR.NewDecoder()))
	if err != nil || string(out) != want {
		t.Fatalf("one byte at a time: %q, %v", out, err)
	}
	if out, _ := ISO2022KR.NewDecoder().Bytes(src); string(out) != want {
		t.Fatalf("whole: %q", out)
	}
	// Unterminated shift and a stray escape never panic or emit invalid UTF-8.
	out, _ = ISO2022KR.NewDecoder().Bytes([]byte("\x1b$)C\x0e\x30\x21\x30\x1bx\x0e\x7f\xff"))
	if !strings.Contains(string(out), "가") || !strings.Contains(string(out), "\uFFFD") {
		t.Fatalf("lenient decode: %q", out)
	}
}

func TestParseGmailReply(t *testing.T) {
	in := mustParse(t, "gmail-reply.eml").Inbound
	wantKeys := []string{"email:" + ourMsgID, "email:first.customer@mail.gmail.com"}
	if !slices.Equal(in.ThreadKeys, wantKeys) {
		t.Errorf("thread keys = %v, want %v", in.ThreadKeys, wantKeys)
	}
	if !slices.Equal(in.OwnKeys, []string{"email:CAGmail-reply-1@mail.gmail.com"}) {
		t.Errorf("own keys = %v", in.OwnKeys)
	}
	if in.FallbackNumber != 1042 {
		t.Errorf("fallback number = %d", in.FallbackNumber)
	}
	if in.Subject != "Re: 배송 문의 [#1042]" {
		t.Errorf("subject = %q", in.Subject)
	}
	if len(in.Participants) != 1 || in.Participants[0].ID != "jiwoo@example.org" || in.Participants[0].Name != "Lee Jiwoo" {
		t.Errorf("participants = %+v", in.Participants)
	}
	if !strings.Contains(in.HTML, "gmail_quote") || !strings.HasPrefix(in.Text, "감사합니다") {
		t.Errorf("text %q html %q", in.Text, in.HTML)
	}
	q, ok := in.Meta["quoted_from"].(int)
	if !ok || !strings.HasPrefix(in.Text[q:], "On Mon, Nov 4") {
		t.Errorf("quoted_from = %v", in.Meta["quoted_from"])
	}
	if in.Meta["message_id"] != "CAGmail-reply-1@mail.gmail.com" || !slices.Equal(in.Meta["cc"].([]string), []string{"jiwoo@example.org"}) {
		t.Errorf("meta = %v", in.Meta)
	}
	if in.Auto {
		t.Error("a person's reply marked auto")
	}
	if in.SentAt.IsZero() || in.SentAt.Hour() != 0 {
		t.Errorf("sent at = %v", in.SentAt)
	}
}

func TestParseOutlookReplyThreadsByReferences(t *testing.T) {
	in := mustParse(t, "outlook-reply.eml").Inbound
	if !slices.Equal(in.ThreadKeys, []string{"email:" + ourMsgID}) {
		t.Errorf("thread keys = %v", in.ThreadKeys)
	}
	if in.Subject != "RE: 환불 요청 [#1042]" || in.Contact.Name != "Park, Jihoon" {
		t.Errorf("subject %q name %q", in.Subject, in.Contact.Name)
	}
	q, _ := in.Meta["quoted_from"].(int)
	if q <= 0 || !strings.HasPrefix(in.Text[q:], "-----Original Message-----") {
		t.Errorf("quoted_from = %v in %q", in.Meta["quoted_from"], in.Text)
	}
}

func TestParseAppleMail(t *testing.T) {
	in := mustParse(t, "apple-mail-reply.eml").Inbound
	if in.ThreadKeys[0] != "email:"+ourMsgID || in.ExternalID != "B1C2D3E4-APPLE-0001@icloud.example" {
		t.Errorf("keys %v id %q", in.ThreadKeys, in.ExternalID)
	}
	if !strings.HasPrefix(in.Text, "Thanks, that works for me.") || !strings.Contains(in.HTML, "blockquote") {
		t.Errorf("text %q", in.Text)
	}
	if q, _ := in.Meta["quoted_from"].(int); q <= 0 || !strings.HasPrefix(in.Text[q:], "> On 4 Nov") {
		t.Errorf("quoted_from = %v", in.Meta["quoted_from"])
	}
}

func TestParseKoreanWebmailToken(t *testing.T) {
	in := mustParse(t, "naver-reply.eml").Inbound
	if in.Contact.Name != "정혜진" || in.Subject != "답장: 교환 문의" {
		t.Errorf("name %q subject %q", in.Contact.Name, in.Subject)
	}
	if !slices.Contains(in.ThreadKeys, inbox.TokenKey("tok42abc")) {
		t.Errorf("thread keys = %v, want the reply token", in.ThreadKeys)
	}
	if len(in.Participants) != 0 {
		t.Errorf("our own token address became a participant: %+v", in.Participants)
	}
	if !strings.HasPrefix(in.Text, "사이즈를 M으로") || !strings.Contains(in.HTML, "교환하고") {
		t.Errorf("text %q html %q", in.Text, in.HTML)
	}
	if q, _ := in.Meta["quoted_from"].(int); q <= 0 || !strings.HasPrefix(in.Text[q:], "-----원본 메시지-----") {
		t.Errorf("quoted_from = %v", in.Meta["quoted_from"])
	}
}

func TestParseRaw8BitHeaders(t *testing.T) {
	in := mustParse(t, "korean-raw-8bit.eml").Inbound
	if in.Contact.Name != "홍길동" || in.Subject != "문의 드립니다" || strings.TrimSpace(in.Text) != "회원 탈퇴는 어떻게 하나요?" {
		t.Errorf("name %q subject %q text %q", in.Contact.Name, in.Subject, in.Text)
	}
}

func TestParseHTMLOnly(t *testing.T) {
	in := mustParse(t, "html-only.eml").Inbound
	if !strings.Contains(in.HTML, "<b>team</b>") {
		t.Errorf("html = %q", in.HTML)
	}
	if strings.Contains(in.Text, "alert") || strings.Contains(in.Text, "color:red") || !strings.Contains(in.Text, "The invoice link is broken & I cannot pay.") {
		t.Errorf("derived text = %q", in.Text)
	}
}

func TestParseForwarded(t *testing.T) {
	in := mustParse(t, "forwarded.eml").Inbound
	if !strings.Contains(in.Text, "Forwarded message") || len(in.Attachments) != 1 {
		t.Fatalf("text %q atts %d", in.Text, len(in.Attachments))
	}
	a := in.Attachments[0]
	if a.Name != "original.eml" || a.ContentType != "message/rfc822" || !strings.Contains(string(a.Data), "orig-inner@example.net") {
		t.Errorf("attachment = %+v", a)
	}
	if in.ExternalID != "fwd-1@example.com" && in.ExternalID != "fwd-1@company.example" {
		t.Errorf("external id %q", in.ExternalID)
	}
}

func TestParseAttachmentsAndInlineImage(t *testing.T) {
	in := mustParse(t, "attachments.eml").Inbound
	if in.Subject != "견적서 첨부" {
		t.Errorf("subject %q", in.Subject)
	}
	if len(in.Attachments) != 3 {
		t.Fatalf("attachments = %d, want 3", len(in.Attachments))
	}
	img, pdf, note := in.Attachments[0], in.Attachments[1], in.Attachments[2]
	if img.ContentType != "image/png" || !img.Inline || img.ContentID != "shot1@example.com" || !strings.HasPrefix(string(img.Data), "\x89PNG") {
		t.Errorf("inline image = %+v", img)
	}
	if pdf.Name != "견적서.pdf" || pdf.ContentType != "application/pdf" || pdf.Inline || !strings.HasPrefix(string(pdf.Data), "%PDF") {
		t.Errorf("pdf = %+v", pdf)
	}
	if note.Name != "메모.txt" || strings.TrimSpace(string(note.Data)) != "a note as a file" {
		t.Errorf("text attachment = %+v", note)
	}
	if !strings.Contains(in.HTML, "cid:shot1@example.com") || strings.TrimSpace(in.Text) != "견적서와 스크린샷을 첨부합니다." {
		t.Errorf("text %q html %q", in.Text, in.HTML)
	}
}

func TestParseAutoReply(t *testing.T) {
	in := mustParse(t, "auto-reply.eml").Inbound
	if !in.Auto {
		t.Error("auto-reply not marked Auto")
	}
	for _, c := range []struct {
		head string
		auto bool
	}{
		{"Auto-Submitted: no\r\n", false},
		{"Precedence: bulk\r\n", true},
		{"X-Autorespond: yes\r\n", true},
		{"Subject: Out of Office: hi\r\n", true},
		{"Subject: 부재중 안내\r\n", true},
		{"Subject: About my vacation booking? no, a question\r\n", false},
	} {
		raw := "From: a@example.org\r\nTo: support@example.com\r\nMessage-ID: <x@y>\r\n" + c.head + "\r\nhello\r\n"
		p, err := Parse([]byte(raw), ParseOptions{ChannelID: 1, Own: testOwn})
		if err != nil {
			t.Fatal(err)
		}
		if p.Inbound.Auto != c.auto {
			t.Errorf("%q: auto = %v, want %v", c.head, p.Inbound.Auto, c.auto)
		}
	}
}

func TestParseBounce(t *testing.T) {
	p := mustParse(t, "dsn-bounce.eml")
	if p.Inbound != nil || p.Bounce == nil {
		t.Fatalf("a DSN must not become a customer message: %+v", p)
	}
	b := p.Bounce
	if b.OriginalMessageID != ourMsgID || !b.Failed || !slices.Equal(b.Recipients, []string{"nobody@customer.example"}) {
		t.Errorf("bounce = %+v", b)
	}
	if !strings.Contains(b.Reason, "User unknown") || !strings.Contains(b.Reason, "5.1.1") {
		t.Errorf("reason = %q", b.Reason)
	}
	delayed := strings.Replace(string(readCorpus(t, "dsn-bounce.eml")), "Action: failed", "Action: delayed", 1)
	p, err := Parse([]byte(delayed), ParseOptions{Own: testOwn})
	if err != nil || p.Bounce == nil || p.Bounce.Failed {
		t.Errorf("delay report: %+v %v", p, err)
	}
}

func TestParseMalformed(t *testing.T) {
	for _, name := range []string{"malformed-no-sender.eml", "malformed-garbage.eml"} {
		if _, err := Parse(readCorpus(t, name), ParseOptions{Own: testOwn}); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	in := mustParse(t, "malformed-boundary.eml").Inbound
	if !strings.Contains(in.Text, "the text should survive") {
		t.Errorf("text = %q", in.Text)
	}
}

func TestParseSynthesizesStableID(t *testing.T) {
	raw := []byte("From: a@example.org\r\nTo: support@example.com\r\nSubject: no id\r\n\r\nhello\r\n")
	p1, err := Parse(raw, ParseOptions{Own: testOwn})
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := Parse(raw, ParseOptions{Own: testOwn})
	p3, _ := Parse(append(raw, '!'), ParseOptions{Own: testOwn})
	if p1.Inbound.ExternalID != p2.Inbound.ExternalID || p1.Inbound.ExternalID == p3.Inbound.ExternalID || !strings.HasPrefix(p1.Inbound.ExternalID, "sha256.") {
		t.Errorf("ids %q %q %q", p1.Inbound.ExternalID, p2.Inbound.ExternalID, p3.Inbound.ExternalID)
	}
}

func TestParseMsgIDs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"<a@b> <c@d>", []string{"a@b", "c@d"}},
		{"<a@b>\r\n\t<c@d> (comment)", []string{"a@b", "c@d"}},
		{"a@b c@d", []string{"a@b", "c@d"}},
		{"<a@b> <a@b>", []string{"a@b"}},
		{"<>", nil},
		{"<a b@c>", nil},
		{"", nil},
	} {
		if got := ParseMsgIDs(c.in); !slices.Equal(got, c.want) {
			t.Errorf("ParseMsgIDs(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := ThreadKeys([]string{"p@x"}, []string{"r1@x", "r2@x", "p@x"}); !slices.Equal(got, []string{"email:p@x", "email:r2@x", "email:r1@x"}) {
		t.Errorf("ThreadKeys = %v", got)
	}
}

func TestParseReplyToOfRelayedForm(t *testing.T) {
	raw := customerMail("Website <support@example.com>", "support@example.com", "Contact form", "form-1@example.com", "Name: Yuna\nQuestion: 가격?",
		"Reply-To: Yuna Kang <yuna@example.net>")
	p, err := Parse(raw, ParseOptions{Own: testOwn})
	if err != nil {
		t.Fatal(err)
	}
	if p.Inbound.Contact.ID != "yuna@example.net" || p.Inbound.Contact.Name != "Yuna Kang" || p.Inbound.Meta["reply_to"] != "yuna@example.net" {
		t.Errorf("contact %+v meta %v", p.Inbound.Contact, p.Inbound.Meta)
	}
	// Our own Reply-To (a token address) is never where answers go.
	raw = customerMail("a@example.net", "support@example.com", "x", "x-1@example.net", "x", "Reply-To: support+tok@example.com")
	p, _ = Parse(raw, ParseOptions{Own: testOwn})
	if p.Inbound.Contact.ID != "a@example.net" || p.Inbound.Meta["reply_to"] != nil {
		t.Errorf("contact %+v meta %v", p.Inbound.Contact, p.Inbound.Meta)
	}
}

// TestParseHTMLOnlyDecodesEntities: the text made from an HTML-only mail
// (search, previews, quote folding) decodes every entity, named and numeric.
func TestParseHTMLOnlyDecodesEntities(t *testing.T) {
	raw := "From: a@example.org\r\nTo: support@example.com\r\nMessage-ID: <ent@x>\r\nSubject: entities\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><head><title>t</title><style>p{color:red}</style></head><body><p>It&#8217;s a caf&eacute; &ndash; 5&nbsp;&euro;<br>Line&#x21;</p>" +
		"<ul><li>one</li><li>two</li></ul></body></html>\r\n"
	p, err := Parse([]byte(raw), ParseOptions{Own: testOwn})
	if err != nil {
		t.Fatal(err)
	}
	want := "It’s a café – 5 €\nLine!\n\n• one\n• two"
	if p.Inbound.Text != want {
		t.Errorf("text = %q, want %q", p.Inbound.Text, want)
	}
}
