package all_test

import (
	"context"
	"slices"
	"testing"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// Which channels show in customers' history comes from the channels'
// settings and their kinds' descriptions, set by the runtime on the inbox:
// email and api always; Slack and Discord only with customer_history on.
func TestRuntimeSetsHistoryChannels(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc := inbox.New(st, inbox.Options{})
	ctx := context.Background()
	add := func(kind string, settings map[string]any) store.Channel {
		ch := store.Channel{Kind: kind, Name: kind, PublicKey: inbox.NewPublicID(), Settings: settings}
		if err := st.DB.Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
		// Disabled: the runtime reads every row but starts none of these.
		st.DB.Model(&ch).Update("enabled", false)
		return ch
	}
	chans := []store.Channel{add("email", nil), add("api", nil), add("slack", nil), add("discord", map[string]any{connectors.HistoryKey: true}),
		add("slack", map[string]any{connectors.HistoryKey: true}), add("discord", nil)}
	rt := connectors.NewRuntime(st, svc, connectors.RuntimeOptions{})
	if err := rt.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	var contact int64
	for i, ch := range chans {
		r, err := svc.Ingest(ctx, &inbox.Inbound{ChannelID: ch.ID, ExternalID: "m", NewTicket: true,
			Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: "minji@customer.test", Verified: true}, Text: "hello " + ch.Kind})
		if err != nil {
			t.Fatalf("channel %d: %v", i, err)
		}
		contact = r.ContactID
	}
	cs, err := svc.CustomerConversations(ctx, inbox.Scope{ContactID: contact}, 20)
	if err != nil {
		t.Fatal(err)
	}
	var shown []int64
	for _, c := range cs {
		shown = append(shown, c.TicketID)
	}
	slices.Sort(shown)
	if want := []int64{1, 2, 4, 5}; !slices.Equal(shown, want) {
		t.Fatalf("shown tickets %v, want %v (email, api, discord and slack with customer_history on)", shown, want)
	}
}
