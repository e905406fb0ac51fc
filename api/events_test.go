package api

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hanbox/hanbox/inbox"
)

// TestEventSchemaMatchesEvent: every JSON field of the event types is
// described in the OpenAPI document, and nothing else is.
func TestEventSchemaMatchesEvent(t *testing.T) {
	schemas := eventSchemas()
	for name, typ := range map[string]reflect.Type{
		"Event":          reflect.TypeFor[inbox.Event](),
		"TicketChanges":  reflect.TypeFor[inbox.TicketChanges](),
		"MessageChanges": reflect.TypeFor[inbox.MessageChanges](),
		"ContactChanges": reflect.TypeFor[inbox.ContactChanges](),
		"AgentRef":       reflect.TypeFor[inbox.AgentRef](),
	} {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		var documented []string
		for k := range s["properties"].(map[string]any) {
			documented = append(documented, k)
		}
		var fields []string
		for f := range typ.Fields() {
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag != "-" && f.IsExported() {
				fields = append(fields, tag)
			}
		}
		slices.Sort(documented)
		slices.Sort(fields)
		if !slices.Equal(documented, fields) {
			t.Errorf("schema %s documents %v; the type has %v", name, documented, fields)
		}
	}
}
