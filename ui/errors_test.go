package ui

import (
	"net/http"
	"testing"

	"github.com/hanbox/hanbox/web"
)

func TestErrorsTranslate(t *testing.T) {
	cases := []struct {
		lang string
		err  *web.Error
		want string
	}{
		{"ko", web.New(http.StatusUnprocessableEntity, "invalid", "name is longer than 255").Because("too_long").With("field", "name").With("max", 255),
			"이름이(가) 너무 깁니다 (최대 255)."},
		{"en", web.New(http.StatusUnprocessableEntity, "invalid", "name is longer than 255").Because("too_long").With("field", "name").With("max", 255),
			"Name is too long (at most 255)."},
		{"ko", web.New(http.StatusBadRequest, "bad_utf8", "q is not valid UTF-8 text").With("field", "q"), "검색어에 올바르지 않은 문자가 있습니다."},
		{"ko", web.New(http.StatusNotFound, "not_found", "not found"), "찾을 수 없습니다."},
		// No translation: a general sentence in Korean, the English message in
		// English; never an internal one.
		{"ko", web.New(http.StatusTeapot, "unheard_of", "short and stout"), "요청을 처리하지 못했습니다."},
		{"en", web.New(http.StatusTeapot, "unheard_of", "short and stout"), "short and stout"},
		// A raw connector reason is never appended in Korean.
		{"ko", web.New(http.StatusUnprocessableEntity, "invalid_settings", `email: address: "" is not an email address`).With("reason", `email: address: "" is not an email address`),
			"채널 설정을 받아들일 수 없습니다. 설정 값을 확인해 주세요."},
		{"ko", web.Internal(http.ErrAbortHandler), "문제가 생겼습니다. 기록해 두었습니다."},
		{"en", &web.Error{Status: 500, Code: "weird", Message: "raw internal detail"}, "Something went wrong"},
	}
	for _, c := range cases {
		if got := translatorFor(c.lang).Error(c.err); got != c.want {
			t.Errorf("%s %s/%s: %q, want %q", c.lang, c.err.Code, c.err.Reason, got, c.want)
		}
	}
}
