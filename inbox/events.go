package inbox

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Event types. Durable events follow a committed change; ephemeral ones
// (typing, presence, viewing) are only ever on the bus.
const (
	EventTicketCreated   = "ticket.created"
	EventTicketUpdated   = "ticket.updated"
	EventMessageCreated  = "message.created"
	EventMessageUpdated  = "message.updated"
	EventContactUpdated  = "contact.updated"
	EventChannelsChanged = "channels.changed" // channel rows were created, changed or removed

	EventContactTyping = "contact.typing" // a customer is typing (widget)
	EventAgentTyping   = "agent.typing"
	EventAgentViewing  = "agent.viewing"
	EventVisitorPage   = "visitor.page" // a widget visitor is viewing a page
	EventPresence      = "presence"     // a visitor or agent came or went
)

// Event is a change in the inbox, published after its transaction commits.
type Event struct {
	Type      string         `json:"type"`
	TicketID  int64          `json:"ticket_id,omitempty"`
	MessageID int64          `json:"message_id,omitempty"`
	ChannelID int64          `json:"channel_id,omitempty"`
	ContactID int64          `json:"contact_id,omitempty"`
	AgentID   int64          `json:"agent_id,omitempty"`
	Data      map[string]any `json:"data,omitempty"`
	At        time.Time      `json:"at"`
	// Remote is true for an event relayed from another Hanbox instance; a
	// relay never sends such an event on again.
	Remote bool `json:"-"`
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
	ch     chan Event
	filter func(Event) bool
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: make(map[*subscription]struct{})}
}

// Subscribe returns a channel of events accepted by filter (nil accepts all),
// closed when ctx ends.
func (b *Bus) Subscribe(ctx context.Context, buffer int, filter func(Event) bool) <-chan Event {
	if buffer <= 0 {
		buffer = 64
	}
	s := &subscription{ch: make(chan Event, buffer), filter: filter}
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
