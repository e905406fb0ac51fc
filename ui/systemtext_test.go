package ui

import (
	"testing"

	"github.com/hanbox/hanbox/store"
)

// TestSystemTextSaysWhichTagsChanged: the line an update leaves names the
// tags added and removed, in the agent's language; lines from older
// versions are translated too.
func TestSystemTextSaysWhichTagsChanged(t *testing.T) {
	ko := &page{tr: translatorFor("ko"), Lang: "ko"}
	en := &page{tr: translatorFor("en"), Lang: "en"}
	meta := store.JSONMap{"changes": map[string]any{"tags": map[string]any{"old": []any{"late", "vip"}, "new": []any{"vip", "refund"}}}}
	cases := []struct {
		pg   *page
		text string
		meta store.JSONMap
		want string
	}{
		{ko, "tags: vip, refund", meta, "태그 추가: #refund · 태그 삭제: #late"},
		{en, "tags: vip, refund", meta, "Tags added: #refund · Tags removed: #late"},
		{ko, "status:resolved, tags", nil, "상태 → 해결됨 · 태그 변경"},
		{ko, "status: open → resolved, subject", nil, "상태 → 해결됨 · 제목 변경"},
		{ko, "SLA breached: first response", store.JSONMap{"sla": map[string]any{"event": "breached", "target": "first_response"}}, "SLA 위반: 첫 응답"},
		{en, "SLA met: resolution", store.JSONMap{"sla": map[string]any{"event": "met", "target": "resolution"}}, "SLA met: resolution"},
		{ko, "SLA warning: resolution", store.JSONMap{"sla": map[string]any{"event": "warning", "target": "resolution"}}, "SLA 임박: 해결"},
		{ko, "SLA paused", store.JSONMap{"sla": map[string]any{"event": "paused"}}, "SLA 일시 정지 (대기 또는 스누즈 동안 시간이 멈춤)"},
		{en, "SLA resumed", store.JSONMap{"sla": map[string]any{"event": "resumed"}}, "SLA resumed (due times moved later by the pause)"},
	}
	for _, c := range cases {
		if got := systemText(c.pg, c.text, c.meta); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.pg.Lang, c.text, got, c.want)
		}
	}
}

// TestCustomerName: an anonymous visitor reads "방문자 #12", never a blank
// or an address-less hole; names lose bidirectional controls.
func TestCustomerName(t *testing.T) {
	ko, en := translatorFor("ko"), translatorFor("en")
	for _, c := range []struct {
		tr   translator
		c    *store.Contact
		want string
	}{
		{ko, &store.Contact{ID: 12}, "방문자 #12"},
		{en, &store.Contact{ID: 12}, "Visitor #12"},
		{ko, &store.Contact{ID: 12, Email: "a@b.test"}, "a@b.test"},
		{ko, &store.Contact{ID: 12, Name: "\u202E김민지", Email: "a@b.test"}, "김민지"},
		{ko, nil, ""},
	} {
		if got := customerName(c.tr, c.c); got != c.want {
			t.Errorf("%+v: %q, want %q", c.c, got, c.want)
		}
	}
}
