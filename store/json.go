package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSONMap is a JSON object kept in a text column. It is used for channel
// settings and secrets, message metadata and outbox payloads.
type JSONMap map[string]any

// Value implements driver.Valuer.
func (m JSONMap) Value() (driver.Value, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]any(m))
	if err != nil {
		return nil, fmt.Errorf("store: encode json: %w", err)
	}
	return string(b), nil
}

// jsonBytes is a JSON column's text as the driver hands it over (nil for
// NULL); what names the value in the error.
func jsonBytes(src any, what string) ([]byte, error) {
	switch v := src.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(v), nil
	case []byte:
		return v, nil
	default:
		return nil, fmt.Errorf("store: scan %s from %T", what, src)
	}
}

// Scan implements sql.Scanner.
func (m *JSONMap) Scan(src any) error {
	b, err := jsonBytes(src, "json")
	if err != nil {
		return err
	}
	out := JSONMap{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("store: decode json: %w", err)
		}
	}
	*m = out
	return nil
}

// String returns the value at key as a string, or "" when absent or not a string.
func (m JSONMap) String(key string) string {
	s, _ := m[key].(string)
	return s
}

// Bool returns the value at key as a bool.
func (m JSONMap) Bool(key string) bool {
	b, _ := m[key].(bool)
	return b
}

// Int returns the value at key as an int64 (JSON numbers decode as float64).
func (m JSONMap) Int(key string) int64 {
	switch v := m[key].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return 0
}

// Decode unmarshals the map into a settings struct.
func (m JSONMap) Decode(dst any) error {
	b, err := json.Marshal(map[string]any(m))
	if err != nil {
		return fmt.Errorf("store: encode json: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("store: decode settings: %w", err)
	}
	return nil
}
