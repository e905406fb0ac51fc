package email

import (
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// The in-memory IMAP server can miss announcing mail that arrived
	// between a command and IDLE; a short refresh bounds that in tests.
	idleRefresh = 2 * time.Second
	os.Exit(m.Run())
}
