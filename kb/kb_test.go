package kb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// clock returns a Now that advances one second per call, so updates have
// distinct, ordered times without sleeping.
func clock() func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func create(t *testing.T, s *kb.Service, title, body, locale, status string) *store.KBArticle {
	t.Helper()
	a, err := s.Create(context.Background(), kb.Input{Title: &title, Body: &body, Locale: &locale, Status: &status, Category: ptr("shipping")}, nil)
	if err != nil {
		t.Fatalf("create %q: %v", title, err)
	}
	return a
}

func titles(hits []store.KBHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Article.Title)
	}
	return out
}

func TestSearchKoreanRankingAndRecency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := kb.New(st)
		s.Now = clock()
		bodyOnly := create(t, s, "주문 안내", "배송이 늦어지면 알려 드립니다.", "ko", "published")
		old := create(t, s, "배송 조회 방법", "주문 내역에서 확인하세요.", "ko", "published")
		newer := create(t, s, "배송비 안내", "5만원 이상 무료입니다.", "ko", "published")
		create(t, s, "배송 초안", "아직 공개하지 않음", "ko", "draft")
		create(t, s, "Shipping times", "Refunds take 3 days.", "en", "published")

		// "배송" finds "배송이" (body) and "배송비" (title); titles first,
		// the newer of two title matches first; the draft stays out.
		hits, err := s.Search(ctx, "배송", "ko", false, 10)
		if err != nil {
			t.Fatal(err)
		}
		got := titles(hits)
		want := []string{newer.Title, old.Title, bodyOnly.Title}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("search 배송 = %q, want %q", got, want)
		}
		// Updating the older one makes it the newest title match.
		if _, err := s.Update(ctx, old.ID, kb.Input{Body: ptr("주문 내역 > 배송 조회에서 확인하세요.")}); err != nil {
			t.Fatal(err)
		}
		hits, _ = s.Search(ctx, "배송", "ko", false, 10)
		if got := titles(hits); len(got) != 3 || got[0] != old.Title {
			t.Fatalf("after update: %q", got)
		}
		// Agents see drafts.
		hits, _ = s.Search(ctx, "초안", "ko", true, 10)
		if len(hits) != 1 {
			t.Fatalf("draft search: %q", titles(hits))
		}
		hits, _ = s.Search(ctx, "초안", "ko", false, 10)
		if len(hits) != 0 {
			t.Fatalf("draft visible publicly: %q", titles(hits))
		}
		// Every word must match in search; Latin words match by prefix.
		hits, _ = s.Search(ctx, "refund", "en", false, 10)
		if len(hits) != 1 {
			t.Fatalf("refund prefix: %q", titles(hits))
		}
		hits, _ = s.Search(ctx, "refund 배송", "", false, 10)
		if len(hits) != 0 {
			t.Fatalf("AND search: %q", titles(hits))
		}
		// Suggest takes any word of a question, published only.
		hits, err = s.Suggest(ctx, "배송비가 얼마인가요?", "ko", 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Article.ID != newer.ID {
			t.Fatalf("suggest: %q", titles(hits))
		}
		// Deleting removes it from search.
		if err := s.Delete(ctx, newer.ID); err != nil {
			t.Fatal(err)
		}
		hits, _ = s.Search(ctx, "배송비", "ko", false, 10)
		if len(hits) != 0 {
			t.Fatalf("deleted still found: %q", titles(hits))
		}
		if err := s.Delete(ctx, newer.ID); !kb.IsNotFound(err) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func TestSlugsAndValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := kb.New(st)
		a := create(t, s, "환불 정책 (Refund policy)!", "", "ko", "draft")
		if a.Slug != "환불-정책-refund-policy" {
			t.Fatalf("slug %q", a.Slug)
		}
		b := create(t, s, "환불 정책 refund policy", "", "ko", "published")
		if b.Slug != a.Slug+"-2" {
			t.Fatalf("second slug %q", b.Slug)
		}
		c := create(t, s, "환불 정책 refund policy", "", "en", "published")
		if c.Slug != a.Slug {
			t.Fatalf("other locale slug %q", c.Slug)
		}
		// A published article keeps its URL when retitled.
		b2, err := s.Update(ctx, b.ID, kb.Input{Title: ptr("완전히 새 제목")})
		if err != nil || b2.Slug != b.Slug || b2.PublishedAt == nil {
			t.Fatalf("retitle: %+v %v", b2, err)
		}
		if _, err := s.Published(ctx, "ko", a.Slug); !kb.IsNotFound(err) {
			t.Fatalf("draft by slug: %v", err)
		}
		if _, err := s.Published(ctx, "ko", b.Slug); err != nil {
			t.Fatal(err)
		}
		for _, in := range []kb.Input{
			{Title: ptr("  ")},
			{Title: ptr("x"), Locale: ptr("fr")},
			{Title: ptr("x"), Status: ptr("live")},
			{Title: ptr(strings.Repeat("가", kb.MaxTitle+1))},
		} {
			if _, err := s.Create(ctx, in, nil); err == nil {
				t.Errorf("accepted %+v", in)
			}
		}
	})
}

func TestRenderSanitizes(t *testing.T) {
	s := kb.New(nil)
	out := string(s.Render("# 제목\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **굵게** <img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(out, bad) {
			t.Errorf("render kept %q: %s", bad, out)
		}
	}
	for _, good := range []string{"<h1", "<strong>굵게</strong>", "<table>"} {
		if !strings.Contains(out, good) {
			t.Errorf("render lost %q: %s", good, out)
		}
	}
}
