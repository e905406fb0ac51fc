package plaintext

import (
	"errors"
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
		err  error
	}{
		{"  배송 문의 ", 10, "배송 문의", nil},
		{"a\x00b", 10, "", ErrControl},
		{"a\nb", 10, "", ErrControl},
		{"a\tb", 10, "", ErrControl},
		{"a\u0085b", 10, "", ErrControl},
		{"a\xffb", 10, "", ErrInvalidUTF8},
		{strings.Repeat("가", 255), 255, strings.Repeat("가", 255), nil},
		{strings.Repeat("가", 256), 255, "", ErrTooLong},
		{strings.Repeat("a", 300), 0, strings.Repeat("a", 300), nil},
	}
	for _, c := range cases {
		got, err := Line(c.in, c.max)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("Line(%q, %d) = %q, %v; want %q, %v", c.in, c.max, got, err, c.want, c.err)
		}
	}
}

func TestText(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
		err  error
	}{
		{"줄 하나\n줄 둘\t끝", 0, "줄 하나\n줄 둘\t끝", nil},
		{"a\x00b\x00", 0, "ab", nil},
		{"a\xffb", 0, "", ErrInvalidUTF8},
		{"abcd", 3, "", ErrTooLong},
		{"ab\x00c", 3, "abc", nil},
	}
	for _, c := range cases {
		got, err := Text(c.in, c.max)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("Text(%q, %d) = %q, %v; want %q, %v", c.in, c.max, got, err, c.want, c.err)
		}
	}
}
