package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// waitSignal re-checks cond each time wake delivers (a published event, a
// kept mail) until it holds. The timer only bounds a hang; nothing is timed.
func waitSignal[T any](t *testing.T, what string, wake <-chan T, cond func() bool) {
	t.Helper()
	hang := time.NewTimer(60 * time.Second)
	defer hang.Stop()
	for !cond() {
		select {
		case <-wake:
		case <-hang.C:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// waitLong polls cond up to a deadline that only bounds a hang, for what
// announces itself nowhere (a listener coming up, a job that finishes
// without a change).
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var ratingLink = regexp.MustCompile(`http://[^\s"<>]+/s/[A-Za-z0-9._~%-]+\?score=\d`)

// TestCSATByEmail is issue 14's email flow through real SMTP: a customer
// mails in, an agent answers and resolves; the durable consumer and the
// job scheduler send a short rating mail, threaded into the conversation,
// to the local SMTP sink; its rating link opens the public page with the
// score chosen but records nothing (mail scanners fetch links), the POST
// records it (twice is once), the form adds a comment and thanks; forged,
// other-ticket and expired tokens are refused.
func TestCSATByEmail(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			dsn := ""
			if d == store.Postgres {
				dsn = storetest.PostgresDSN(t)
			}
			ts := newPublicServer(t, dsn)
			mx := newMailCatcher(t)
			mx.got = make(chan struct{}, 64) // a wake-up per kept mail
			smtpHost, smtpPort, _ := net.SplitHostPort(mx.addr)
			var port int
			fmt.Sscan(smtpPort, &port)
			listen := freePort(t)
			var ch struct {
				Channel struct {
					ID int64 `json:"id"`
				} `json:"channel"`
			}
			ts.do("POST", "/api/v1/channels", "", map[string]any{"kind": "email", "name": "Support mail", "settings": map[string]any{
				"address": "support@shop.test", "from_name": "Shop Support",
				"smtp": map[string]any{"host": smtpHost, "port": port, "tls": "none"}, "listen": map[string]any{"addr": listen}}}, 201, &ch)
			if _, err := ts.srv.Inbox.SetCSATSetting(t.Context(), ch.Channel.ID, inbox.SurveySettingInput{Enabled: true,
				QuestionKo: "상담에 만족하셨나요?", ThanksKo: "의견 고맙습니다!"}); err != nil {
				t.Fatal(err)
			}
			waitLong(t, "listener up", func() bool {
				c, err := net.Dial("tcp", listen)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
			evCtx, stopEvents := context.WithCancel(t.Context())
			events := ts.srv.Inbox.Bus().Subscribe(evCtx, 1024, nil)
			first := "From: Minji <minji@customer.test>\r\nTo: support@shop.test\r\nSubject: 환불 문의\r\nMessage-ID: <q1@customer.test>\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n환불해 주세요\r\n"
			if err := smtp.SendMail(listen, nil, "minji@customer.test", []string{"support@shop.test"}, []byte(first)); err != nil {
				t.Fatal(err)
			}
			var list struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
			waitSignal(t, "the email ticket", events, func() bool {
				ts.do("GET", "/api/v1/tickets", "", nil, 200, &list)
				return len(list.Items) == 1
			})
			stopEvents()
			ticket := list.Items[0].ID
			ts.do("POST", "/api/v1/tickets/"+ticket+"/replies", "", map[string]any{"text": "환불 처리했습니다."}, 201, nil)
			ts.do("PATCH", "/api/v1/tickets/"+ticket, "", map[string]any{"status": "resolved"}, 200, nil)

			var raw []byte
			waitSignal(t, "the rating mail", mx.got, func() bool {
				mx.mu.Lock()
				defer mx.mu.Unlock()
				for _, m := range mx.msgs {
					if strings.Contains(string(m), "/s/") {
						raw = m
						return true
					}
				}
				return false
			})
			msg, err := mail.CreateReader(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			refs, _ := msg.Header.MsgIDList("References")
			irt, _ := msg.Header.MsgIDList("In-Reply-To")
			if !slices.Contains(refs, "q1@customer.test") || len(irt) != 1 || irt[0] != "q1@customer.test" {
				t.Errorf("rating mail not threaded: References %v In-Reply-To %v", refs, irt)
			}
			if subj, _ := msg.Header.Subject(); !strings.Contains(subj, "환불 문의") {
				t.Errorf("subject %q", subj)
			}
			unsub := strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>")
			if !strings.HasPrefix(unsub, ts.http.URL+"/u/") || msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Fatalf("List-Unsubscribe %q, List-Unsubscribe-Post %q", msg.Header.Get("List-Unsubscribe"), msg.Header.Get("List-Unsubscribe-Post"))
			}
			text, html := mailParts(t, raw)
			if !strings.Contains(text, "설문 메일 받지 않기: "+unsub) {
				t.Errorf("no unsubscribe link in the text:\n%s", text)
			}
			if !strings.Contains(text, "상담에 만족하셨나요?") || strings.Contains(text, "/c/") {
				t.Errorf("rating mail text:\n%s", text)
			}
			links := ratingLink.FindAllString(text, -1)
			if len(links) != 5 || !strings.Contains(html, "매우 만족") {
				t.Fatalf("rating links %v\nhtml %s", links, html)
			}
			four := links[3]
			if !strings.HasSuffix(four, "?score=4") {
				t.Fatalf("fourth link %s", four)
			}

			var sv store.Survey
			load := func() {
				t.Helper()
				if err := ts.srv.Store.DB.Where("kind = ?", store.SurveyCSAT).Take(&sv).Error; err != nil {
					t.Fatal(err)
				}
			}
			get := func(u string) (int, string) {
				t.Helper()
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			// The link opens the confirm page with 4 chosen, and records
			// nothing: mail scanners fetch links (twice here).
			for range 2 {
				if code, body := get(four); code != 200 || !strings.Contains(body, `id="sconfirm"`) || !strings.Contains(body, `value="4" checked`) {
					t.Fatalf("click: %d\n%s", code, body)
				}
			}
			load()
			if sv.Score != nil || sv.Answers != 0 {
				t.Fatalf("a GET recorded an answer: %+v", sv)
			}
			page, _ := url.Parse(four)
			page.RawQuery = ""
			post := func(form url.Values) (int, string) {
				t.Helper()
				resp, err := http.PostForm(page.String(), form)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			// Confirm, then a double click: one answer.
			for range 2 {
				if code, body := post(url.Values{"score": {"4"}}); code != 200 || !strings.Contains(body, "의견 고맙습니다!") {
					t.Fatalf("confirm: %d\n%s", code, body)
				}
			}
			load()
			if sv.Score == nil || *sv.Score != 4 || sv.Answers != 1 {
				t.Fatalf("after the confirms: %+v", sv)
			}
			// Opened again: the saved answer, changeable.
			if code, body := get(page.String()); code != 200 || !strings.Contains(body, `id="ssaved"`) || !strings.Contains(body, `value="4" checked`) {
				t.Fatalf("reopen: %d\n%s", code, body)
			}
			// The form adds a comment (and may change the score): the last answer wins.
			if code, body := post(url.Values{"score": {"5"}, "comment": {"친절했어요"}}); code != 200 || !strings.Contains(body, "의견 고맙습니다!") {
				t.Fatalf("form: %d\n%s", code, body)
			}
			load()
			if *sv.Score != 5 || sv.Comment != "친절했어요" || sv.Answers != 2 {
				t.Fatalf("after the form: %+v", sv)
			}

			// Forged and other-ticket tokens: 404, nothing stored.
			tok := strings.TrimPrefix(page.Path, "/s/")
			parts := strings.Split(tok, ".")
			key, err := ts.srv.Store.Secret(t.Context(), "conversation_links", 32)
			if err != nil {
				t.Fatal(err)
			}
			for name, bad := range map[string]string{
				"forged":       parts[0] + "." + parts[1] + ".AAAAAAAAAAAAAAAAAAAAAAAA",
				"other ticket": inbox.SurveyToken(key, sv.PublicID, sv.TicketID+1),
			} {
				if code, _ := get(ts.http.URL + "/s/" + bad + "?score=1"); code != http.StatusNotFound {
					t.Errorf("%s token: %d, want 404", name, code)
				}
			}
			// Expired: 410, the answer stays.
			if err := ts.srv.Store.DB.Model(&store.Survey{}).Where("id = ?", sv.ID).Update("expires_at", time.Now().Add(-time.Hour)).Error; err != nil {
				t.Fatal(err)
			}
			if code, body := get(links[0]); code != http.StatusGone || !strings.Contains(body, "마감") {
				t.Errorf("expired: %d\n%s", code, body)
			}
			load()
			if *sv.Score != 5 || sv.Answers != 2 {
				t.Fatalf("after the expired click: %+v", sv)
			}

			// Unsubscribe: the page asks first (a GET changes nothing), a
			// forged token is a 404, the RFC 8058 one-click POST opts out.
			optedOut := func() bool {
				t.Helper()
				ok, err := ts.srv.Inbox.OptedOut(t.Context(), sv.ContactID, inbox.TopicSurveys)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			if code, body := get(unsub); code != 200 || !strings.Contains(body, `id="usubmit"`) || !strings.Contains(body, "수신 거부") || optedOut() {
				t.Fatalf("unsubscribe page: %d opted out %v\n%s", code, optedOut(), body)
			}
			if code, _ := get(ts.http.URL + "/u/surveys." + strings.Split(strings.TrimPrefix(unsub, ts.http.URL+"/u/"), ".")[1] + ".AAAAAAAAAAAAAAAAAAAAAAAA"); code != http.StatusNotFound {
				t.Errorf("forged unsubscribe token: %d", code)
			}
			resp, err := http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || !optedOut() {
				t.Fatalf("one-click: %d, opted out %v", resp.StatusCode, optedOut())
			}
			if code, body := get(unsub); code != 200 || !strings.Contains(body, `id="udone"`) {
				t.Fatalf("unsubscribe page after: %d\n%s", code, body)
			}
			// Reopened and resolved again: the new round's job runs and
			// asks nothing, because the customer opted out.
			ts.do("PATCH", "/api/v1/tickets/"+ticket, "", map[string]any{"status": "open"}, 200, nil)
			ts.do("PATCH", "/api/v1/tickets/"+ticket, "", map[string]any{"status": "resolved"}, 200, nil)
			waitLong(t, "the second round's job", func() bool {
				var n int64
				ts.srv.Store.DB.Model(&store.Job{}).Where("kind = ? AND status = ?", inbox.JobCSAT, store.JobDone).Count(&n)
				return n == 2
			})
			var surveys int64
			ts.srv.Store.DB.Model(&store.Survey{}).Count(&surveys)
			if surveys != 1 {
				t.Fatalf("%d surveys after opting out, want 1", surveys)
			}
		})
	}
}
