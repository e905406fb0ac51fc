package slack

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Modes of receiving events.
const (
	// ModeEvents receives the Events API and interactivity over HTTPS
	// (Slack calls /connectors/slack/{key}/events and /interactions).
	ModeEvents = "events"
	// ModeSocket receives the same payloads over a Socket Mode WebSocket
	// opened with the app-level token; no public URL is needed.
	ModeSocket = "socket"
)

// DefaultNotePrefix marks a Slack thread reply as a private note.
const DefaultNotePrefix = "note:"

// DefaultMaxFileBytes bounds one mirrored inbound file.
const DefaultMaxFileBytes = 20 << 20

// Settings of a Slack channel.
type Settings struct {
	// APIURL overrides https://slack.com/api/ (tests point it at a fake).
	APIURL string `json:"api_url"`
	// NotifyChannel is the Slack channel id that receives new-ticket
	// notifications; empty disables notifications.
	NotifyChannel string `json:"notify_channel"`
	// NotifyFilter narrows which tickets are announced.
	NotifyFilter Filter `json:"notify_filter"`
	// CustomerChannels are Slack channel ids whose messages from non-agents
	// become tickets (Slack Connect channels shared with customers).
	CustomerChannels []string `json:"customer_channels"`
	// NotePrefix turns a thread reply into a private note (default "note:").
	NotePrefix string `json:"note_prefix"`
	// Mode is "events" (default) or "socket".
	Mode string `json:"mode"`
	// MaxFileBytes bounds one mirrored file (default 20 MiB); larger files
	// are skipped and mentioned in the message text.
	MaxFileBytes int64 `json:"max_file_bytes"`
	// CustomerHistory shows this channel's conversations to customers in
	// their history (the widget, conversation pages); default false, since
	// a shared Slack channel is a room, not one customer's thread.
	CustomerHistory *bool `json:"customer_history"`
	// KBSuggestions lets the answer bot reply in a new ticket's thread with
	// up to three help articles that may answer it (package kb); off by
	// default.
	KBSuggestions bool `json:"kb_suggestions"`
	// AIAnswers lets the bot answer customers with the generative-answers
	// provider (package assist), off by default.
	AIAnswers bool `json:"ai_answers"`
}

// Filter selects the tickets announced in the notify channel. Empty fields
// match everything.
type Filter struct {
	// ChannelIDs are Hanbox origin channel ids.
	ChannelIDs []int64 `json:"channel_ids"`
	// Tags: the ticket must carry at least one of them.
	Tags []string `json:"tags"`
}

func (s *Settings) defaults() {
	if s.NotePrefix == "" {
		s.NotePrefix = DefaultNotePrefix
	}
	if s.Mode == "" {
		s.Mode = ModeEvents
	}
	if s.MaxFileBytes <= 0 {
		s.MaxFileBytes = DefaultMaxFileBytes
	}
	if s.APIURL != "" && !strings.HasSuffix(s.APIURL, "/") {
		// slack-go joins method names onto the URL: it needs the slash.
		s.APIURL += "/"
	}
}

// Validate checks the settings.
func (s Settings) Validate() error {
	var errs []error
	switch s.Mode {
	case "", ModeEvents, ModeSocket:
	default:
		errs = append(errs, fmt.Errorf("slack: mode must be %q or %q, not %q", ModeEvents, ModeSocket, s.Mode))
	}
	if s.APIURL != "" {
		u, err := url.Parse(s.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("slack: api_url must be an http(s) URL"))
		}
	}
	if s.NotifyChannel == "" && len(s.CustomerChannels) == 0 {
		errs = append(errs, errors.New("slack: set notify_channel, customer_channels or both"))
	}
	if s.NotifyChannel != "" && slices.Contains(s.CustomerChannels, s.NotifyChannel) {
		errs = append(errs, errors.New("slack: notify_channel cannot also be a customer channel"))
	}
	for _, id := range append([]string{s.NotifyChannel}, s.CustomerChannels...) {
		if strings.ContainsAny(id, " #/:") {
			errs = append(errs, fmt.Errorf("slack: %q is not a channel id (use the id like C0123ABCD, not the name)", id))
		}
	}
	if s.MaxFileBytes < 0 {
		errs = append(errs, errors.New("slack: max_file_bytes must not be negative"))
	}
	return errors.Join(errs...)
}

// matches reports whether a ticket from origin channel with tags passes f.
func (f Filter) matches(origin int64, tags []string) bool {
	if len(f.ChannelIDs) > 0 && !slices.Contains(f.ChannelIDs, origin) {
		return false
	}
	if len(f.Tags) > 0 && !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.Tags, t) }) {
		return false
	}
	return true
}
