package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors/conntest"
	"github.com/hanbox/hanbox/store"
)

// malformedCTE is a multipart mail whose only text part names its transfer
// encoding cte, with body as the part's bytes.
func malformedCTE(cte, body string) []byte { return malformedCTEIn("alternative", cte, body) }

func malformedCTEIn(subtype, cte, body string) []byte {
	return []byte("From: Kim <kim@example.net>\r\nTo: support@example.com\r\nSubject: =?UTF-8?B?7KO866y4?=\r\n" +
		"Message-ID: <cte-" + strings.ReplaceAll(cte, " ", "_") + "@example.net>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/" + subtype + "; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n" + body + "\r\n" +
		"--b1--\r\n")
}

// TestParseLenientTransferEncodings: a misspelled or unknown
// Content-Transfer-Encoding never costs the customer's text (issue 10 item
// 15), and whenever Hanbox had to repair a mail the untouched original is
// attached, so nothing is lost even when the repair guessed wrong.
func TestParseLenientTransferEncodings(t *testing.T) {
	const text = "주문번호 A-1234 배송이 안 왔어요"
	b64 := base64.StdEncoding.EncodeToString([]byte(text))
	for _, c := range []struct {
		cte, body string
		repaired  bool
	}{
		{"8bit", text, false},
		{"8-bit", text, true},
		{"8 bit", text, true},
		{"8BIT ", text, false},
		{"7-bit", text, true},
		{"binary", text, false},
		{"x-unheard-of", text, true},
		{"base64", b64[:20] + "\r\n" + b64[20:], false},
		{"base-64", b64, true},
		{"Base 64", b64, true},
		{"base64", b64[:8] + "!!\x01" + b64[8:], true}, // stray bytes inside the data
		{"quoted_printable", "=EC=A3=BC=EB=AC=B8=EB=B2=88=ED=98=B8 A-1234 =EB=B0=B0=EC=86=A1=EC=9D=B4 =\r\n=EC=95=88 =EC=99=94=EC=96=B4=EC=9A=94", true},
		{"quoted printable", "=EC=A3=BC=EB=AC=B8=EB=B2=88=ED=98=B8 A-1234 =EB=B0=B0=EC=86=A1=EC=9D=B4 =EC=95=88 =EC=99=94=EC=96=B4=EC=9A=94", true},
	} {
		for _, subtype := range []string{"alternative", "mixed"} {
			t.Run(subtype+"/"+c.cte, func(t *testing.T) {
				raw := malformedCTEIn(subtype, c.cte, c.body)
				p, err := Parse(raw, ParseOptions{ChannelID: 1, Own: testOwn})
				if err != nil {
					t.Fatal(err)
				}
				in := p.Inbound
				if !strings.HasPrefix(in.Text, text) || strings.Contains(in.Text, "could not be read") {
					t.Errorf("text = %q, want it to start with %q", in.Text, text)
				}
				var orig []byte
				for _, a := range in.Attachments {
					if a.Name == "original-message.eml" && a.ContentType == "message/rfc822" {
						orig = a.Data
					}
				}
				_, flagged := in.Meta["repaired"]
				if c.repaired != (orig != nil) || c.repaired != flagged || c.repaired != strings.Contains(in.Text, "original-message.eml") {
					t.Errorf("repaired=%v: original attached %v, meta %v, text %q", c.repaired, orig != nil, in.Meta["repaired"], in.Text)
				}
				if orig != nil && !bytes.Equal(orig, raw) {
					t.Errorf("attached original differs from the raw mail")
				}
			})
		}
	}
}

// TestParseSinglePartMisspelledBase64: the same repair for a mail that is
// one text part, not a multipart.
func TestParseSinglePartMisspelledBase64(t *testing.T) {
	raw := "From: a@example.net\r\nTo: support@example.com\r\nMessage-ID: <sp@x>\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: base-64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte("환불 요청합니다")) + "\r\n"
	p, err := Parse([]byte(raw), ParseOptions{Own: testOwn})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Inbound.Text, "환불 요청합니다") || len(p.Inbound.Attachments) != 1 {
		t.Errorf("text %q, %d attachments", p.Inbound.Text, len(p.Inbound.Attachments))
	}
}

