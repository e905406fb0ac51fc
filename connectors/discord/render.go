package discord

import (
	"regexp"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// markup matches Discord's inline references: user, role and channel
// mentions, custom emoji, timestamps and slash-command mentions.
var markup = regexp.MustCompile(`<(@!?|@&|#)(\d{1,20})>|<a?:(\w{1,64}):\d{1,20}>|<t:(-?\d{1,12})(?::[tTdDfFR])?>|</([\w\- ]{1,100}):\d{1,20}>`)

// render returns a message's text with mentions, emoji and timestamps
// written the way a reader sees them in Discord ("@민지", "#support",
// ":party:"). st may be nil; unknown names fall back to generic words.
func (c *Channel) render(st *discordgo.State, m *discordgo.Message) string {
	return markup.ReplaceAllStringFunc(m.Content, func(s string) string {
		sub := markup.FindStringSubmatch(s)
		switch {
		case sub[1] == "@" || sub[1] == "@!":
			for _, u := range m.Mentions {
				if u != nil && u.ID == sub[2] {
					return "@" + displayName(u, nil)
				}
			}
			return "@user"
		case sub[1] == "@&":
			if st != nil && m.GuildID != "" {
				if r, err := st.Role(m.GuildID, sub[2]); err == nil && r.Name != "" {
					return "@" + r.Name
				}
			}
			return "@role"
		case sub[1] == "#":
			for _, ch := range m.MentionChannels {
				if ch != nil && ch.ID == sub[2] && ch.Name != "" {
					return "#" + ch.Name
				}
			}
			if st != nil {
				if ch, err := st.Channel(sub[2]); err == nil && ch.Name != "" {
					return "#" + ch.Name
				}
			}
			return "#channel"
		case sub[3] != "":
			return ":" + sub[3] + ":"
		case sub[4] != "":
			sec, err := strconv.ParseInt(sub[4], 10, 64)
			if err != nil {
				return s
			}
			return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04 UTC")
		case sub[5] != "":
			return "/" + sub[5]
		}
		return s
	})
}
