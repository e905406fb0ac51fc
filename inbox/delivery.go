package inbox

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnreachable means the recipient cannot be reached on the channel now (a
// widget visitor who left). The dispatcher continues the conversation by
// email when the contact has an address and an email channel exists, or
// fails the message visibly.
var ErrUnreachable = errors.New("recipient unreachable on this channel")

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent wraps err so the dispatcher fails the delivery at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// RetryAfterError asks the dispatcher to wait at least After before retrying.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter wraps err with a minimum delay before the next attempt.
func RetryAfter(d time.Duration, err error) error { return &RetryAfterError{After: d, Err: err} }
