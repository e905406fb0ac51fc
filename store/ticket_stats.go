package store

import (
	"context"
	"fmt"
)

// LatestTexts returns, per ticket, the text of its newest customer or agent
// message (inbound or outbound), in one query.
func (s *Store) LatestTexts(ctx context.Context, ticketIDs []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ticketIDs))
	if len(ticketIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		TicketID int64
		Text     string
	}
	db := s.DB.WithContext(ctx)
	err := db.Model(&Message{}).Select("ticket_id", "text").
		Where("id IN (?)", db.Model(&Message{}).Select("MAX(id)").
			Where("ticket_id IN ? AND direction IN ?", ticketIDs, []string{DirInbound, DirOutbound}).Group("ticket_id")).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: latest texts: %w", err)
	}
	for _, r := range rows {
		out[r.TicketID] = r.Text
	}
	return out, nil
}

// TagCount is how many tickets carry a tag.
type TagCount struct {
	Tag string
	N   int64
}

// OpenCounts counts open tickets per origin channel, and per tag for the
// limit most used tags, one grouped query each.
func (s *Store) OpenCounts(ctx context.Context, limit int) (map[int64]int64, []TagCount, error) {
	db := s.DB.WithContext(ctx)
	var rows []struct {
		ChannelID int64
		N         int64
	}
	if err := db.Model(&Ticket{}).Select("channel_id, COUNT(*) AS n").Where("status = ?", StatusOpen).
		Group("channel_id").Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("store: count open tickets per channel: %w", err)
	}
	chans := make(map[int64]int64, len(rows))
	for _, row := range rows {
		chans[row.ChannelID] = row.N
	}
	var tags []TagCount
	if err := db.Table("ticket_tags").Select("ticket_tags.tag AS tag, COUNT(*) AS n").
		Joins("JOIN tickets ON tickets.id = ticket_tags.ticket_id").Where("tickets.status = ?", StatusOpen).
		Group("ticket_tags.tag").Order("n DESC, ticket_tags.tag").Limit(limit).Scan(&tags).Error; err != nil {
		return nil, nil, fmt.Errorf("store: count open tickets per tag: %w", err)
	}
	return chans, tags, nil
}

// FailedDeliveries returns the tickets among ticketIDs that have a message
// whose delivery failed for good (and was not retried since), for the
// inbox list's mark.
func (s *Store) FailedDeliveries(ctx context.Context, ticketIDs []int64) (map[int64]bool, error) {
	out := make(map[int64]bool)
	if len(ticketIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := s.DB.WithContext(ctx).Model(&Message{}).Distinct("ticket_id").
		Where("ticket_id IN ? AND delivery_status = ?", ticketIDs, DeliveryFailed).Pluck("ticket_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: failed deliveries: %w", err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
