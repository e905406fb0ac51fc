package connectors

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Factory builds a connector for one configured channel. It must not do
// I/O: connections are made in Start.
type Factory func(ch Channel, deps Deps) (Connector, error)

type entry struct {
	factory Factory
	desc    *Description
}

var (
	regMu    sync.RWMutex
	registry = map[string]entry{}
)

// Register makes a connector kind available. It is called from init
// functions and panics on an empty or duplicate kind, which is a programming
// error. When the factory returns a concrete type that implements
// Describer, its description is recorded for the admin UI and API.
func Register[C Connector](kind string, f func(ch Channel, deps Deps) (C, error)) {
	if kind == "" || f == nil {
		panic("connectors: Register with empty kind or nil factory")
	}
	var desc *Description
	var zero C
	if d, ok := any(zero).(Describer); ok {
		dd := d.Describe()
		dd.Kind = kind
		desc = &dd
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[kind]; dup {
		panic("connectors: duplicate kind " + kind)
	}
	registry[kind] = entry{desc: desc, factory: func(ch Channel, deps Deps) (Connector, error) {
		c, err := f(ch, deps)
		if err != nil {
			return nil, err
		}
		return c, nil
	}}
}

// Lookup returns the factory for kind.
func Lookup(kind string) (Factory, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	e, ok := registry[kind]
	return e.factory, ok
}

// Kinds lists the registered kinds, sorted.
func Kinds() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Secret returns the secret named key. Secrets are values: a file reference
// (a key+"_file" secret, or a value "file:/path"), which older versions
// read from disk, is refused with an error naming the secret, so the channel
// reports what to fix instead of sending the reference as a password.
func (ch Channel) Secret(key string) (string, error) {
	if _, ok := ch.Secrets[key+"_file"]; ok {
		return "", fmt.Errorf("connectors: secret %s_file is a file reference, which is not read; set %s to the value itself", key, key)
	}
	v, _ := ch.Secrets[key].(string)
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "file:") {
		return "", fmt.Errorf("connectors: secret %s is a file reference, which is not read; set it to the value itself", key)
	}
	return v, nil
}

// Setting returns the string setting key, or def when unset.
func (ch Channel) Setting(key, def string) string {
	if v, ok := ch.Settings[key].(string); ok && v != "" {
		return v
	}
	return def
}
