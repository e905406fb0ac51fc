package inbox

import (
	"context"
	"errors"
	"fmt"
)

// ErrAlreadyImported is returned for a quarantined item that was imported
// already.
var ErrAlreadyImported = errors.New("inbox: quarantined item was imported already")

// Reimporter takes quarantined input back through its channel's connector
// (connectors.Runtime.Reprocess).
type Reimporter func(ctx context.Context, channelID int64, raw []byte, externalID string) error

// RetryQuarantine imports quarantined item id again through reimport and
// marks it imported. An item imported before is refused with
// ErrAlreadyImported; reimport's error is returned as it is.
func (s *Service) RetryQuarantine(ctx context.Context, id int64, reimport Reimporter) error {
	q, err := s.st.GetQuarantine(ctx, id)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	if q.Resolved {
		return ErrAlreadyImported
	}
	if err := reimport(ctx, q.ChannelID, q.Raw, q.ExternalID); err != nil {
		return err
	}
	if err := s.st.ResolveQuarantine(ctx, id); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}
