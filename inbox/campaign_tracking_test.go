package inbox_test

import (
	"reflect"
	"testing"

	"github.com/hanbox/hanbox/inbox"
)

// TestCampaignLinks: the links tracking rewrites, without the sentence's
// punctuation around them.
func TestCampaignLinks(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"장바구니: https://shop.test/cart?id=7.", []string{"https://shop.test/cart?id=7"}},
		{"(https://shop.test/a) 그리고 http://x.test/b, 끝", []string{"https://shop.test/a", "http://x.test/b"}},
		{"https://ko.wikipedia.org/wiki/서울_(도시)!", []string{"https://ko.wikipedia.org/wiki/서울_(도시)"}},
		{"https://shop.test/도움말 보기", []string{"https://shop.test/도움말"}},
		{"mailto:a@x.test ftp://x.test https:// http://", nil},
		{`<a href="https://x.test/q">`, []string{"https://x.test/q"}},
	}
	for _, c := range cases {
		var got []string
		for _, l := range inbox.CampaignLinks(c.text) {
			got = append(got, c.text[l[0]:l[1]])
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: links %q, want %q", c.text, got, c.want)
		}
	}
}
