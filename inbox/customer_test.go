package inbox_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// threadEnv is a service with an email, a widget and a Slack channel.
type threadEnv struct {
	t                    testing.TB
	st                   *store.Store
	svc                  *inbox.Service
	email, widget, slack store.Channel
	agent                store.Agent
	ctx                  context.Context
	seq                  int
}

func newThreadEnv(t testing.TB, st *store.Store) *threadEnv {
	t.Helper()
	e := &threadEnv{t: t, st: st, svc: inbox.New(st, inbox.Options{BaseURL: "https://help.shop.test"}), ctx: context.Background()}
	for _, ch := range []*store.Channel{&e.email, &e.widget, &e.slack} {
		*ch = store.Channel{Name: "채널", PublicKey: inbox.NewPublicID(), Enabled: true}
	}
	e.email.Kind, e.widget.Kind, e.slack.Kind = "email", "widget", "slack"
	for _, ch := range []*store.Channel{&e.email, &e.widget, &e.slack} {
		if err := st.DB.Create(ch).Error; err != nil {
			t.Fatal(err)
		}
	}
	e.agent = store.Agent{Email: "jisoo@shop.test", Name: "지수", Role: store.RoleAgent, Active: true}
	if err := st.DB.Create(&e.agent).Error; err != nil {
		t.Fatal(err)
	}
	e.svc.SetHistoryChannels([]int64{e.slack.ID})
	return e
}

func (e *threadEnv) ext() string {
	e.seq++
	return "m-" + strconv.Itoa(e.seq)
}

// mail ingests an email from address (a proven sender) into thread key.
func (e *threadEnv) mail(address, key, text string, meta map[string]any) inbox.IngestResult {
	e.t.Helper()
	r, err := e.svc.Ingest(e.ctx, &inbox.Inbound{ChannelID: e.email.ID, ExternalID: e.ext(), ThreadKeys: []string{key}, OwnKeys: []string{key},
		Contact: inbox.ContactRef{Kind: inbox.IdentityEmail, ID: address, Verified: true}, Subject: "배송 문의", Text: text, Meta: meta})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// chat ingests a widget message of a site-verified user with address.
func (e *threadEnv) chat(user, address, key, text string) inbox.IngestResult {
	e.t.Helper()
	r, err := e.svc.Ingest(e.ctx, &inbox.Inbound{ChannelID: e.widget.ID, ExternalID: e.ext(), ThreadKeys: []string{key}, OwnKeys: []string{key},
		Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "pk/user:" + user, Verified: true, Email: address, EmailVerified: true}, Text: text})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *threadEnv) reply(ticketID int64, text string) *store.Message {
	e.t.Helper()
	m, err := e.svc.Reply(e.ctx, inbox.ReplyInput{TicketID: ticketID, AgentID: e.agent.ID, Text: text})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// texts are the texts a contact sees of the given tickets, in order.
func (e *threadEnv) texts(contactID int64, ticketIDs ...int64) []string {
	e.t.Helper()
	ms, err := e.svc.CustomerMessages(e.ctx, contactID, ticketIDs, 0, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func (e *threadEnv) convs(sc inbox.Scope) []inbox.CustomerConversation {
	e.t.Helper()
	cs, err := e.svc.CustomerConversations(e.ctx, sc, 20)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func ids(cs []inbox.CustomerConversation) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.TicketID)
	}
	return out
}

// A verified customer sees their conversations on every channel that
// shows history, newest first, and of each only what is theirs to see: no
// notes, no system lines, quoted email history folded off, nothing of
// another customer. The order is the agent thread's.
func TestCustomerSeesEveryChannelButNothingInternal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newThreadEnv(t, st)
		body := "네, 270으로 부탁드려요.\n\nOn Mon, 2 Nov 2026 at 10:00, Shop <support@shop.test> wrote:\n> 사이즈를 알려주세요"
		first := e.mail("minji@customer.test", "email:<q1@customer.test>", "신발 사이즈를 바꿀 수 있나요?", nil)
		e.reply(first.TicketID, "네, 원하시는 사이즈를 알려주세요.")
		e.mail("minji@customer.test", "email:<q1@customer.test>", body, map[string]any{"quoted_from": strings.Index(body, "On Mon")})
		if _, err := e.svc.AddNote(e.ctx, first.TicketID, e.agent.ID, "VIP 고객, 무료 교환", nil); err != nil {
			t.Fatal(err)
		}
		tags := []string{"교환"}
		if _, err := e.svc.UpdateTicket(e.ctx, first.TicketID, e.agent.ID, inbox.TicketPatch{Tags: &tags}); err != nil {
			t.Fatal(err)
		}
		chat := e.chat("42", "minji@customer.test", "widget:pk:c-1", "채팅으로도 물어봐요")
		if chat.ContactID != first.ContactID || chat.TicketID == first.TicketID {
			t.Fatalf("chat %+v, email %+v: want one contact, two tickets", chat, first)
		}
		// A Slack conversation of the same customer: that channel is hidden.
		if _, err := e.svc.Ingest(e.ctx, &inbox.Inbound{ChannelID: e.slack.ID, ExternalID: "ts-1", ThreadKeys: []string{"slack:T/C/1"}, OwnKeys: []string{"slack:T/C/1"},
			Contact: inbox.ContactRef{Kind: inbox.IdentitySlack, ID: "T/U1", Verified: true, Email: "minji@customer.test", EmailVerified: true}, Text: "슬랙 방 이야기"}); err != nil {
			t.Fatal(err)
		}
		other := e.mail("jun@customer.test", "email:<o1@customer.test>", "다른 고객의 문의", nil)

		cs := e.convs(inbox.Scope{ContactID: first.ContactID})
		if !slices.Equal(ids(cs), []int64{chat.TicketID, first.TicketID}) || cs[0].ChannelKind != "widget" || cs[1].ChannelKind != "email" ||
			cs[1].Subject != "배송 문의" || !cs[1].Continuable {
			t.Fatalf("conversations %+v", cs)
		}
		got := e.texts(first.ContactID, first.TicketID, chat.TicketID, other.TicketID)
		want := []string{"신발 사이즈를 바꿀 수 있나요?", "네, 원하시는 사이즈를 알려주세요.", "네, 270으로 부탁드려요.", "채팅으로도 물어봐요"}
		if !slices.Equal(got, want) {
			t.Fatalf("visible texts\n got %q\nwant %q", got, want)
		}
		ms, _ := e.svc.CustomerMessages(e.ctx, first.ContactID, []int64{first.TicketID}, 0, 100)
		if ms[2].Quoted == "" || !strings.HasPrefix(ms[2].Quoted, "On Mon") || ms[1].AuthorName != "지수" || ms[1].Inbound {
			t.Errorf("folded quote %q, author %q", ms[2].Quoted, ms[1].AuthorName)
		}
		// One order: ties of stored time fall to the id, as in the agent's thread.
		if err := st.DB.Exec("UPDATE messages SET created_at = ? WHERE ticket_id = ?", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), first.TicketID).Error; err != nil {
			t.Fatal(err)
		}
		agentView, _ := e.svc.Messages(e.ctx, first.TicketID)
		var agentOrder []int64
		for _, m := range agentView {
			if m.Direction == store.DirInbound || m.Direction == store.DirOutbound {
				agentOrder = append(agentOrder, m.ID)
			}
		}
		ms, _ = e.svc.CustomerMessages(e.ctx, first.ContactID, []int64{first.TicketID}, 0, 100)
		var custOrder []int64
		for _, m := range ms {
			custOrder = append(custOrder, m.ID)
		}
		if !slices.Equal(agentOrder, custOrder) || !slices.IsSorted(custOrder) {
			t.Errorf("orders differ: agent %v, customer %v", agentOrder, custOrder)
		}
		// Someone else sees none of it, and the Slack channel shows once allowed.
		if cs := e.convs(inbox.Scope{ContactID: other.ContactID}); !slices.Equal(ids(cs), []int64{other.TicketID}) {
			t.Errorf("other customer lists %v", ids(cs))
		}
		e.svc.SetHistoryChannels(nil)
		if cs := e.convs(inbox.Scope{ContactID: first.ContactID}); len(cs) != 3 || cs[0].ChannelKind != "slack" {
			t.Errorf("with Slack shown: %+v", cs)
		}
	})
}

