package connectors_test

import (
	"strings"
	"testing"

	"github.com/hanbox/hanbox/connectors"
)

type sample struct {
	Host   string            `json:"host"`
	Port   int               `json:"port"`
	Greet  map[string]string `json:"greet"`
	Nested struct {
		On bool `json:"on"`
	} `json:"nested"`
	Items []struct {
		Name string `json:"name"`
	} `json:"items"`
	Hidden string `json:"-"`
}

func TestDescriptionCheck(t *testing.T) {
	l := connectors.Text{Ko: "라벨", En: "Label"}
	good := []connectors.Field{
		{Key: "host", Type: connectors.FieldString, Label: l},
		{Key: "port", Type: connectors.FieldNumber, Label: l},
		{Key: "greet.ko", Type: connectors.FieldText, Label: l},
		{Key: "nested.on", Type: connectors.FieldBool, Label: l},
		{Key: "items", Type: connectors.FieldGroups, Label: l, Fields: []connectors.Field{{Key: "name", Type: connectors.FieldString, Label: l}}},
		{Key: "token", Type: connectors.FieldSecret, Label: l},
	}
	d := connectors.Description{Title: l, Fields: good, Settings: sample{}}
	if err := d.Check(); err != nil {
		t.Fatalf("complete description refused: %v", err)
	}
	for name, tc := range map[string]struct {
		fields []connectors.Field
		want   string
	}{
		"missing key":        {good[1:], `"host" is decoded but not described`},
		"unknown key":        {append(good[:len(good):len(good)], connectors.Field{Key: "hots", Type: connectors.FieldString, Label: l}), `"hots" describes a setting`},
		"wrong type":         {append([]connectors.Field{{Key: "host", Type: connectors.FieldBool, Label: l}}, good[1:]...), "cannot hold a string"},
		"one language":       {append([]connectors.Field{{Key: "host", Type: connectors.FieldString, Label: connectors.Text{En: "Host"}}}, good[1:]...), "Korean and English"},
		"select, no options": {append(good[:len(good):len(good)], connectors.Field{Key: "mode", Type: connectors.FieldSelect, Label: l}), "no options"},
		"file secret":        {append(good[:len(good):len(good)], connectors.Field{Key: "token_file", Type: connectors.FieldSecret, Label: l}), "plain name"},
	} {
		d := connectors.Description{Title: l, Fields: tc.fields, Settings: sample{}}
		if err := d.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}
