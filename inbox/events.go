package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event types. Durable events follow a committed change: they are written
// to the events table in the change's transaction (see Consumer) and then
// published on the bus. Ephemeral ones (typing, presence, viewing) are only
// ever on the bus.
const (
	EventTicketCreated   = "ticket.created"
	EventTicketUpdated   = "ticket.updated"
	EventMessageCreated  = "message.created"
	EventMessageUpdated  = "message.updated"
	EventContactUpdated  = "contact.updated"
	EventChannelsChanged = "channels.changed" // channel rows were created, changed or removed
	// EventTeamUpdated: a team was created, changed (settings, members,
	// channels) or deleted.
	EventTeamUpdated = "team.updated"
	// EventAgentUpdated: an agent's availability or chat cap changed.
	EventAgentUpdated = "agent.updated"
	// EventBotReleased: the flow bot let go of tickets it held back from
	// auto-assignment: one (TicketID) at its handoff, or every ticket of a
	// channel (ChannelID) when the channel's flow was turned off or removed.
	EventBotReleased = "bot.released"

	EventContactTyping = "contact.typing" // a customer is typing (widget)
	EventAgentTyping   = "agent.typing"
	EventAgentViewing  = "agent.viewing"
	EventVisitorPage   = "visitor.page" // a widget visitor is viewing a page
	EventPresence      = "presence"     // a visitor or agent came or went

	// EventAuthChanged says an agent's sessions or tokens were revoked or
	// the agent was deactivated: open event streams of that agent check
	// their credentials again. It is internal and never sent to clients.
	EventAuthChanged = "auth.changed"
)

// Durable reports whether events of type typ record a committed change and
// are kept in the events table for consumers.
func Durable(typ string) bool {
	switch typ {
	case EventTicketCreated, EventTicketUpdated, EventMessageCreated, EventMessageUpdated, EventContactUpdated,
		EventTeamUpdated, EventAgentUpdated, EventBotReleased, EventSurveyAnswered, EventSLAWarning, EventSLABreached, EventTicketNoReply,
		EventSLAPolicyUpdated:
		return true
	}
	return false
}

// Event is a change in the inbox, published after its transaction commits.
// Its JSON form is what /api/v1/events streams (documented in the OpenAPI
// document as the Event schema): keep it backward compatible.
type Event struct {
	// ID is the event's position in the events table (durable events only);
	// a consumer may use it as an idempotency key.
	ID        int64  `json:"id,omitempty"`
	Type      string `json:"type"`
	TicketID  int64  `json:"ticket_id,omitempty"`
	MessageID int64  `json:"message_id,omitempty"`
	ChannelID int64  `json:"channel_id,omitempty"`
	ContactID int64  `json:"contact_id,omitempty"`
	AgentID   int64  `json:"agent_id,omitempty"`
	// TeamID names the team of a team.updated, and the team a new
	// ticket was filed to on ticket.created (absent: none).
	TeamID int64 `json:"team_id,omitempty"`
	// Agent describes an agent.updated (AgentID is the agent).
	Agent *AgentChanges `json:"agent,omitempty"`
	// Changes says what a ticket.updated changed, field by field.
	Changes *TicketChanges `json:"changes,omitempty"`
	// Message describes a message.created or message.updated.
	Message *MessageChanges `json:"message,omitempty"`
	// Contact describes a contact.updated.
	Contact *ContactChanges `json:"contact,omitempty"`
	// Survey describes a survey.answered.
	Survey *SurveyChanges `json:"survey,omitempty"`
	// SLA describes an sla.warning or sla.breached: which target, its due
	// time, the policy and the ticket's SLA cycle.
	SLA *SLAChanges `json:"sla,omitempty"`
	// Rule names the automation rule whose action made this change (and
	// the chain of rules that led to it); nil for everything else.
	Rule *RuleCause `json:"rule,omitempty"`
	// NoReply describes a ticket.no_reply.
	NoReply *NoReplyChanges `json:"no_reply,omitempty"`
	// Data is the free-form payload of ephemeral events (typing, presence,
	// visitor pages, connector-internal events); durable events use the
	// typed fields above.
	Data map[string]any `json:"data,omitempty"`
	At   time.Time      `json:"at"`
	// Remote is true for an event relayed from another Hanbox instance; a
	// relay never sends such an event on again.
	Remote bool `json:"-"`
}

