// Package inbox is Hanbox's domain core: the only place that decides who a
// customer is, whether a message was seen before, which ticket it belongs to,
// and what a ticket's state is. Connectors hand it Inbound values; agents act
// through Reply, AddNote and UpdateTicket; every committed change is published
// on the Bus.
//
// Ingest order of decisions:
//  0. Every text of the message is scrubbed (no NUL, valid UTF-8).
//  1. (channel, external id) seen before → duplicate, nothing changes.
//  2. Contact: the channel identity; else the contact that proved the
//     message's vouched-for address; else a new contact. An unverified address
//     is only a reply address (see contacts.go). Two contacts are merged
//     automatically only when both sides of the link are verified.
//  3. Ticket: the first of the message's thread keys that Hanbox knows; else
//     the subject's ticket number when the sender is that ticket's contact;
//     else a new ticket. A merged ticket leads to the one it was merged into;
//     a closed ticket is never reopened: a new one starts.
//  4. Message, attachments, thread keys, search index and notification
//     outbox rows are written in one transaction; events follow the commit.
package inbox

import (
	"cmp"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"gorm.io/gorm"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Limits on inbound content. Connectors enforce their own (smaller) limits
// first; these protect the store from any caller.
const (
	MaxTextBytes       = 1 << 20  // 1 MiB of plain text
	MaxHTMLBytes       = 4 << 20  // 4 MiB of HTML
	MaxAttachmentBytes = 25 << 20 // per file
	MaxAttachments     = 50
	MaxExternalID      = 500
)

// Errors callers branch on; the HTTP edge maps them to status codes.
var (
	ErrInvalid  = errors.New("inbox: invalid input")
	ErrNotFound = store.ErrNotFound
	// ErrStale means the ticket changed since the agent loaded it (collision guard).
	ErrStale = errors.New("inbox: ticket changed since it was loaded")
)

// InvalidError is an ErrInvalid with a reason safe to show to the caller, a
// stable Code ("invalid" unless a more precise one is known) that clients
// and translations key on, and the values the reason names.
type InvalidError struct {
	Code   string
	Reason string
	Params map[string]any
}

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// invalid returns an InvalidError with the generic code and a reason safe
// to show to the caller.
func invalid(format string, args ...any) error {
	return &InvalidError{Code: "invalid", Reason: fmt.Sprintf(format, args...)}
}

// invalidAs returns an InvalidError with its own code; params holds the
// values the translated reason shows.
func invalidAs(code string, params map[string]any, format string, args ...any) error {
	return &InvalidError{Code: code, Reason: fmt.Sprintf(format, args...), Params: params}
}

// Options configure a Service.
type Options struct {
	Logger *slog.Logger
	// BaseURL is the agent-facing URL of Hanbox, for links in notifications.
	BaseURL string
	// Metrics receives counters; nil disables them.
	Metrics *Metrics
	// NoGroupCommit turns off batching concurrent ingests into shared
	// transactions (for benchmarks that compare the two).
	NoGroupCommit bool
	// MinFreeDisk is the free space of the data directory's file system
	// below which uploads are refused (default DefaultMinFreeDisk; negative
	// turns the guard off).
	MinFreeDisk int64
	// FreeDisk measures that free space (default: the store's file system;
	// tests replace it).
	FreeDisk func() (uint64, error)
	// ContinueWindow is how long a resolved conversation may still be
	// continued by its customer (default DefaultContinueWindow).
	ContinueWindow time.Duration
	// LinkTTL is how long a conversation link works after the last email
	// that carried it (default DefaultLinkTTL).
	LinkTTL time.Duration
	// ContactFallback is the word a saved reply sent by a rule puts for
	// {{contact.name}} when the customer gave no name (default "고객").
	ContactFallback string
	// Now is the clock the bot and auto-assignment read business hours
	// with (default time.Now); tests set a fixed moment.
	Now func() time.Time
}

// Service is the inbox. It is safe for concurrent use.
type Service struct {
	st        *store.Store
	bus       *Bus
	log       *slog.Logger
	baseURL   string
	policy    *bluemonday.Policy
	notifiers atomic.Pointer[[]int64]
	wake      chan struct{}
	metrics   *Metrics
	batch     *batcher     // group commit of ingests; nil with Options.NoGroupCommit
	lastSweep atomic.Int64 // unix nanoseconds of the last idempotency-key sweep

	minFreeDisk int64
	freeBytes   func() (uint64, error)

	consumerMu  sync.Mutex
	consumers   []Consumer
	eventSignal signal // new durable events were committed
	retrySignal signal // a parked event was queued again

	// What customers see (customer.go) and their conversation links (links.go).
	hiddenChannels atomic.Pointer[map[int64]bool]
	continueWindow time.Duration
	linkTTL        time.Duration
	linkKey        atomic.Pointer[[]byte]

	// ruleHooks are test hooks in a rule's run (rules.go); zero in
	// production.
	ruleHooks       ruleHooks
	contactFallback string
	// campaigns is set by EnableCampaigns.
	campaigns    *Campaigns
	clock        func() time.Time // Options.Now
	routingSched *jobs.Scheduler  // EnableRoutingHours
	botSched     *jobs.Scheduler  // EnableBotHoldTimeout
}

// New returns a Service over st.
func New(st *store.Store, opts Options) *Service {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		st:      st,
		bus:     NewBus(),
		log:     log,
		baseURL: strings.TrimRight(opts.BaseURL, "/"),
		policy:  NewHTMLPolicy(),
		wake:    make(chan struct{}, 1),
		metrics: opts.Metrics,

		minFreeDisk: opts.MinFreeDisk,
		freeBytes:   opts.FreeDisk,

		continueWindow: cmp.Or(opts.ContinueWindow, DefaultContinueWindow),
		linkTTL:        cmp.Or(opts.LinkTTL, DefaultLinkTTL),

		contactFallback: cmp.Or(opts.ContactFallback, "고객"),
		clock:           opts.Now,
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.minFreeDisk == 0 {
		s.minFreeDisk = DefaultMinFreeDisk
	}
	if s.freeBytes == nil {
		s.freeBytes = st.FreeBytes
	}
	empty := []int64{}
	s.notifiers.Store(&empty)
	// Every committed transaction that queues outbox rows wakes the
	// dispatcher (on PostgreSQL the server's relay also hears other
	// instances' commits); the poll only catches retries and leases.
	st.OnOutbox(s.Wake)
	if !opts.NoGroupCommit {
		s.batch = newBatcher(s)
	}
	return s
}

// NewHTMLPolicy returns the sanitizer applied to every piece of customer HTML:
// formatting, links, tables and images survive; scripts, event handlers,
// forms, frames and style blocks do not. cid: and data: images are allowed
// so inline email images still show.
func NewHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("mailto", "http", "https", "cid")
	p.AllowDataURIImages()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("align", "valign", "bgcolor", "width", "height").OnElements("table", "td", "th", "tr", "img")
	return p
}

