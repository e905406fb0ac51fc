package ui

import (
	"strconv"
	"strings"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// customerName is how a customer is shown to agents: their name, else
// their address, else "방문자 #1234" / "Visitor #1234" (an anonymous chat
// visitor, numbered by contact id so the same visitor reads the same
// everywhere). Bidirectional controls are dropped.
func customerName(tr translator, c *store.Contact) string {
	if c == nil {
		return ""
	}
	if n := plaintext.StripBidi(c.Name); n != "" {
		return n
	}
	if c.Email != "" {
		return c.Email
	}
	return strings.ReplaceAll(tr.T("contact.visitor"), "{id}", strconv.FormatInt(c.ID, 10))
}
