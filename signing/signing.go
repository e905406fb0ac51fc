// Package signing is how Hanbox signs every HTTP request it sends to other
// systems (the api channel's replies, event webhooks, automation rules'
// webhooks), all the same way: X-Hanbox-Signature is "sha256=" + hex
// HMAC-SHA256 under the shared secret; timestamped deliveries add
// X-Hanbox-Timestamp (Unix seconds) and sign "<timestamp>.<body>".
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sign returns the X-Hanbox-Signature value for body: "sha256=" + hex HMAC-SHA256.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SignAt is Sign for timestamped deliveries (event webhooks): the HMAC
// covers "<timestamp>.<body>", where timestamp is the X-Hanbox-Timestamp
// header (Unix seconds), so a receiver that checks the timestamp against its
// clock (VerifyAt) refuses a captured delivery replayed later.
func SignAt(secret string, timestamp int64, body []byte) string {
	msg := make([]byte, 0, len(body)+21)
	msg = strconv.AppendInt(msg, timestamp, 10)
	msg = append(msg, '.')
	return Sign(secret, append(msg, body...))
}

// DefaultReplayWindow is how far a timestamped delivery's X-Hanbox-Timestamp
// may be from the receiver's clock.
const DefaultReplayWindow = 5 * time.Minute

// ErrBadSignature is returned by VerifyAt for a signature that does not
// match, a malformed timestamp or one outside the replay window.
var ErrBadSignature = errors.New("bad webhook signature")

// VerifyAt checks a timestamped delivery: signature (X-Hanbox-Signature)
// must be SignAt of timestamp (X-Hanbox-Timestamp) and body, and timestamp
// within window of now.
func VerifyAt(secret, signature, timestamp string, body []byte, now time.Time, window time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrBadSignature, timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > window || d < -window {
		return fmt.Errorf("%w: timestamp outside the replay window", ErrBadSignature)
	}
	if !hmac.Equal([]byte(signature), []byte(SignAt(secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}