// TestParseBrokenMultipartKeepsOriginal: a multipart that ends in the middle
// of a part keeps what was readable and the original.
func TestParseBrokenMultipartKeepsOriginal(t *testing.T) {
	raw := "From: a@example.net\r\nTo: support@example.com\r\nMessage-ID: <cut@x>\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n" +
		"--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n첫 부분은 읽힙니다\r\n--zz\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK"
	p, err := Parse([]byte(raw), ParseOptions{Own: testOwn})
	if err != nil {
		t.Fatal(err)
	}
	in := p.Inbound
	var orig bool
	for _, a := range in.Attachments {
		orig = orig || a.Name == "original-message.eml"
	}
	if !strings.Contains(in.Text, "첫 부분은 읽힙니다") || !orig || in.Meta["repaired"] == nil {
		t.Errorf("text %q, original attached %v, meta %v", in.Text, orig, in.Meta)
	}
}

// TestDeliverKeepsOriginalOfRepairedMail: end to end, the original of a
// repaired mail is stored on the ticket's message where the agent sees it.
func TestDeliverKeepsOriginalOfRepairedMail(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		env := conntest.New(t, dialect)
		row := env.AddChannel(Kind, "mail", settingsFor(nil, nil), nil, "")
		c := directChannel(t, env, row, nil)
		raw := malformedCTE("8-bit", "주문번호 A-1234")
		if err := c.deliver(context.Background(), env.Inbox, raw, "test"); err != nil {
			t.Fatal(err)
		}
		m, err := env.Inbox.MessageByExternalID(context.Background(), row.ID, "cte-8-bit@example.net")
		if err != nil {
			t.Fatal(err)
		}
		full, err := env.Inbox.Message(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(full.Text, "주문번호 A-1234") {
			t.Errorf("text %q", full.Text)
		}
		var found bool
		for _, a := range full.Attachments {
			if a.Name == "original-message.eml" {
				found = true
				r, err := env.Store.OpenBlob(a.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(b, raw) {
					t.Errorf("stored original: %v, %d bytes, want %d", err, len(b), len(raw))
				}
			}
		}
		if !found {
			t.Errorf("attachments %+v lack the original", full.Attachments)
		}
	})
}

// TestDeliverQuarantinesOriginalTooLargeToAttach: a repaired mail whose
// original cannot be attached is imported and its original quarantined.
func TestDeliverQuarantinesOriginalTooLargeToAttach(t *testing.T) {
	old := maxOriginalBytes
	maxOriginalBytes = 100
	t.Cleanup(func() { maxOriginalBytes = old })
	env := conntest.New(t, store.SQLite)
	row := env.AddChannel(Kind, "mail", settingsFor(nil, nil), nil, "")
	c := directChannel(t, env, row, nil)
	raw := malformedCTE("8-bit", "주문번호 A-1234")
	if err := c.deliver(context.Background(), env.Inbox, raw, "test"); err != nil {
		t.Fatal(err)
	}
	m, err := env.Inbox.MessageByExternalID(context.Background(), row.ID, "cte-8-bit@example.net")
	if err != nil || !strings.HasPrefix(m.Text, "주문번호 A-1234") || !strings.Contains(m.Text, "quarantine") {
		t.Fatalf("message %v: %q", err, textOf(m))
	}
	var qs []store.Quarantine
	env.Store.DB.Where("channel_id = ?", row.ID).Find(&qs)
	if len(qs) != 1 || !bytes.Equal(qs[0].Raw, raw) || !strings.Contains(qs[0].Reason, "8-bit") {
		t.Errorf("quarantine %+v", qs)
	}
}