// Change is one field's value before and after a change.
type Change[T any] struct {
	Old T `json:"old"`
	New T `json:"new"`
}

// AgentRef names an agent in an event.
type AgentRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// TicketChanges lists what a ticket.updated event changed; nil fields did
// not change.
type TicketChanges struct {
	Status       *Change[string]     `json:"status,omitempty"`
	SnoozedUntil *Change[*time.Time] `json:"snoozed_until,omitempty"`
	Priority     *Change[string]     `json:"priority,omitempty"`
	// Assignee: a nil side means unassigned.
	Assignee *Change[*AgentRef] `json:"assignee,omitempty"`
	// Team is the team's name (as TeamID's team was called then); TeamID
	// its id, 0 for none.
	Team    *Change[string] `json:"team,omitempty"`
	TeamID  *Change[int64]  `json:"team_id,omitempty"`
	Subject *Change[string] `json:"subject,omitempty"`
	// AssignedBy is "auto" when auto-assignment chose the assignee.
	AssignedBy string            `json:"assigned_by,omitempty"`
	Tags       *Change[[]string] `json:"tags,omitempty"`
	// LastMessageAt is set when a message was added to the ticket.
	LastMessageAt *time.Time `json:"last_message_at,omitempty"`
	// MergedFrom is the ticket merged into this one; MergedInto the ticket
	// this one was merged into (and closed).
	MergedFrom int64 `json:"merged_from,omitempty"`
	MergedInto int64 `json:"merged_into,omitempty"`
	// Unmerged is the ticket split back out of this one (UnmergeTicket);
	// UnmergedFrom the ticket this one was split back out of (and reopened).
	Unmerged     int64 `json:"unmerged,omitempty"`
	UnmergedFrom int64 `json:"unmerged_from,omitempty"`
}

// Fields names the fields that changed, in a fixed order.
func (c *TicketChanges) Fields() []string {
	if c == nil {
		return nil
	}
	var f []string
	add := func(ok bool, name string) {
		if ok {
			f = append(f, name)
		}
	}
	add(c.Status != nil, "status")
	add(c.SnoozedUntil != nil, "snoozed_until")
	add(c.Priority != nil, "priority")
	add(c.Assignee != nil, "assignee")
	add(c.Team != nil || c.TeamID != nil, "team")
	add(c.Subject != nil, "subject")
	add(c.Tags != nil, "tags")
	return f
}

