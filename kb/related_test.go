package kb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestRelated: an article's related articles are other published ones of
// its locale about the same thing, its own category first; itself, drafts,
// the other locale and unrelated articles are left out.
func TestRelated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		k := kb.New(st)
		mk := func(title, body, locale, status, cat string) *store.KBArticle {
			a, err := k.Create(ctx, kb.Input{Title: &title, Body: &body, Locale: &locale, Status: &status, Category: &cat}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		a := mk("배송 기간 안내", "배송은 2~3일 걸립니다.", "ko", store.KBPublished, "배송")
		mk("해외 배송 기간", "해외 배송은 7일 걸립니다.", "ko", store.KBPublished, "해외")
		mk("배송 조회 방법", "배송 조회는 주문 내역에서 합니다.", "ko", store.KBPublished, "배송")
		mk("배송 기간 초안", "배송 기간 초안", "ko", store.KBDraft, "배송")
		mk("Shipping times 배송 기간", "Shipping takes 2-3 days.", "en", store.KBPublished, "배송")
		for _, topic := range []string{"환불 절차", "결제 수단", "회원 탈퇴", "쿠폰 사용", "교환 신청", "포인트 적립"} {
			mk(topic, topic+" 안내", "ko", store.KBPublished, "기타")
		}
		rel, err := k.Related(ctx, a, 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rel {
			got = append(got, r.Title)
		}
		if strings.Join(got, "|") != "배송 조회 방법|해외 배송 기간" {
			t.Fatalf("related = %q", got)
		}
	})
}
