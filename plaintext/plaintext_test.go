package plaintext

import "testing"

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "hel"},
		{"배송문의", 4, "배"}, // 3 bytes a character: never half of one
		{"배송문의", 2, ""},
		{"배송문의", 6, "배송"},
		{"abc", 0, ""},
	} {
		if got := Clip(c.in, c.n); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestShorten(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"안녕하세요", 5, "안녕하세요"},
		{"안녕하세요", 4, "안녕하…"},
		{"hello world", 6, "hello…"},
		{"x", 0, ""},
	} {
		if got := Shorten(c.in, c.n); got != c.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestFromHTML(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"entities", `<p>It&#8217;s caf&eacute; &amp; more&nbsp;here &lt;ok&gt;</p>`, "It’s café & more here <ok>"},
		{"paragraphs", "<p>첫 줄</p>\n\n<p>둘째   줄\n이어짐</p>", "첫 줄\n\n둘째 줄 이어짐"},
		{"breaks", "one<br>two<br/>three", "one\ntwo\nthree"},
		{"hidden", `<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script><p>visible</p></body></html>`, "visible"},
		{"list", "<ul><li>a</li><li>b</li></ul>after", "• a\n• b\n\nafter"},
		{"table", "<table><tr><td>주문</td><td>A-1234</td></tr><tr><td>상태</td><td>배송중</td></tr></table>", "주문 A-1234\n\n상태 배송중"},
		{"pre", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"image alt", `<p>see <img src="cid:x" alt="chart"> here</p>`, "see [chart] here"},
		{"malformed", "<div><p>unclosed <b>bold", "unclosed bold"},
		{"plain", "just text", "just text"},
		{"empty", "", ""},
		{"nested blocks", "<div><div><p>x</p></div></div><div>y</div>", "x\n\ny"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := FromHTML(c.in); got != c.want {
				t.Errorf("FromHTML(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func FuzzFromHTML(f *testing.F) {
	f.Add("<p>a&amp;b</p><br><script>x</script>")
	f.Fuzz(func(t *testing.T, s string) {
		_ = FromHTML(s)
	})
}
