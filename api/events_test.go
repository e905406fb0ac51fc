package api

import (
	"context"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hanbox/hanbox/auth"
	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
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
		"SurveyChanges":  reflect.TypeFor[inbox.SurveyChanges](),
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

// TestStreamRechecksItsSession: a stream whose session disappears without
// any event (removed on another instance without a relay, expired) ends at
// its next periodic check.
func TestStreamRechecksItsSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := storetest.Open(t, store.SQLite)
		au := auth.New(st)
		if err := auth.CreateAgent(context.Background(), st, "kim@example.com", "Kim", store.RoleAgent, "long enough password"); err != nil {
			t.Fatal(err)
		}
		var ag store.Agent
		st.DB.Take(&ag)
		tok, err := au.CreateSession(context.Background(), ag.ID, "session", "")
		if err != nil {
			t.Fatal(err)
		}
		a := New(Options{Inbox: inbox.New(st, inbox.Options{}), Store: st, Auth: au})
		ctx, cancel := context.WithCancel(auth.WithPrincipal(context.Background(), &auth.Principal{Agent: &ag, Token: tok}))
		defer cancel()
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.events(rec, httptest.NewRequest("GET", "/api/v1/events", nil).WithContext(ctx))
		}()
		synctest.Wait()
		if err := st.DB.Where("agent_id = ?", ag.ID).Delete(&store.Session{}).Error; err != nil {
			t.Fatal(err)
		}
		time.Sleep(streamRecheck - time.Second)
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("the stream ended before its check was due")
		default:
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("the stream outlived its session by more than one check")
		}
		if !strings.Contains(rec.Body.String(), "event: end") {
			t.Fatalf("no end event: %q", rec.Body.String())
		}
	})
}
