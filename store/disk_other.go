//go:build !linux && !darwin

package store

import "errors"

// ErrFreeUnknown is returned where free space cannot be measured.
var ErrFreeUnknown = errors.New("store: free space is not measured on this system")

// FreeBytes reports that free space is not measured on this system.
func (s *Store) FreeBytes() (uint64, error) { return 0, ErrFreeUnknown }
