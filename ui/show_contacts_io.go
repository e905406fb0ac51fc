package ui

import (
	"net/http"
	"strconv"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/contactcsv"
)

// contactsIOData is the contacts import and export screen.
type contactsIOData struct {
	// Targets are the mapping choices of a column: value and label.
	Targets []ioTarget
	// Statuses are the ticket export's status filter choices.
	Statuses []string
	// MaxRows is the row cap, with thousands separators.
	MaxRows string
}

type ioTarget struct{ Value, Label string }

func (h *handler) showContactsIO(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	defs, err := h.s.Inbox.AttributeDefs(r.Context())
	if err != nil {
		h.fail(w, r, p, "attribute defs", err)
		return
	}
	pg := h.newPage(r, p, "contacts_io", "admin.contactsIO")
	d := contactsIOData{Statuses: []string{"open", "pending", "snoozed", "resolved", "closed", "all"}}
	max := h.s.Config.ImportMaxRows
	if max == 0 {
		max = contactcsv.DefaultMaxRows
	}
	d.MaxRows = groupDigits(max)
	d.Targets = []ioTarget{{"", pg.tr.T("cio.target.skip")}, {contactcsv.TargetEmail, pg.tr.T("cio.target.email")},
		{contactcsv.TargetName, pg.tr.T("cio.target.name")}, {contactcsv.TargetTags, pg.tr.T("cio.target.tags")}}
	for _, a := range defs {
		if !a.ReadOnly {
			d.Targets = append(d.Targets, ioTarget{contactcsv.TargetAttr + a.Key, pg.tr.T("cio.target.attr") + ": " + a.Label(pg.Lang)})
		}
	}
	pg.Data = d
	pg.Boot["importTargets"] = d.Targets
	h.render(w, r, "contacts_io", pg)
}

// groupDigits writes n with a comma every three digits (200,000), as both
// Korean and English write counts.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
