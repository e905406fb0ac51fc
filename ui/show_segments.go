package ui

import (
	"net/http"
	"strconv"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/store"
)

// attributesData is the attribute definitions screen.
type attributesData struct {
	Builtin []store.AttributeDef
	Custom  []store.AttributeDef
	Types   []string
}

func (h *handler) showAttributes(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	defs, err := h.s.Inbox.AttributeDefs(r.Context())
	if err != nil {
		h.fail(w, r, p, "attribute defs", err)
		return
	}
	d := attributesData{Types: []string{store.AttrText, store.AttrNumber, store.AttrBoolean, store.AttrDate}}
	for _, a := range defs {
		if a.Builtin {
			d.Builtin = append(d.Builtin, a)
		} else {
			d.Custom = append(d.Custom, a)
		}
	}
	pg := h.newPage(r, p, "attributes", "admin.attributes")
	pg.Data = d
	h.render(w, r, "attributes", pg)
}

// segmentsData is the segments screen: the saved ones and the editor.
type segmentsData struct {
	Segments []store.Segment
	Editing  *store.Segment
	Attrs    []segmentAttr
	Ops      []string
}

// segmentAttr is an attribute the editor offers, with its label in the
// page's language and its type (the operators follow it).
type segmentAttr struct {
	Key, Label, Type string
}

func (h *handler) showSegments(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx := r.Context()
	pg := h.newPage(r, p, "segments", "admin.segments")
	var d segmentsData
	var err error
	if d.Segments, err = h.s.Inbox.Segments(ctx); err != nil {
		h.fail(w, r, p, "segments", err)
		return
	}
	d.Editing = &store.Segment{Definition: store.SegmentDef{Match: store.MatchAll}}
	if v := r.URL.Query().Get("id"); v != "" {
		id, _ := strconv.ParseInt(v, 10, 64)
		if d.Editing, err = h.s.Inbox.Segment(ctx, id); err != nil {
			h.fail(w, r, p, "segment", err)
			return
		}
	}
	defs, err := h.s.Inbox.AttributeDefs(ctx)
	if err != nil {
		h.fail(w, r, p, "attribute defs", err)
		return
	}
	types := map[string][]string{}
	for _, a := range defs {
		d.Attrs = append(d.Attrs, segmentAttr{Key: a.Key, Label: a.Label(pg.Lang), Type: a.Type})
		types[a.Type] = store.AttributeOps(a.Type)
	}
	d.Ops = []string{store.OpEq, store.OpNe, store.OpContains, store.OpGt, store.OpGte, store.OpLt, store.OpLte, store.OpTrue, store.OpFalse,
		store.OpBefore, store.OpAfter, store.OpOlderThan, store.OpWithinDays, store.OpSet, store.OpUnset}
	pg.Data = d
	pg.Boot["segment"] = map[string]any{"id": d.Editing.ID, "definition": d.Editing.Definition, "ops": types}
	h.render(w, r, "segments", pg)
}
