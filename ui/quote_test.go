package ui

import (
	"strings"
	"testing"

	"github.com/hanbox/hanbox/inbox"
)

// TestFoldQuotedHTML: the quoted history of HTML mails as they look after
// the ingest sanitizer (classes gone, ids kept) is folded into a closed
// <details>; the new text stays outside it.
func TestFoldQuotedHTML(t *testing.T) {
	policy := inbox.NewHTMLPolicy()
	cases := []struct {
		name, html string
		fold       bool
		outside    string // text that must stay outside the fold
		inside     string // text that must be inside it
	}{
		{"gmail", `<div dir="ltr">배송 언제 되나요?</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 1 Dec 2026 at 10:00, Support &lt;help@shop.kr&gt; wrote:<br></div><blockquote class="gmail_quote">주문이 접수되었습니다.</blockquote></div>`,
			true, "배송 언제 되나요?", "주문이 접수되었습니다."},
		{"outlook", `<div>Thanks, that fixed it.</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Support<br><b>Sent:</b> Monday</div><div>Please restart the app.</div>`,
			true, "Thanks, that fixed it.", "Please restart the app."},
		{"naver", `<p>환불 부탁드립니다.</p><p>-----Original Message-----<br>From: 고객센터</p><p>문의 주셔서 감사합니다.</p>`,
			true, "환불 부탁드립니다.", "문의 주셔서 감사합니다."},
		{"korean attribution", `<div>네 확인했습니다</div><div>2026년 12월 1일 (월) 오전 10:00, 상담원님이 작성:</div><blockquote>영수증 첨부드립니다</blockquote>`,
			true, "네 확인했습니다", "영수증 첨부드립니다"},
		{"attribution after the answer in one block", `<div>Thanks, received.<br>On Mon, Support wrote:<br></div><blockquote>Your parcel left today.</blockquote>`,
			true, "Thanks, received.", "Your parcel left today."},
		{"all quote", `<blockquote>only the old message</blockquote>`, false, "only the old message", ""},
		{"no quote", `<p>hello <b>there</b></p>`, false, "hello", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clean := policy.Sanitize(c.html)
			got := foldQuotedHTML(clean, `<img src=x onerror=alert(1)> 인용`)
			if strings.Contains(got, "<img src=x") {
				t.Fatalf("label not escaped: %s", got)
			}
			i := strings.Index(got, `<details class="hb-quoted">`)
			if !c.fold {
				if i >= 0 || got != clean {
					t.Fatalf("folded a mail that should show whole: %s", got)
				}
				return
			}
			if i < 0 {
				t.Fatalf("no fold in %s", got)
			}
			if o := strings.Index(got, c.outside); o < 0 || o > i {
				t.Fatalf("%q is not before the fold: %s", c.outside, got)
			}
			if in := strings.Index(got, c.inside); in < i {
				t.Fatalf("%q is not inside the fold: %s", c.inside, got)
			}
			if !strings.Contains(got, "<summary>&lt;img src=x onerror=alert(1)&gt; 인용</summary>") {
				t.Fatalf("summary missing: %s", got)
			}
		})
	}
}
