package email

import (
	"bytes"
	"encoding/base64"
	"flag"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

var update = flag.Bool("update", false, "rewrite testdata/*.eml from the generator")

// The test corpus is generated here, in Go, so every byte of every legacy
// charset is reproducible; TestCorpusUpToDate keeps testdata/ in sync.

const ourMsgID = "hanbox.tkt0001.5.a1b2c3@example.com"

func enc(e encoding.Encoding, s string) []byte {
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

// encodeISO2022KR writes s in RFC 1557 form: a designator at the start and
// SO/SI around each run of KS X 1001 characters.
func encodeISO2022KR(s string) []byte {
	var out bytes.Buffer
	out.WriteString("\x1b$)C")
	for _, line := range strings.SplitAfter(s, "\n") {
		shifted := false
		for _, r := range line {
			if r < 0x80 {
				if shifted {
					out.WriteByte(0x0f)
					shifted = false
				}
				out.WriteRune(r)
				continue
			}
			b := enc(korean.EUCKR, string(r))
			if !shifted {
				out.WriteByte(0x0e)
				shifted = true
			}
			out.WriteByte(b[0] & 0x7f)
			out.WriteByte(b[1] & 0x7f)
		}
		if shifted {
			out.WriteByte(0x0f)
		}
	}
	return out.Bytes()
}

func bword(charset string, b []byte) string {
	return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

func b64lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s + "\r\n")
	return out.String()
}

func qp(b []byte) string {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.String()
}

func crlf(s string) []byte {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

type charsetCase struct {
	file, charset, subject, body, from string
}

// charsetCases are one message per legacy charset; the body and subject are
// what the parser must produce.
var charsetCases = []charsetCase{
	{"charset-euc-kr.eml", "EUC-KR", "배송 문의드립니다", "안녕하세요. 지난주에 주문한 상품이 아직 도착하지 않았습니다.\n주문번호는 20241101-7781 입니다.", "김민준 <minjun@example.kr>"},
	{"charset-cp949.eml", "cp949", "똠방각하 주문 건", "똠방각하 책을 주문했는데 표지가 찢어져 왔어요. 교환 가능한가요?", "이서연 <seoyeon@example.kr>"},
	{"charset-ks_c_5601-1987.eml", "ks_c_5601-1987", "환불 요청", "환불을 요청합니다. 결제는 카드로 했습니다.", "박지훈 <jihoon@corp.example.kr>"},
	{"charset-iso-2022-kr.eml", "ISO-2022-KR", "계정 잠김 문의", "로그인이 되지 않습니다.\n비밀번호를 재설정해 주세요.", "최유진 <yujin@example.kr>"},
	{"charset-iso-2022-jp.eml", "ISO-2022-JP", "注文の件でお問い合わせ", "お世話になっております。注文した商品がまだ届いていません。", "山田太郎 <taro@example.jp>"},
	{"charset-shift_jis.eml", "Shift_JIS", "返品について", "商品が壊れていました。返品の手続きを教えてください。", "佐藤花子 <hanako@example.jp>"},
	{"charset-gb2312.eml", "gb2312", "订单咨询", "您好，我的订单还没有到，请帮忙查询一下。", "王伟 <wangwei@example.cn>"},
	{"charset-big5.eml", "Big5", "訂單查詢", "您好，我的訂單還沒有到，請幫忙查詢。", "陳怡君 <yijun@example.tw>"},
	{"charset-windows-1251.eml", "windows-1251", "Вопрос о заказе", "Здравствуйте! Мой заказ ещё не пришёл.", "Иван Петров <ivan@example.ru>"},
	{"charset-windows-1252.eml", "windows-1252", "Café crème order", "Bonjour, ma commande « crème brûlée » n’est pas arrivée.", "Zoë Müller <zoe@example.fr>"},
}

func charsetEncoding(name string) encoding.Encoding {
	switch strings.ToLower(name) {
	case "euc-kr", "cp949", "ks_c_5601-1987":
		return korean.EUCKR
	case "iso-2022-jp":
		return japanese.ISO2022JP
	case "shift_jis":
		return japanese.ShiftJIS
	case "gb2312":
		return simplifiedchinese.GBK
	case "big5":
		return traditionalchinese.Big5
	case "windows-1251":
		return charmap.Windows1251
	case "windows-1252":
		return charmap.Windows1252
	}
	return nil
}

func encodeIn(charset, s string) []byte {
	if strings.EqualFold(charset, "iso-2022-kr") {
		return encodeISO2022KR(s)
	}
	return enc(charsetEncoding(charset), s)
}

func charsetMessage(c charsetCase) []byte {
	name, addr, _ := strings.Cut(c.from, " <")
	addr = strings.TrimSuffix(addr, ">")
	subj := bword(c.charset, encodeIn(c.charset, c.subject))
	fromName := bword(c.charset, encodeIn(c.charset, name))
	body := encodeIn(c.charset, strings.ReplaceAll(c.body, "\n", "\r\n")+"\r\n")
	var cte, enc string
	switch strings.ToLower(c.charset) {
	case "iso-2022-jp", "iso-2022-kr":
		cte, enc = "7bit", string(body)
	case "cp949", "windows-1252":
		cte, enc = "quoted-printable", qp(body)
	case "gb2312", "big5":
		cte, enc = "base64", b64lines(body)
	default:
		cte, enc = "8bit", string(body)
	}
	head := string(crlf("From: " + fromName + " <" + addr + ">\n" +
		"To: Support <support@example.com>\n" +
		"Subject: " + subj + "\n" +
		"Date: Mon, 04 Nov 2024 10:15:00 +0900\n" +
		"Message-ID: <" + strings.TrimSuffix(c.file, ".eml") + "@mail.example.net>\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=" + c.charset + "\n" +
		"Content-Transfer-Encoding: " + cte + "\n\n"))
	return append([]byte(head), enc...)
}

func corpus() map[string][]byte {
	m := map[string][]byte{}
	for _, c := range charsetCases {
		m[c.file] = charsetMessage(c)
	}

	m["gmail-reply.eml"] = crlf(`Delivered-To: support@example.com
MIME-Version: 1.0
References: <first.customer@mail.gmail.com> <` + ourMsgID + `>
In-Reply-To: <` + ourMsgID + `>
From: Kim Minjun <minjun.kim@gmail.com>
Date: Tue, 5 Nov 2024 09:12:44 +0900
Message-ID: <CAGmail-reply-1@mail.gmail.com>
Subject: Re: =?UTF-8?B?67Cw7IahIOusuOydmA==?= [#1042]
To: Support <support@example.com>
Cc: Lee Jiwoo <jiwoo@example.org>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

` + b64lines([]byte("감사합니다. 내일까지 기다려 보겠습니다.\r\n\r\nOn Mon, Nov 4, 2024 at 6:00 PM Support <support@example.com> wrote:\r\n> 확인해 보니 배송 중입니다.\r\n")) + `
--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

` + qp([]byte(`<div dir="ltr">감사합니다. 내일까지 기다려 보겠습니다.</div><br><div class="gmail_quote"><div class="gmail_attr">On Mon, Nov 4, 2024 at 6:00 PM Support &lt;support@example.com&gt; wrote:<br></div><blockquote class="gmail_quote">확인해 보니 배송 중입니다.</blockquote></div>`)) + `
--000000000000a1b2c3--
`)

	m["outlook-reply.eml"] = crlf(`From: "Park, Jihoon" <jihoon@corp.example.kr>
To: "support@example.com" <support@example.com>
Subject: RE: =?ks_c_5601-1987?B?` + base64.StdEncoding.EncodeToString(enc(korean.EUCKR, "환불 요청")) + `?= [#1042]
Thread-Topic: =?ks_c_5601-1987?B?` + base64.StdEncoding.EncodeToString(enc(korean.EUCKR, "환불 요청")) + `?=
Thread-Index: AQHbL2v4Zk3nq1a2bUe0Yb5mU8w0QQ==
Date: Tue, 5 Nov 2024 01:02:03 +0000
Message-ID: <SE2P216MB1234ABCD@SE2P216MB1234.KORP216.PROD.OUTLOOK.COM>
References: <` + ourMsgID + `>
Content-Language: ko-KR
X-MS-Has-Attach:
Content-Type: text/plain; charset="ks_c_5601-1987"
Content-Transfer-Encoding: base64
MIME-Version: 1.0

` + b64lines(enc(korean.EUCKR, "네, 확인했습니다. 환불 처리 부탁드립니다.\r\n\r\n-----Original Message-----\r\nFrom: Support <support@example.com>\r\nSent: Monday, November 4, 2024 6:00 PM\r\nTo: Park, Jihoon <jihoon@corp.example.kr>\r\nSubject: Re: 환불 요청 [#1042]\r\n\r\n환불 가능합니다.\r\n")))

	m["apple-mail-reply.eml"] = crlf(`From: Sophie Martin <sophie@icloud.example>
Content-Type: multipart/alternative;
	boundary="Apple-Mail=_5E3B0D0A-1111-2222-3333-444455556666"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \(3774.600.62\))
Subject: Re: Order question [#1042]
Date: Tue, 5 Nov 2024 10:20:31 +0100
In-Reply-To: <` + ourMsgID + `>
To: support@example.com
References: <sophie-1@icloud.example> <` + ourMsgID + `>
Message-Id: <B1C2D3E4-APPLE-0001@icloud.example>
X-Mailer: Apple Mail (2.3774.600.62)

--Apple-Mail=_5E3B0D0A-1111-2222-3333-444455556666
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
	charset=utf-8

Thanks, that works for me.

> On 4 Nov 2024, at 18:00, Support <support@example.com> wrote:
>=20
> Your order shipped today.

--Apple-Mail=_5E3B0D0A-1111-2222-3333-444455556666
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
	charset=utf-8

<html><head><meta http-equiv=3D"content-type" content=3D"text/html; =
charset=3Dutf-8"></head><body>Thanks, that works for me.<br><blockquote =
type=3D"cite">Your order shipped today.</blockquote></body></html>
--Apple-Mail=_5E3B0D0A-1111-2222-3333-444455556666--
`)

	// Daum/Naver-style legacy webmail: EUC-KR everywhere, the reply token in
	// the recipient, and a Korean attribution line.
	m["naver-reply.eml"] = crlf(`Return-Path: <hyejin@naver.example>
Delivered-To: support+tok42abc@example.com
From: =?EUC-KR?B?` + base64.StdEncoding.EncodeToString(enc(korean.EUCKR, "정혜진")) + `?= <hyejin@naver.example>
To: =?EUC-KR?B?` + base64.StdEncoding.EncodeToString(enc(korean.EUCKR, "고객센터")) + `?= <support+tok42abc@example.com>
Subject: =?EUC-KR?B?` + base64.StdEncoding.EncodeToString(enc(korean.EUCKR, "답장: 교환 문의")) + `?=
Date: Tue, 05 Nov 2024 14:03:11 +0900
Message-ID: <20241105140311.naver.hyejin@naver.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="----=_Part_123_456.789"

------=_Part_123_456.789
Content-Type: text/plain; charset=euc-kr
Content-Transfer-Encoding: base64

` + b64lines(enc(korean.EUCKR, "사이즈를 M으로 교환하고 싶습니다.\r\n\r\n-----원본 메시지-----\r\n보낸 사람: 고객센터\r\n날짜: 2024-11-04\r\n교환 접수되었습니다.\r\n")) + `
------=_Part_123_456.789
Content-Type: text/html; charset=euc-kr
Content-Transfer-Encoding: base64

` + b64lines(enc(korean.EUCKR, "<p>사이즈를 M으로 교환하고 싶습니다.</p><blockquote>교환 접수되었습니다.</blockquote>")) + `
------=_Part_123_456.789--
`)

	// Raw 8-bit EUC-KR in headers, no charset anywhere: old webmail does this.
	raw8 := "From: " + string(enc(korean.EUCKR, "홍길동")) + " <gildong@daum.example>\r\n" +
		"To: support@example.com\r\n" +
		"Subject: " + string(enc(korean.EUCKR, "문의 드립니다")) + "\r\n" +
		"Date: Tue, 05 Nov 2024 15:00:00 +0900\r\n" +
		"Message-ID: <raw8bit-1@daum.example>\r\n\r\n" +
		string(enc(korean.EUCKR, "회원 탈퇴는 어떻게 하나요?\r\n"))
	m["korean-raw-8bit.eml"] = []byte(raw8)

	m["html-only.eml"] = crlf(`From: "Newsletter Fan" <fan@example.com>
To: support@example.com
Subject: HTML only
Date: Wed, 06 Nov 2024 08:00:00 +0000
Message-ID: <html-only-1@example.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>Hello <b>team</b>,</p><p>The invoice link is broken &amp; I cannot pay.</p><img src=3D"https://tracker.example/p.gif" onerror=3D"alert(2)"></body></html>
`)

	m["forwarded.eml"] = crlf(`From: Office Manager <office@company.example>
To: support@example.com
Subject: Fwd: Invoice problem
Date: Wed, 06 Nov 2024 09:00:00 +0900
Message-ID: <fwd-1@company.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwdboundary"

--fwdboundary
Content-Type: text/plain; charset=utf-8

Please see the customer's mail below.

---------- Forwarded message ---------
From: Customer <customer@example.net>
Date: Tue, Nov 5, 2024 at 5:00 PM
Subject: Invoice problem

The invoice total is wrong.

--fwdboundary
Content-Type: message/rfc822
Content-Disposition: attachment; filename="original.eml"

From: Customer <customer@example.net>
To: office@company.example
Subject: Invoice problem
Message-ID: <orig-inner@example.net>

The invoice total is wrong.

--fwdboundary--
`)

	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	m["attachments.eml"] = crlf(`From: Designer <design@example.com>
To: support@example.com
Subject: =?UTF-8?Q?=EA=B2=AC=EC=A0=81=EC=84=9C_=EC=B2=A8=EB=B6=80?=
Date: Wed, 06 Nov 2024 10:00:00 +0900
Message-ID: <att-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

견적서와 스크린샷을 첨부합니다.

--alt
Content-Type: text/html; charset=utf-8

<p>견적서와 스크린샷을 첨부합니다.</p><img src="cid:shot1@example.com">
--alt--

--rel
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <shot1@example.com>
Content-Disposition: inline

` + b64lines(png) + `
--rel--

--outer
Content-Type: application/pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename*=UTF-8''%EA%B2%AC%EC%A0%81%EC%84%9C.pdf

` + b64lines(pdf) + `
--outer
Content-Type: text/plain; charset=utf-8; name="=?UTF-8?B?66mU66qoLnR4dA==?="
Content-Disposition: attachment; filename="=?UTF-8?B?66mU66qoLnR4dA==?="

a note as a file
--outer--
`)

	m["auto-reply.eml"] = crlf(`From: Lee Office <lee@example.org>
To: support@example.com
Subject: =?UTF-8?B?7J6Q64+ZIOydkeuLtTog67aA7J6sIOykkQ==?=
Auto-Submitted: auto-replied
X-Autoreply: yes
Date: Wed, 06 Nov 2024 11:00:00 +0900
Message-ID: <auto-1@example.org>
In-Reply-To: <` + ourMsgID + `>
Content-Type: text/plain; charset=utf-8

11월 10일까지 휴가입니다. I am out of office until Nov 10.
`)

	m["dsn-bounce.eml"] = crlf(`Return-Path: <>
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Date: Wed, 06 Nov 2024 12:00:00 +0000
Message-ID: <dsn-1@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsnb"

--dsnb
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.
I'm sorry to have to inform you that your message could not be delivered.

--dsnb
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Arrival-Date: Wed, 06 Nov 2024 12:00:00 +0000

Final-Recipient: rfc822; nobody@customer.example
Original-Recipient: rfc822;nobody@customer.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <nobody@customer.example>: Recipient
    address rejected: User unknown

--dsnb
Content-Type: text/rfc822-headers

From: Support <support@example.com>
To: nobody@customer.example
Subject: Re: Question [#1042]
Message-ID: <` + ourMsgID + `>

--dsnb--
`)

	m["malformed-no-sender.eml"] = crlf(`To: support@example.com
Subject: who am I
Message-ID: <nosender@example.com>

There is no From header here.
`)
	m["malformed-boundary.eml"] = crlf(`From: Broken Mailer <broken@example.com>
To: support@example.com
Subject: broken multipart
Message-ID: <badboundary@example.com>
Content-Type: multipart/mixed

This multipart has no boundary at all, but the text should survive.
`)
	m["malformed-garbage.eml"] = []byte("\x00\x01\x02 not a mail\r\n\xff\xfe:::\r\n")
	return m
}

func TestCorpusUpToDate(t *testing.T) {
	m := corpus()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join("testdata", n)
		old, err := os.ReadFile(path)
		if *update || os.IsNotExist(err) {
			if err := os.WriteFile(path, m[n], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, m[n]) {
			t.Errorf("testdata/%s is stale; run go test -run TestCorpusUpToDate -update", n)
		}
	}
}

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		if m, ok := corpus()[name]; ok {
			return m
		}
		t.Fatal(err)
	}
	return b
}