// A merge by agents of two customers' tickets leaves each their own part:
// the customer of the merged ticket never sees the other's messages from
// before the merge, or the answers written to them; a merge of one
// customer's two tickets shows them one thread. An unmerge restores both.
func TestMergeShowsEachCustomerTheirPartAndUnmergeRestores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newThreadEnv(t, st)
		a := e.mail("minji@customer.test", "email:<a@x>", "민지의 문의", nil)
		e.reply(a.TicketID, "민지님께 답변")
		b := e.mail("jun@customer.test", "email:<b@x>", "준의 문의", nil)
		e.reply(b.TicketID, "준님께 답변")
		a2 := e.mail("minji@customer.test", "email:<a2@x>", "민지의 두 번째 문의", nil)
		if err := e.svc.MergeTickets(e.ctx, a.TicketID, b.TicketID, e.agent.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.MergeTickets(e.ctx, a.TicketID, a2.TicketID, e.agent.ID); err != nil {
			t.Fatal(err)
		}
		after := e.reply(a.TicketID, "합친 뒤의 답변")

		if got := e.texts(a.ContactID, a.TicketID); !slices.Equal(got, []string{"민지의 문의", "민지님께 답변", "민지의 두 번째 문의", "합친 뒤의 답변"}) {
			t.Errorf("minji sees %q", got)
		}
		if cs := e.convs(inbox.Scope{ContactID: a.ContactID}); !slices.Equal(ids(cs), []int64{a.TicketID}) {
			t.Errorf("minji lists %v", ids(cs))
		}
		// Jun's part is now in Minji's ticket: he sees it there, alone, and
		// cannot write into a ticket that is not his.
		if cs := e.convs(inbox.Scope{ContactID: b.ContactID}); !slices.Equal(ids(cs), []int64{a.TicketID}) || cs[0].Continuable {
			t.Errorf("jun lists %+v", cs)
		}
		if got := e.texts(b.ContactID, a.TicketID); !slices.Equal(got, []string{"준의 문의", "준님께 답변"}) {
			t.Errorf("jun sees %q", got)
		}
		if _, err := e.svc.CanContinue(e.ctx, b.ContactID, a.TicketID); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("jun continues minji's ticket: %v", err)
		}
		if _, err := e.svc.CanContinue(e.ctx, b.ContactID, b.TicketID); !errors.Is(err, inbox.ErrNotContinuable) {
			t.Errorf("jun continues his merged ticket: %v", err)
		}
		atts, _ := e.svc.CustomerMessages(e.ctx, a.ContactID, []int64{a.TicketID}, 0, 100)
		for _, m := range atts {
			if _, err := e.svc.CustomerMessage(e.ctx, inbox.Scope{ContactID: b.ContactID}, m.ID); m.ID == after.ID && !errors.Is(err, inbox.ErrNotFound) {
				t.Errorf("jun reads the post-merge answer to minji: %v", err)
			}
		}

		if err := e.svc.UnmergeTicket(e.ctx, b.TicketID, e.agent.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.texts(b.ContactID, b.TicketID); !slices.Equal(got, []string{"준의 문의", "준님께 답변"}) {
			t.Errorf("after unmerge jun sees %q in his ticket", got)
		}
		if cs := e.convs(inbox.Scope{ContactID: b.ContactID}); !slices.Equal(ids(cs), []int64{b.TicketID}) || !cs[0].Continuable {
			t.Errorf("after unmerge jun lists %+v", cs)
		}
		if err := e.svc.UnmergeTicket(e.ctx, a2.TicketID, e.agent.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.texts(a.ContactID, a.TicketID); !slices.Equal(got, []string{"민지의 문의", "민지님께 답변", "합친 뒤의 답변"}) {
			t.Errorf("after unmerge minji sees %q in the first ticket", got)
		}
		if cs := e.convs(inbox.Scope{ContactID: a.ContactID}); len(cs) != 2 {
			t.Errorf("after unmerge minji lists %v", ids(cs))
		}
		tb, _ := e.svc.Ticket(e.ctx, b.TicketID)
		ta, _ := e.svc.Ticket(e.ctx, a.TicketID)
		if tb.MergedInto != nil || tb.Status != store.StatusOpen || tb.MessageCount != 2 || ta.MessageCount != 3 {
			t.Errorf("tickets after unmerge: b %+v, a count %d", tb, ta.MessageCount)
		}
		// Mail on the unmerged ticket's thread goes to it again.
		r := e.mail("jun@customer.test", "email:<b@x>", "다시 준", nil)
		if r.TicketID != b.TicketID {
			t.Errorf("reply to the unmerged thread went to %d, want %d", r.TicketID, b.TicketID)
		}
		if err := e.svc.UnmergeTicket(e.ctx, b.TicketID, e.agent.ID); !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("unmerge of a ticket not merged: %v", err)
		}
	})
}

