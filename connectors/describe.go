package connectors

import (
	"fmt"
	"strconv"
	"strings"
)

// Describer is implemented by connectors that describe their kind to
// admins: its name, its settings and secrets as a form, where to set it up.
// The registry calls Describe once, at Register, on the zero value of the
// type the factory returns (a nil pointer), so Describe must not use its
// receiver. The admin UI and GET /api/v1/channel-kinds are built from the
// descriptions alone: a new kind needs no switch anywhere else.
type Describer interface {
	Describe() Description
}

// Text is a string for people, in Korean and English.
type Text struct {
	Ko string `json:"ko"`
	En string `json:"en"`
}

// In returns the text in lang ("ko" or "en"), falling back to English.
func (t Text) In(lang string) string {
	if lang == "ko" && t.Ko != "" {
		return t.Ko
	}
	if t.En != "" {
		return t.En
	}
	return t.Ko
}

// Field types of a settings form.
const (
	FieldString = "string" // one line of text
	FieldText   = "text"   // several lines of text
	FieldSecret = "secret" // write-only; kept in the channel's secrets, never shown again
	FieldBool   = "bool"
	FieldNumber = "number"
	FieldSelect = "select" // one of Options
	FieldList   = "list"   // several values, one per line (of Item type)
	FieldURL    = "url"    // an http(s) URL
	// FieldGroups is a list of objects, each a set of Fields (a repeated
	// group, such as the widget's proactive messages).
	FieldGroups = "groups"
)

// Item types of a FieldList.
const (
	ItemString = ""       // a string per line
	ItemNumber = "number" // a number per line
	// ItemSpan is a time span per line, "09:00-18:00", stored as
	// ["09:00", "18:00"].
	ItemSpan = "span"
)

// Field is one setting or secret of a kind. Key is its path in the
// settings object, with dots for nested objects ("imap.host"), or the name
// of a secret (for FieldSecret).
type Field struct {
	Key      string `json:"key"`
	Type     string `json:"type"`
	Label    Text   `json:"label"`
	Help     Text   `json:"help"`
	Required bool   `json:"required,omitempty"`
	// Default is the value used when the field is left empty (shown as a
	// placeholder; not stored).
	Default any `json:"default,omitempty"`
	// Options are the choices of a FieldSelect.
	Options []Option `json:"options,omitempty"`
	// Item is the type of a FieldList's values (ItemString when empty).
	Item string `json:"item,omitempty"`
	// Fields are the members of each object of a FieldGroups, keyed
	// relative to the object.
	Fields []Field `json:"fields,omitempty"`
	// Generated marks a secret that Hanbox creates when the admin leaves it
	// empty; it is shown once, when the channel is created.
	Generated bool `json:"generated,omitempty"`
	// Advanced fields are shown folded: most channels never set them.
	Advanced bool `json:"advanced,omitempty"`
}

// Option is one choice of a FieldSelect.
type Option struct {
	Value string `json:"value"`
	Label Text   `json:"label"`
}

// Link points admins to setup help (a provider's console, a README).
type Link struct {
	Label Text   `json:"label"`
	URL   string `json:"url"`
}

// Endpoint is something a channel shows its admins to copy: a URL a
// provider must call, a snippet to paste. Template may use {base_url},
// {public_key} and {id}.
type Endpoint struct {
	Name     string `json:"name"`
	Label    Text   `json:"label"`
	Template string `json:"template"`
	// Code is shown as a block to copy (a script tag) rather than a URL.
	Code bool `json:"code,omitempty"`
}

// Description is what a kind says about itself.
type Description struct {
	// Kind is set by the registry.
	Kind  string `json:"kind"`
	Title Text   `json:"title"`
	// Summary is one sentence on what the channel does.
	Summary Text `json:"summary"`
	// Badge is the emoji short code Slack shows before a ticket's origin
	// channel (":email:").
	Badge string `json:"badge,omitempty"`
	// Fields are the settings, then the secrets (FieldSecret), in form order.
	Fields    []Field    `json:"fields"`
	Endpoints []Endpoint `json:"endpoints,omitempty"`
	Links     []Link     `json:"links,omitempty"`
	Notes     []Text     `json:"notes,omitempty"`
	// Settings is the zero value of the kind's settings struct; tests check
	// that Fields describe every key it decodes. Not sent to clients.
	Settings any `json:"-"`
}

// Secrets lists the keys of the kind's secret fields.
func (d Description) Secrets() []string {
	var out []string
	for _, f := range d.Fields {
		if f.Type == FieldSecret {
			out = append(out, f.Key)
		}
	}
	return out
}

// Field returns the field with key.
func (d Description) Field(key string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Endpoint fills the template of the endpoint name for a channel; "" when
// the kind has no such endpoint.
func (d Description) Endpoint(name, baseURL string, ch Channel) string {
	for _, e := range d.Endpoints {
		if e.Name == name {
			return FillEndpoint(e.Template, baseURL, ch)
		}
	}
	return ""
}

// FillEndpoint replaces {base_url}, {public_key} and {id} in template.
func FillEndpoint(template, baseURL string, ch Channel) string {
	return strings.NewReplacer("{base_url}", strings.TrimRight(baseURL, "/"), "{public_key}", ch.PublicKey,
		"{id}", strconv.FormatInt(ch.ID, 10)).Replace(template)
}

// Describe returns the description of kind; ok is false for an unknown
// kind or one that does not describe itself.
func Describe(kind string) (Description, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	e, ok := registry[kind]
	if !ok || e.desc == nil {
		return Description{}, false
	}
	return *e.desc, true
}

// Descriptions returns the descriptions of every registered kind that has
// one, sorted by kind.
func Descriptions() []Description {
	var out []Description
	for _, k := range Kinds() {
		if d, ok := Describe(k); ok {
			out = append(out, d)
		}
	}
	return out
}

// Title returns the human name of kind in lang, or kind itself when it does
// not describe itself.
func Title(kind, lang string) string {
	if d, ok := Describe(kind); ok {
		if t := d.Title.In(lang); t != "" {
			return t
		}
	}
	return kind
}

// CheckSecrets refuses secret values that are not plain values: a file
// reference ("file:/path", a key ending in "_file") would make Hanbox read
// a file of the host and send it wherever the channel sends its secrets.
// File references belong to the operator's environment (HANBOX_*_FILE), not
// to values set through the API.
func CheckSecrets(secrets map[string]any) error {
	for k, v := range secrets {
		if strings.HasSuffix(strings.ToLower(k), "_file") {
			return fmt.Errorf("secret %q: file references are not accepted; paste the value itself", k)
		}
		if s, ok := v.(string); ok && strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "file:") {
			return fmt.Errorf("secret %q: file references are not accepted; paste the value itself", k)
		}
		switch v.(type) {
		case nil, string:
		default:
			return fmt.Errorf("secret %q must be a string", k)
		}
	}
	return nil
}
