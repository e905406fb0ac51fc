package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// IdempotencyRetention is how long an agent's Idempotency-Key is remembered:
// a retry within it returns the first result; later the key is forgotten.
const IdempotencyRetention = 24 * time.Hour

// MaxIdempotencyKey bounds an Idempotency-Key, in bytes.
const MaxIdempotencyKey = 255

// ErrKeyReused means an agent's Idempotency-Key was already used for a
// different request (another text, ticket or kind of message). It wraps
// ErrInvalid.
var ErrKeyReused = fmt.Errorf("%w: this Idempotency-Key was already used for a different request; send a new key with a new request", ErrInvalid)

// idempotent is an Idempotency-Key with the digest of the request it came
// with; nil when the request had no key.
type idempotent struct {
	agentID   int64
	key, hash string
}

// newIdempotent checks key and digests what the request asks for. An empty
// key gives nil: the request is not deduplicated.
func newIdempotent(agentID int64, key string, request ...any) (*idempotent, error) {
	if key == "" {
		return nil, nil
	}
	if len(key) > MaxIdempotencyKey || strings.TrimSpace(key) == "" || !plaintext.Clean(key) {
		return nil, invalid("Idempotency-Key must be 1 to %d bytes of text", MaxIdempotencyKey)
	}
	b, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("inbox: idempotency digest: %w", err)
	}
	sum := sha256.Sum256(b)
	return &idempotent{agentID: agentID, key: key, hash: hex.EncodeToString(sum[:])}, nil
}

// attachmentDigest names attachments by what identifies their content.
func attachmentDigest(atts []Attachment, blobs []string) []string {
	out := make([]string, len(atts))
	for i, a := range atts {
		out[i] = a.Name + "\x00" + a.ContentType + "\x00" + blobs[i]
	}
	return out
}

// replay looks k up inside tx, holding its advisory lock so concurrent
// requests with one key run one after the other. It returns the message of
// an earlier identical request (0 when there is none) or ErrKeyReused.
func (s *Service) replay(tx *gorm.DB, k *idempotent) (int64, error) {
	if k == nil {
		return 0, nil
	}
	if err := s.lockKeys(tx, "idem:"+strconv.FormatInt(k.agentID, 10)+":"+k.key); err != nil {
		return 0, err
	}
	var row store.IdempotencyKey
	err := tx.Where("agent_id = ? AND key = ?", k.agentID, k.key).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("idempotency lookup: %w", err)
	case row.CreatedAt.Before(now().Add(-IdempotencyRetention)):
		// Expired and not yet swept: forgotten.
		if err := tx.Where("agent_id = ? AND key = ?", k.agentID, k.key).Delete(&store.IdempotencyKey{}).Error; err != nil {
			return 0, fmt.Errorf("idempotency expire: %w", err)
		}
		return 0, nil
	case row.RequestHash != k.hash:
		return 0, ErrKeyReused
	}
	return row.MessageID, nil
}

// remember records k for the message its request created, in the same
// transaction, so "committed" and "remembered" are one fact.
func (s *Service) remember(tx *gorm.DB, k *idempotent, messageID int64) error {
	if k == nil {
		return nil
	}
	if err := tx.Create(&store.IdempotencyKey{AgentID: k.agentID, Key: k.key, RequestHash: k.hash, MessageID: messageID, CreatedAt: now()}).Error; err != nil {
		return fmt.Errorf("remember idempotency key: %w", err)
	}
	return nil
}

// sweepInterval is how often one process deletes expired keys.
const sweepInterval = time.Minute

// sweepIdempotency deletes expired keys, at most once per sweepInterval per
// process, after a request that used a key. Failure only delays the sweep.
func (s *Service) sweepIdempotency(ctx context.Context) {
	t := time.Now()
	last := s.lastSweep.Load()
	if t.UnixNano()-last < int64(sweepInterval) || !s.lastSweep.CompareAndSwap(last, t.UnixNano()) {
		return
	}
	if _, err := s.SweepIdempotencyKeys(ctx); err != nil {
		s.log.Warn("sweep idempotency keys", "err", err)
	}
}

// SweepIdempotencyKeys deletes Idempotency-Keys older than
// IdempotencyRetention and returns how many it deleted.
func (s *Service) SweepIdempotencyKeys(ctx context.Context) (int64, error) {
	res := s.st.DB.WithContext(ctx).Where("created_at < ?", now().Add(-IdempotencyRetention)).Delete(&store.IdempotencyKey{})
	if res.Error != nil {
		return 0, fmt.Errorf("inbox: sweep idempotency keys: %w", res.Error)
	}
	return res.RowsAffected, nil
}
