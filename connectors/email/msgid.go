package email

import (
	"strings"
	"unicode/utf8"
)

// Message-ID and threading headers: In-Reply-To, References and reply tokens.

// ThreadKeys returns the "email:" thread keys of a message: In-Reply-To
// first, then References newest first, without duplicates.
func ThreadKeys(inReplyTo, references []string) []string {
	var keys []string
	for _, id := range inReplyTo {
		keys = appendUnique(keys, "email:"+id)
	}
	for i := len(references) - 1; i >= 0; i-- {
		keys = appendUnique(keys, "email:"+references[i])
	}
	return keys
}

// ParseMsgIDs extracts message ids (without angle brackets) from an
// In-Reply-To or References value. It is lenient: mailers fold, comment and
// sometimes drop the brackets.
func ParseMsgIDs(v string) []string {
	var ids []string
	rest := v
	found := false
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		found = true
		if id := cleanMsgID(rest[i+1 : i+j]); id != "" {
			ids = appendUnique(ids, id)
		}
		rest = rest[i+j+1:]
	}
	if !found {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				if id := cleanMsgID(f); id != "" {
					ids = appendUnique(ids, id)
				}
			}
		}
	}
	if len(ids) > 100 {
		ids = ids[len(ids)-100:] // the newest matter; bound hostile headers
	}
	return ids
}

func firstMsgID(v string) string {
	ids := ParseMsgIDs(v)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func cleanMsgID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, "<>,;")
	if s == "" || len(s) > 400 || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return ""
		}
	}
	return s
}

// replyToken returns the token of a local+token@domain recipient whose
// local@domain is one of own.
func replyToken(addr string, own []string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	local, domain := addr[:at], addr[at+1:]
	base, tok, ok := strings.Cut(local, "+")
	if !ok || tok == "" {
		return ""
	}
	if !isOwn(base+"@"+domain, own) {
		return ""
	}
	for _, r := range tok {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return tok
}

func isOwn(addr string, own []string) bool {
	addr = strings.ToLower(addr)
	for _, o := range own {
		if addr == o {
			return true
		}
		if at := strings.LastIndexByte(addr, '@'); at > 0 {
			if base, _, ok := strings.Cut(addr[:at], "+"); ok && base+addr[at:] == o {
				return true
			}
		}
	}
	return false
}

func appendUnique(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}