// Bus returns the event bus.
func (s *Service) Bus() *Bus { return s.bus }

// SanitizeHTML cleans customer or agent HTML for display.
func (s *Service) SanitizeHTML(html string) string { return s.policy.Sanitize(html) }

// SetNotifiers sets the channels that receive ticket notifications (Slack).
func (s *Service) SetNotifiers(ids []int64) {
	c := append([]int64(nil), ids...)
	s.notifiers.Store(&c)
}

// TokenKey is the thread key of a ticket's reply token: an email connector
// that finds support+<token>@ in a recipient adds TokenKey(token).
func TokenKey(token string) string { return "token:" + strings.ToLower(token) }

// TicketURL returns the agent-facing link to a ticket.
func (s *Service) TicketURL(t *store.Ticket) string {
	return fmt.Sprintf("%s/tickets/%s", s.baseURL, t.PublicID)
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// NewPublicID returns an unguessable identifier (26 base32 characters).
func NewPublicID() string { return randomID(16) }

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// lockKeys serializes concurrent transactions touching the same thread,
// identity or message on PostgreSQL (SQLite's BEGIN IMMEDIATE already
// serializes writers). Locks are taken in a fixed order (ascending hash) to
// rule out deadlocks, all in one statement: the function scan of unnest
// takes them in array order.
func (s *Service) lockKeys(tx *gorm.DB, keys ...string) error {
	if s.st.Dialect != store.Postgres || len(keys) == 0 {
		return nil
	}
	hs := make([]int64, 0, len(keys))
	seen := map[int64]bool{}
	for _, k := range keys {
		h := fnv.New64a()
		h.Write([]byte(k))
		v := int64(h.Sum64())
		if !seen[v] {
			seen[v] = true
			hs = append(hs, v)
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
	var arr strings.Builder
	arr.WriteByte('{')
	for i, v := range hs {
		if i > 0 {
			arr.WriteByte(',')
		}
		arr.WriteString(strconv.FormatInt(v, 10))
	}
	arr.WriteByte('}')
	if err := tx.Exec("SELECT pg_advisory_xact_lock(k) FROM unnest(?::bigint[]) AS k", arr.String()).Error; err != nil {
		return fmt.Errorf("inbox: lock: %w", err)
	}
	return nil
}

// subjectFrom derives a subject from the first line of text.
func subjectFrom(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	return plaintext.Shorten(strings.TrimSpace(line), 81)
}