// Resolved conversations can be continued for a while; closed ones, and
// other customers' ones, never.
func TestCanContinue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newThreadEnv(t, st)
		a := e.mail("minji@customer.test", "email:<a@x>", "문의", nil)
		other := e.mail("jun@customer.test", "email:<b@x>", "문의", nil)
		if c, err := e.svc.CanContinue(e.ctx, a.ContactID, a.TicketID); err != nil || c.Number != a.TicketID+store.TicketNumberBase {
			t.Fatalf("open: %+v %v", c, err)
		}
		resolved := store.StatusResolved
		if _, err := e.svc.UpdateTicket(e.ctx, a.TicketID, 0, inbox.TicketPatch{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CanContinue(e.ctx, a.ContactID, a.TicketID); err != nil {
			t.Errorf("recently resolved: %v", err)
		}
		st.DB.Exec("UPDATE tickets SET last_message_at = ? WHERE id = ?", time.Now().Add(-inbox.DefaultContinueWindow-time.Hour), a.TicketID)
		if _, err := e.svc.CanContinue(e.ctx, a.ContactID, a.TicketID); !errors.Is(err, inbox.ErrNotContinuable) {
			t.Errorf("resolved long ago: %v", err)
		}
		closed := store.StatusClosed
		e.svc.UpdateTicket(e.ctx, other.TicketID, 0, inbox.TicketPatch{Status: &closed})
		if _, err := e.svc.CanContinue(e.ctx, other.ContactID, other.TicketID); !errors.Is(err, inbox.ErrNotContinuable) {
			t.Errorf("closed: %v", err)
		}
		if _, err := e.svc.CanContinue(e.ctx, a.ContactID, other.TicketID); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("another customer's: %v", err)
		}
	})
}
