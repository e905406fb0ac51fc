package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/store"
)

// What a chat channel (the widget) reads for its visitors. The channel names
// a conversation by a thread key of its own (keyPrefix + conversation id);
// which contact a visitor is, and so whose conversations they see, is
// decided by identity resolution at ingest, never here.

// VisitorConversation is one ticket of a contact on a chat channel.
type VisitorConversation struct {
	TicketID  int64
	Number    int64
	Status    string
	Open      bool // not resolved or closed
	Key       string
	CreatedAt time.Time
}

// VisitorConversations returns the tickets of contactID that carry a thread
// key starting with keyPrefix, newest first, at most limit. A contact's
// tickets on other channels (email) have no such key and never show.
func (s *Service) VisitorConversations(ctx context.Context, contactID int64, keyPrefix string, limit int) ([]VisitorConversation, error) {
	if contactID == 0 || limit <= 0 {
		return nil, nil
	}
	var rows []struct {
		ID        int64
		Status    string
		Key       string
		CreatedAt time.Time
	}
	err := s.st.DB.WithContext(ctx).Table("tickets").
		Select("tickets.id, tickets.status, tickets.created_at, thread_keys.key").
		Joins("JOIN thread_keys ON thread_keys.ticket_id = tickets.id").
		Where(`tickets.contact_id = ? AND thread_keys.key LIKE ? ESCAPE '\'`, contactID, likePrefix(keyPrefix)).
		Order("tickets.id DESC").Limit(limit * 3).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: visitor conversations: %w", err)
	}
	var out []VisitorConversation
	for _, r := range rows {
		if len(out) == limit || (len(out) > 0 && out[len(out)-1].TicketID == r.ID) {
			continue
		}
		out = append(out, VisitorConversation{TicketID: r.ID, Number: r.ID + store.TicketNumberBase, Status: r.Status,
			Open: r.Status != store.StatusResolved && r.Status != store.StatusClosed, Key: r.Key, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// likePrefix escapes LIKE's wildcards in p and appends "%".
func likePrefix(p string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
}

// VisitorMessage is a message a customer may see: inbound or outbound, not
// deleted.
type VisitorMessage struct {
	ID         int64
	TicketID   int64
	Inbound    bool
	ExternalID string
	Text       string
	HTML       string // sanitized
	// AuthorName is the agent's name on outbound messages.
	AuthorName  string
	Attachments []StoredAttachment
	CreatedAt   time.Time
}

// VisitorHistory returns the customer-visible messages of the given tickets
// with ids above since: the newest limit of them, oldest first. Attachments
// and agent names are loaded with one query each.
func (s *Service) VisitorHistory(ctx context.Context, ticketIDs []int64, since int64, limit int) ([]VisitorMessage, error) {
	if len(ticketIDs) == 0 || limit <= 0 {
		return nil, nil
	}
	var msgs []store.Message
	db := s.st.DB.WithContext(ctx)
	err := db.Preload("Attachments", func(tx *gorm.DB) *gorm.DB { return tx.Order("id") }).
		Where("ticket_id IN ? AND direction IN ? AND deleted_at IS NULL AND id > ?", ticketIDs, []string{store.DirInbound, store.DirOutbound}, since).
		Order("id DESC").Limit(limit).Find(&msgs).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: visitor history: %w", err)
	}
	var agentIDs []int64
	for _, m := range msgs {
		if m.Direction == store.DirOutbound && m.AuthorType == store.AuthorAgent && m.AuthorID > 0 && !slices.Contains(agentIDs, m.AuthorID) {
			agentIDs = append(agentIDs, m.AuthorID)
		}
	}
	names := map[int64]string{}
	if len(agentIDs) > 0 {
		var agents []store.Agent
		if err := db.Select("id", "name").Where("id IN ?", agentIDs).Find(&agents).Error; err != nil {
			return nil, fmt.Errorf("inbox: visitor history agents: %w", err)
		}
		for _, a := range agents {
			names[a.ID] = a.Name
		}
	}
	out := make([]VisitorMessage, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		v := VisitorMessage{ID: m.ID, TicketID: m.TicketID, Inbound: m.Direction == store.DirInbound, Text: m.Text, HTML: m.HTML,
			Attachments: m.Attachments, CreatedAt: m.CreatedAt}
		if m.ExternalID != nil {
			v.ExternalID = *m.ExternalID
		}
		if !v.Inbound {
			v.AuthorName = names[m.AuthorID]
		}
		out = append(out, v)
	}
	return out, nil
}

// MessageAttachments returns the attachments of a message, in order.
func (s *Service) MessageAttachments(ctx context.Context, messageID int64) ([]StoredAttachment, error) {
	var atts []store.Attachment
	if err := s.st.DB.WithContext(ctx).Where("message_id = ?", messageID).Order("id").Find(&atts).Error; err != nil {
		return nil, fmt.Errorf("inbox: attachments of message %d: %w", messageID, err)
	}
	return atts, nil
}

// VisitorAttachment returns attachment id when a customer of contactID may
// open it: it is on an inbound or outbound, not deleted message of one of
// the contact's tickets that carries a thread key starting with keyPrefix.
// Anything else is ErrNotFound, so a probe learns nothing.
func (s *Service) VisitorAttachment(ctx context.Context, contactID int64, keyPrefix string, id int64) (*StoredAttachment, error) {
	if contactID == 0 {
		return nil, ErrNotFound
	}
	var a store.Attachment
	err := s.st.DB.WithContext(ctx).Table("attachments").Select("attachments.*").
		Joins("JOIN messages ON messages.id = attachments.message_id").
		Joins("JOIN tickets ON tickets.id = messages.ticket_id").
		Where("attachments.id = ? AND tickets.contact_id = ? AND messages.deleted_at IS NULL AND messages.direction IN ?",
			id, contactID, []string{store.DirInbound, store.DirOutbound}).
		Where(`EXISTS (SELECT 1 FROM thread_keys WHERE thread_keys.ticket_id = tickets.id AND thread_keys.key LIKE ? ESCAPE '\')`, likePrefix(keyPrefix)).
		Take(&a).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: visitor attachment %d: %w", id, notFound(err))
	}
	return &a, nil
}

// OpenBlob opens stored attachment bytes by their SHA-256; ErrNotFound when
// they are not stored.
func (s *Service) OpenBlob(sum string) (io.ReadCloser, error) { return s.st.OpenBlob(sum) }

// TicketContact returns the contact id of a ticket.
func (s *Service) TicketContact(ctx context.Context, ticketID int64) (int64, error) {
	var t store.Ticket
	if err := s.st.DB.WithContext(ctx).Select("id", "contact_id").Take(&t, ticketID).Error; err != nil {
		return 0, fmt.Errorf("inbox: ticket %d: %w", ticketID, notFound(err))
	}
	return t.ContactID, nil
}

// FirstResponseMedian returns the median time to first response of the
// newest sample tickets of a channel that had one (0 when none had).
func (s *Service) FirstResponseMedian(ctx context.Context, channelID int64, sample int) (time.Duration, error) {
	var rows []struct {
		CreatedAt       time.Time
		FirstResponseAt *time.Time
	}
	err := s.st.DB.WithContext(ctx).Model(&store.Ticket{}).Select("created_at, first_response_at").
		Where("channel_id = ? AND first_response_at IS NOT NULL", channelID).Order("id DESC").Limit(sample).Scan(&rows).Error
	if err != nil {
		return 0, fmt.Errorf("inbox: first response times: %w", err)
	}
	ds := make([]time.Duration, 0, len(rows))
	for _, r := range rows {
		if r.FirstResponseAt != nil {
			ds = append(ds, max(0, r.FirstResponseAt.Sub(r.CreatedAt)))
		}
	}
	if len(ds) == 0 {
		return 0, nil
	}
	slices.Sort(ds)
	if len(ds)%2 == 1 {
		return ds[len(ds)/2], nil
	}
	return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2, nil
}

// Uploads ahead of a message.

// DefaultMinFreeDisk is the free space below which uploads are refused
// (Options.MinFreeDisk).
const DefaultMinFreeDisk = 512 << 20

// ErrDiskFull means the data directory's file system is below its free-space
// floor; uploads are refused until space is freed.
var ErrDiskFull = errors.New("inbox: not enough free disk space")

// ErrQuota means an upload would exceed a visitor's or a channel's quota of
// unattached uploads; errors.As gives the *UploadQuotaError.
var ErrQuota = errors.New("inbox: upload quota exceeded")

// UploadQuota bounds the unattached uploads of one visitor and of one
// channel; zero fields are unbounded.
type UploadQuota = store.UploadQuota

// UploadQuotaError says which quota an upload would exceed.
type UploadQuotaError struct {
	// Scope is "visitor" or "channel"; Limit is "files" or "bytes".
	Scope, Limit string
}

func (e *UploadQuotaError) Error() string {
	return fmt.Sprintf("inbox: upload quota of the %s exceeded (%s)", e.Scope, e.Limit)
}

// Is makes errors.Is(err, ErrQuota) hold.
func (e *UploadQuotaError) Is(target error) bool { return target == ErrQuota }

// Upload is a file uploaded ahead of the message that will carry it.
type Upload struct {
	ChannelID int64
	// Owner names the uploader (a visitor identity); quotas are per owner.
	Owner string
	Data  []byte
	// At is when it was uploaded (the caller's clock, for collection).
	At time.Time
}

// PutUpload stores an upload's bytes when the disk has room and the
// owner's and the channel's quotas allow; it returns their SHA-256. The
// upload counts against the quotas until AttachedUploads releases it or
// CollectUploads removes it.
func (s *Service) PutUpload(ctx context.Context, u Upload, q UploadQuota) (string, error) {
	if len(u.Data) == 0 || len(u.Data) > MaxAttachmentBytes {
		return "", invalid("an upload must have 1 to %d bytes", MaxAttachmentBytes)
	}
	if err := s.diskRoom(len(u.Data)); err != nil {
		return "", err
	}
	sum := store.BlobSum(u.Data)
	row := &store.Upload{ChannelID: u.ChannelID, Owner: u.Owner, SHA256: sum, Size: int64(len(u.Data)), CreatedAt: u.At.UTC()}
	if err := s.st.ReserveUpload(ctx, row, q); err != nil {
		var qe *store.QuotaError
		if errors.As(err, &qe) {
			return "", &UploadQuotaError{Scope: qe.Scope, Limit: qe.Limit}
		}
		return "", fmt.Errorf("inbox: upload: %w", err)
	}
	if _, err := s.st.PutBlob(u.Data); err != nil {
		if rerr := s.st.ReleaseUploads(context.WithoutCancel(ctx), u.ChannelID, u.Owner, []string{sum}); rerr != nil {
			s.log.Warn("release failed upload", "err", rerr)
		}
		return "", fmt.Errorf("inbox: upload: %w", err)
	}
	return sum, nil
}

// diskRoom returns ErrDiskFull when writing n bytes would leave less than
// the free-space floor. Where free space cannot be measured, it allows.
func (s *Service) diskRoom(n int) error {
	if s.minFreeDisk < 0 {
		return nil
	}
	free, err := s.freeBytes()
	if err != nil {
		s.log.Warn("free disk space unknown; upload allowed", "err", err)
		return nil
	}
	if free < uint64(s.minFreeDisk)+uint64(n) {
		s.log.Error("upload refused: disk almost full", "free_bytes", free, "floor_bytes", s.minFreeDisk)
		return ErrDiskFull
	}
	return nil
}

// AttachedUploads releases an owner's uploads of the given blobs from the
// quotas once a stored message carries them.
func (s *Service) AttachedUploads(ctx context.Context, channelID int64, owner string, sums []string) error {
	return s.st.ReleaseUploads(ctx, channelID, owner, sums)
}

// CollectUploads removes a channel's uploads made before cutoff that were
// never attached to a message, with their files unless an attachment or
// another upload holds the same bytes. It returns the files and bytes freed.
func (s *Service) CollectUploads(ctx context.Context, channelID int64, cutoff time.Time) (files int, bytes int64, err error) {
	files, bytes, err = s.st.CollectUploads(ctx, channelID, cutoff.UTC())
	if files > 0 {
		s.log.Info("unattached uploads collected", "channel_id", channelID, "files", files, "bytes", bytes)
	}
	if err != nil {
		return files, bytes, fmt.Errorf("inbox: %w", err)
	}
	return files, bytes, nil
}
