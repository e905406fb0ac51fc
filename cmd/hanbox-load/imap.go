package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"mime"
	"mime/quotedprintable"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// imapResult is one mailbox import.
type imapResult struct {
	mails, stored, tickets int
	bytes                  int64
	elapsed                time.Duration
}

// runIMAP fills a mailbox of an IMAP server it runs on loopback (go-imap's
// in-memory server) with n generated mails, creates an email channel that
// imports it, and times the import from the channel's creation until the
// server has stored all n (hanbox_ingest_total), then counts the channel's
// tickets (one per mail: every mail starts its own thread).
func runIMAP(ctx context.Context, cl *client, run string, n int) (*imapResult, error) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("load", "load-"+run)
	if err := user.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(user)
	address := "support-" + run + "@hanbox-load.test"
	r := &imapResult{mails: n}
	for i := 0; i < n; i++ {
		raw := generateMail(run, i, address)
		r.bytes += int64(len(raw))
		if _, err := user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Time: time.Now().Add(time.Duration(i-n) * time.Second)}); err != nil {
			return nil, fmt.Errorf("fill mailbox: %w", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger:       log.New(discard{}, "", 0),
	})
	go srv.Serve(ln)
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	before, err := cl.metrics(ctx)
	if err != nil {
		return nil, err
	}
	base := ingested(before)
	start := time.Now()
	var ch struct {
		Channel struct {
			ID int64 `json:"id"`
		} `json:"channel"`
	}
	if err := cl.call(ctx, "", "POST", "/api/v1/channels", map[string]any{"kind": "email", "name": "hanbox-load imap " + run,
		"settings": map[string]any{"address": address, "imap": map[string]any{"host": "127.0.0.1", "port": port, "tls": "none", "username": "load"},
			"smtp": map[string]any{"host": "127.0.0.1", "port": 25, "tls": "none"}},
		"secrets": map[string]any{"imap_password": "load-" + run}}, &ch); err != nil {
		return nil, fmt.Errorf("create email channel: %w", err)
	}
	if err := poll(ctx, func() bool {
		m, err := cl.metrics(ctx)
		if err != nil {
			return false
		}
		r.stored = int(ingested(m) - base)
		return r.stored >= n
	}); err != nil {
		return nil, fmt.Errorf("import: %d of %d stored: %w", r.stored, n, err)
	}
	r.elapsed = time.Since(start)
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		path := fmt.Sprintf("/api/v1/tickets?status=all&limit=100&channel=%d", ch.Channel.ID)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if err := cl.call(ctx, "", "GET", path, nil, &page); err != nil {
			return nil, fmt.Errorf("count tickets: %w", err)
		}
		r.tickets += len(page.Items)
		if page.NextCursor == "" || len(page.Items) == 0 {
			break
		}
		cursor = page.NextCursor
	}
	return r, nil
}

// ingested is the server's count of inbound messages stored (or recognised
// as already stored) since it started.
func ingested(m map[string]float64) float64 {
	return m[`hanbox_ingest_total{result="stored"}`] + m[`hanbox_ingest_total{result="duplicate"}`]
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// mailTopics are what customers of an online shop write about, in Korean
// and English: a subject and a body paragraph each.
var mailTopics = [][2]string{
	{"배송 문의드립니다", "안녕하세요. 지난주 금요일에 주문한 상품이 아직 도착하지 않았습니다. 송장번호로 조회해 보니 택배사 터미널에서 멈춰 있다고 나옵니다. 언제쯤 받을 수 있을지 확인 부탁드립니다."},
	{"환불 요청", "주문한 니트 색상이 사진과 많이 달라서 반품하고 환불받고 싶습니다. 포장은 뜯었지만 착용하지는 않았습니다. 반품 택배는 어떻게 신청하면 되나요?"},
	{"사이즈 교환 가능할까요?", "운동화를 270으로 주문했는데 조금 작습니다. 275로 교환하고 싶은데 재고가 있는지, 교환 배송비는 얼마인지 알려주세요."},
	{"결제 오류", "카드 결제를 했는데 주문 내역에는 결제 대기로 나오고 카드사에서는 승인 문자가 왔습니다. 이중 결제가 되지 않도록 확인해 주시겠어요?"},
	{"Where is my order?", "Hello, I placed an order last week and the tracking page has said \"label created\" for five days. Could you check with the carrier and let me know when it will ship?"},
	{"Refund for a damaged item", "The mug in my order arrived broken (photo attached). I would like a refund or a replacement, whichever is faster. The box itself looked fine."},
	{"Change of delivery address", "I moved last weekend. Is it still possible to change the delivery address of my order? The new address is in Mapo-gu, Seoul."},
	{"Coupon not applied", "I entered the WELCOME10 coupon at checkout but the discount was not applied to my total. Can you refund the difference?"},
}

// generateMail returns mail i of the load's mailbox: Korean and English,
// plain or multipart/alternative, every fifth one with a small attachment,
// RFC 2047 subjects and base64 or quoted-printable bodies, as mail clients
// send them.
func generateMail(run string, i int, to string) []byte {
	t := mailTopics[i%len(mailTopics)]
	korean := i%len(mailTopics) < 4
	subject := fmt.Sprintf("%s (주문 %d)", t[0], 300000+i)
	from := fmt.Sprintf("%s <customer%d@hanbox-load.test>", mime.BEncoding.Encode("utf-8", fmt.Sprintf("고객%d", i)), i)
	if !korean {
		subject = fmt.Sprintf("%s (order %d)", t[0], 300000+i)
		from = fmt.Sprintf("Customer %d <customer%d@hanbox-load.test>", i, i)
	}
	body := t[1] + "\r\n\r\n" + strings.Repeat("-", 2) + "\r\n" + fmt.Sprintf("%d", i)
	var b strings.Builder
	date := time.Date(2026, 11, 1, 9, 0, 0, 0, time.FixedZone("KST", 9*3600)).Add(time.Duration(i) * time.Minute)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <load-%s-%d@hanbox-load.test>\r\nMIME-Version: 1.0\r\n",
		from, to, mime.BEncoding.Encode("utf-8", subject), date.Format(time.RFC1123Z), run, i)
	part := func(ctype, text string) {
		if korean {
			fmt.Fprintf(&b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", ctype, wrap(base64.StdEncoding.EncodeToString([]byte(text))))
			return
		}
		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		w.Write([]byte(text))
		w.Close()
		fmt.Fprintf(&b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n", ctype, qp.String())
	}
	html := "<html><body><p>" + strings.ReplaceAll(t[1], "\r\n", "<br>") + "</p><p>" + fmt.Sprint(i) + "</p></body></html>"
	switch {
	case i%5 == 4:
		bound := fmt.Sprintf("mixed-%s-%d", run, i)
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n--%s\r\n", bound, bound)
		part("text/plain", body)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: image/png; name=\"photo.png\"\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n",
			bound, wrap(base64.StdEncoding.EncodeToString(fakePNG(i))), bound)
	case i%2 == 1:
		bound := fmt.Sprintf("alt-%s-%d", run, i)
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n--%s\r\n", bound, bound)
		part("text/plain", body)
		fmt.Fprintf(&b, "--%s\r\n", bound)
		part("text/html", html)
		fmt.Fprintf(&b, "--%s--\r\n", bound)
	default:
		part("text/plain", body)
	}
	return []byte(b.String())
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// fakePNG is a few kilobytes that start like a PNG.
func fakePNG(i int) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	for len(b) < 3000+i%2000 {
		b = append(b, byte(i), byte(len(b)))
	}
	return b
}
