package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hanbox/hanbox/store"
)

// What a chat channel (the widget) reads and writes for its visitors beyond
// the customer-visible history of customer.go: files, uploads, ticket
// contacts and reply times. Which contact a visitor is, and so whose
// conversations they see, is decided by identity resolution at ingest,
// never here.

// likePrefix escapes LIKE's wildcards in p and appends "%".
func likePrefix(p string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
}

// MessageAttachments returns the attachments of a message, in order.
func (s *Service) MessageAttachments(ctx context.Context, messageID int64) ([]StoredAttachment, error) {
	var atts []store.Attachment
	if err := s.st.DB.WithContext(ctx).Where("message_id = ?", messageID).Order("id").Find(&atts).Error; err != nil {
		return nil, fmt.Errorf("inbox: attachments of message %d: %w", messageID, err)
	}
	return atts, nil
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
