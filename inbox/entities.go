package inbox

import "github.com/hanbox/hanbox/store"

// The rows the inbox hands to connectors and agents. They are the store's
// types under the domain's names, so a connector can read a ticket, a
// message or an agent without importing the store package (and so without a
// way to query it): connectors reach data only through inbox methods.
type (
	// Ticket is one conversation with a customer.
	Ticket = store.Ticket
	// Message is one entry of a ticket.
	Message = store.Message
	// Agent is a member of the support team.
	Agent = store.Agent
	// Contact is a customer.
	Contact = store.Contact
	// StoredAttachment is a file on a stored message (Attachment is a file on
	// an inbound message, before it is stored).
	StoredAttachment = store.Attachment
	// PageView is one page a widget visitor saw (RecordPageView).
	PageView = store.PageView
)

// Ticket statuses, priorities and message directions (see store).
const (
	StatusOpen     = store.StatusOpen
	StatusPending  = store.StatusPending
	StatusSnoozed  = store.StatusSnoozed
	StatusResolved = store.StatusResolved
	StatusClosed   = store.StatusClosed

	PriorityNormal = store.PriorityNormal

	DirInbound  = store.DirInbound
	DirOutbound = store.DirOutbound
)
