package widget

import "testing"

// TestSessionLang: the language campaign messages are rendered in is the
// one the script shows: the channel's ko/en setting, else the browser's.
func TestSessionLang(t *testing.T) {
	for _, c := range []struct{ setting, browser, want string }{
		{"ko", "en-US", "ko"}, {"en", "ko-KR", "en"},
		{"auto", "ko-KR", "ko"}, {"auto", "KO", "ko"}, {"", "en-GB", "en"}, {"auto", "ja-JP", "en"}, {"auto", "", "en"},
	} {
		ch := &Channel{settings: Settings{Locale: c.setting}}
		if got := ch.sessionLang(c.browser); got != c.want {
			t.Errorf("setting %q, browser %q: %q, want %q", c.setting, c.browser, got, c.want)
		}
	}
}