// Summary is a short plain description of the changes in English ("status:
// open → resolved, assignee: Kim"), kept as the text of the system message
// an update leaves on the ticket; screens render the typed changes instead.
func (c *TicketChanges) Summary() string {
	if c == nil {
		return ""
	}
	var parts []string
	str := func(name string, ch *Change[string]) {
		if ch != nil {
			parts = append(parts, fmt.Sprintf("%s: %s → %s", name, orDash(ch.Old), orDash(ch.New)))
		}
	}
	str("status", c.Status)
	str("priority", c.Priority)
	if c.Assignee != nil {
		if c.Assignee.New == nil {
			parts = append(parts, "unassigned")
		} else {
			parts = append(parts, "assignee: "+c.Assignee.New.Name)
		}
	}
	str("team", c.Team)
	if c.AssignedBy != "" {
		parts = append(parts, "assigned by "+c.AssignedBy)
	}
	if c.Subject != nil {
		parts = append(parts, "subject")
	}
	if c.Tags != nil {
		parts = append(parts, "tags: "+orDash(strings.Join(c.Tags.New, ", ")))
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ChangesFromMeta reads the typed changes an update recorded in its system
// message's metadata; nil for messages without them (older versions kept
// only a list of strings).
func ChangesFromMeta(meta map[string]any) *TicketChanges {
	raw, ok := meta["changes"].(map[string]any)
	if !ok {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil
	}
	var c TicketChanges
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	return &c
}

// MessageChanges describes a message.created or message.updated event.
type MessageChanges struct {
	// Direction of a created message: inbound, outbound, note or system.
	Direction string `json:"direction,omitempty"`
	// DeliveryStatus of an outbound message that changed (queued, sent,
	// failed) and the reason of a failure.
	DeliveryStatus string `json:"delivery_status,omitempty"`
	DeliveryError  string `json:"delivery_error,omitempty"`
	Bounced        bool   `json:"bounced,omitempty"`
	// ContinuedOn is the channel kind a reply moved to when the customer
	// could not be reached on theirs ("email").
	ContinuedOn string `json:"continued_on,omitempty"`
	Edited      bool   `json:"edited,omitempty"`
	Deleted     bool   `json:"deleted,omitempty"`
	// Mentions are the agents a created note mentions (@name).
	Mentions []int64 `json:"mentions,omitempty"`
	// AssigneeID is the ticket's assignee when a customer's message was
	// stored (absent: unassigned), so an agent's client can tell a reply on
	// their own ticket without fetching it.
	AssigneeID int64 `json:"assignee_id,omitempty"`
}

// AgentChanges describes an agent.updated event.
type AgentChanges struct {
	Availability *Change[string] `json:"availability,omitempty"`
	ChatCap      *Change[int]    `json:"chat_cap,omitempty"`
}

// ContactChanges describes a contact.updated event.
type ContactChanges struct {
	// MergedFrom is the contact merged into this one.
	MergedFrom int64 `json:"merged_from,omitempty"`
	// Unmerged is the contact split off this one; UnmergedFrom the contact
	// this one was split off (UnmergeContact).
	Unmerged     int64 `json:"unmerged,omitempty"`
	UnmergedFrom int64 `json:"unmerged_from,omitempty"`
	// Attributes lists the attribute keys set or unset.
	Attributes []string `json:"attributes,omitempty"`
	// Event names a contact event recorded (signed_up, order_paid, ...);
	// EventID is its row.
	Event   string `json:"event,omitempty"`
	EventID int64  `json:"event_id,omitempty"`
}

// Bus fans events out to subscribers in this process. Publish never blocks: a
// subscriber that falls behind by more than its buffer loses events (counted
// in Dropped) rather than slowing ingest; live views re-fetch on reconnect.
type Bus struct {
	mu      sync.RWMutex
	subs    map[*subscription]struct{}
	dropped atomic.Int64
}

type subscription struct {
	ch      chan Event
	filter  func(Event) bool
	dropped func(Event)
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: make(map[*subscription]struct{})}
}

// Subscribe returns a channel of events accepted by filter (nil accepts all),
// closed when ctx ends.
func (b *Bus) Subscribe(ctx context.Context, buffer int, filter func(Event) bool) <-chan Event {
	return b.SubscribeCounted(ctx, buffer, filter, nil)
}

// SubscribeCounted is Subscribe for subscribers that must account for what
// they miss: dropped, if set, is called (from Publish, so it must be quick)
// with every event that did not fit in the buffer.
func (b *Bus) SubscribeCounted(ctx context.Context, buffer int, filter func(Event) bool, dropped func(Event)) <-chan Event {
	if buffer <= 0 {
		buffer = 64
	}
	s := &subscription{ch: make(chan Event, buffer), filter: filter, dropped: dropped}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, s)
		close(s.ch)
		b.mu.Unlock()
	}()
	return s.ch
}

// Publish delivers e to every subscriber whose filter accepts it.
func (b *Bus) Publish(e Event) {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		if s.filter != nil && !s.filter(e) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			b.dropped.Add(1)
			if s.dropped != nil {
				s.dropped(e)
			}
		}
	}
}

// Subscribers returns the number of live subscriptions.
func (b *Bus) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}

// Dropped returns how many events were dropped for slow subscribers.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }
