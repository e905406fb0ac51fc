//go:build linux || darwin

package store

import (
	"fmt"
	"syscall"
)

// FreeBytes returns the space available to Hanbox on the file system of the
// data directory.
func (s *Store) FreeBytes() (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.DataDir, &st); err != nil {
		return 0, fmt.Errorf("store: statfs %s: %w", s.DataDir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
