package plaintext

import (
	"regexp"
	"strings"
	"unicode"
)

// Quote detection: where the quoted history of a reply begins.

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
	best := quoteHead(text)
	if best == 0 {
		return -1 // a message that is all quote: show it all
	}
	return best
}

// QuoteHeadAt reports whether text (a line or a text node of an HTML mail)
// begins a quoted history: an attribution line, an Outlook header block or a
// ">" line.
func QuoteHeadAt(text string) bool {
	return quoteHead(strings.TrimLeftFunc(text, unicode.IsSpace)) == 0
}

// quoteHead is the offset of the first quote head in text, or -1.
func quoteHead(text string) int {
	best := -1
	for _, re := range quoteHeads {
		if loc := re.FindStringIndex(text); loc != nil && (best < 0 || loc[0] < best) {
			best = loc[0]
		}
	}
	return best
}
