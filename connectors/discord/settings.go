package discord

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// Settings of a Discord channel.
type Settings struct {
	// GuildID is the Discord server (guild) the bot answers in. Messages from
	// other guilds are ignored; DMs have no guild.
	GuildID string `json:"guild_id"`
	// SupportChannels are the ids of the text channels watched for customer
	// messages; threads under them are watched too.
	SupportChannels []string `json:"support_channels"`
	// OpenThreads makes a top-level message in a support channel open a
	// Discord thread for its ticket (default true).
	OpenThreads *bool `json:"open_threads"`
	// AllowDMs turns direct messages to the bot into tickets (default true).
	AllowDMs *bool `json:"allow_dms"`
	// APIBase replaces https://discord.com for REST calls (tests, proxies).
	APIBase string `json:"api_base"`
	// CustomerHistory shows this channel's conversations to customers in
	// their history (the widget, conversation pages); default false, since
	// a Discord server's channels are rooms, not one customer's thread.
	CustomerHistory *bool `json:"customer_history"`
	// KBSuggestions lets the answer bot reply in a new ticket's thread with
	// up to three help articles that may answer it (package kb); off by
	// default.
	KBSuggestions bool `json:"kb_suggestions"`
	// AIAnswers lets the bot answer customers with the generative-answers
	// provider (package assist), off by default.
	AIAnswers bool `json:"ai_answers"`
}

// openThreads reports the effective open_threads value.
func (s Settings) openThreads() bool { return s.OpenThreads == nil || *s.OpenThreads }

// allowDMs reports the effective allow_dms value.
func (s Settings) allowDMs() bool { return s.AllowDMs == nil || *s.AllowDMs }

// Validate checks the settings.
func (s Settings) Validate() error {
	if s.GuildID != "" && !isSnowflake(s.GuildID) {
		return fmt.Errorf("discord: guild_id %q is not a Discord id (a number; enable Developer Mode and use Copy Server ID)", s.GuildID)
	}
	for _, id := range s.SupportChannels {
		if !isSnowflake(id) {
			return fmt.Errorf("discord: support channel %q is not a Discord id (a number; use Copy Channel ID)", id)
		}
	}
	if len(s.SupportChannels) == 0 && !s.allowDMs() {
		return errors.New("discord: nothing to watch: add support_channels or allow DMs")
	}
	if s.APIBase != "" {
		u, err := url.Parse(s.APIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("discord: api_base %q must be an http(s) URL", s.APIBase)
		}
	}
	return nil
}

// isSnowflake reports whether s looks like a Discord id.
func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
