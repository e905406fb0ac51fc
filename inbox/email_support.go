package inbox

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// MarkBounced records that an email Hanbox sent bounced: the outbound message
// whose external id is sentMessageID, on any email channel, gets delivery
// status failed with reason as its error, and EventMessageUpdated is
// published. channelID is the channel the report arrived on (for logs; the
// message may have been sent on another email channel). It returns an error
// wrapping ErrNotFound when no such message exists.
func (s *Service) MarkBounced(ctx context.Context, channelID int64, sentMessageID string, reason string) error {
	if sentMessageID == "" {
		return fmt.Errorf("inbox: mark bounced: %w", ErrNotFound)
	}
	reason = plaintext.Clip(plaintext.Scrub(reason), 1000)
	if reason == "" {
		reason = "the message bounced"
	}
	var ev Event
	err := s.st.Tx(ctx, func(tx *gorm.DB) error {
		var m store.Message
		err := tx.Where("direction = ? AND external_id = ? AND channel_id IN (?)", store.DirOutbound, sentMessageID,
			tx.Model(&store.Channel{}).Select("id").Where("kind = ?", "email")).Take(&m).Error
		if err != nil {
			return notFound(err)
		}
		if err := tx.Model(&store.Message{}).Where("id = ?", m.ID).Updates(map[string]any{
			"delivery_status": store.DeliveryFailed, "delivery_error": "bounced: " + reason,
		}).Error; err != nil {
			return err
		}
		evs := []Event{{Type: EventMessageUpdated, TicketID: m.TicketID, MessageID: m.ID, ChannelID: m.ChannelID,
			Message: &MessageChanges{DeliveryStatus: store.DeliveryFailed, DeliveryError: "bounced: " + reason, Bounced: true}}}
		if err := s.recordEvents(tx, evs); err != nil {
			return err
		}
		ev = evs[0]
		return nil
	})
	if err != nil {
		return fmt.Errorf("inbox: mark bounced %s: %w", sentMessageID, err)
	}
	s.log.Warn("email bounced", "channel_id", channelID, "ticket_id", ev.TicketID, "message_id", ev.MessageID, "reason", reason)
	s.publish(ev)
	return nil
}
