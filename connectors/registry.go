package connectors

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// Factory builds a connector for one configured channel. It must not do I/O
// beyond reading secret files: connections are made in Start.
type Factory func(ch Channel, deps Deps) (Connector, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Factory{}
)

// Register makes a connector kind available. It is called from init
// functions and panics on an empty or duplicate kind, which is a programming
// error.
func Register(kind string, f Factory) {
	if kind == "" || f == nil {
		panic("connectors: Register with empty kind or nil factory")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[kind]; dup {
		panic("connectors: duplicate kind " + kind)
	}
	registry[kind] = f
}

// Lookup returns the factory for kind.
func Lookup(kind string) (Factory, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	f, ok := registry[kind]
	return f, ok
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

// Secret returns the secret named key: the value itself, or the contents of
// the file named by key+"_file" (or by a value "file:/path"), trimmed.
func (ch Channel) Secret(key string) (string, error) {
	if p, ok := ch.Secrets[key+"_file"].(string); ok && p != "" {
		return readSecretFile(p)
	}
	v, _ := ch.Secrets[key].(string)
	if p, ok := strings.CutPrefix(v, "file:"); ok {
		return readSecretFile(p)
	}
	return v, nil
}

func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("connectors: read secret file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Setting returns the string setting key, or def when unset.
func (ch Channel) Setting(key, def string) string {
	if v, ok := ch.Settings[key].(string); ok && v != "" {
		return v
	}
	return def
}
