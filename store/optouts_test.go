package store_test

import (
	"testing"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

func TestOptOuts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := &store.Contact{Name: "민지"}
		if err := st.DB.Create(c).Error; err != nil {
			t.Fatal(err)
		}
		has := func(topic string) bool {
			t.Helper()
			ok, err := st.OptedOut(ctx, c.ID, topic)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if has(store.TopicSurveys) {
			t.Fatal("opted out before asking")
		}
		for _, src := range []string{"one-click", "link"} { // twice is once; the first source stays
			if err := st.PutOptOut(ctx, &store.ContactOptOut{ContactID: c.ID, Topic: store.TopicSurveys, Source: src}); err != nil {
				t.Fatal(err)
			}
		}
		if !has(store.TopicSurveys) || has(store.TopicMarketing) {
			t.Fatalf("surveys %v marketing %v", has(store.TopicSurveys), has(store.TopicMarketing))
		}
		list, err := st.OptOutsOf(ctx, c.ID)
		if err != nil || len(list) != 1 || list[0].Source != "one-click" {
			t.Fatalf("opt-outs %+v %v", list, err)
		}
		if ok, err := st.DeleteOptOut(ctx, c.ID, store.TopicSurveys); err != nil || !ok || has(store.TopicSurveys) {
			t.Fatalf("delete: %v %v", ok, err)
		}
	})
}
