package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

const visitorPrefix = "widget:pk:"

func visitorMsg(ch store.Channel, ext, conv string, atts ...inbox.Attachment) *inbox.Inbound {
	key := visitorPrefix + conv
	return &inbox.Inbound{ChannelID: ch.ID, ExternalID: "v1/" + ext, ThreadKeys: []string{key}, OwnKeys: []string{key},
		Contact: inbox.ContactRef{Kind: inbox.IdentityWidget, ID: "pk/v1", Name: "방문자"}, Text: "안녕하세요 " + ext, Attachments: atts}
}

// countQueries counts the SELECTs run on st while fn runs.
func countQueries(st *store.Store, fn func()) int64 {
	var on atomic.Bool
	var n atomic.Int64
	name := fmt.Sprintf("count-%p", fn)
	st.DB.Callback().Query().After("gorm:query").Register(name, func(*gorm.DB) {
		if on.Load() {
			n.Add(1)
		}
	})
	on.Store(true)
	fn()
	on.Store(false)
	return n.Load()
}

// The widget's history used to look agents up one query per author (issue
// 11 item 2); CustomerMessages loads messages (with their channel),
// their attachments and every author in three queries, however many agents
// answered.
func TestCustomerHistoryLoadsAgentsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		res, err := svc.Ingest(ctx, visitorMsg(ch, "1", "c-1", inbox.Attachment{Name: "a.txt", ContentType: "text/plain", Data: []byte("첨부")}))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			a := store.Agent{Email: fmt.Sprintf("agent%d@example.com", i), Name: fmt.Sprintf("상담원 %d", i), Role: store.RoleAgent, Active: true}
			if err := st.DB.Create(&a).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Reply(ctx, inbox.ReplyInput{TicketID: res.TicketID, AgentID: a.ID, Text: fmt.Sprintf("답변 %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.AddNote(ctx, res.TicketID, 1, "내부 메모", nil); err != nil {
			t.Fatal(err)
		}
		var msgs []inbox.CustomerMessage
		n := countQueries(st, func() {
			msgs, err = svc.CustomerMessages(ctx, res.ContactID, []int64{res.TicketID}, 0, 100)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("history took %d queries, want 3 (messages, attachments, agents)", n)
		}
		if len(msgs) != 7 {
			t.Fatalf("%d messages, want 7 (the note is not visible)", len(msgs))
		}
		if !msgs[0].Inbound || msgs[0].ExternalID != "v1/1" || len(msgs[0].Attachments) != 1 || msgs[0].ChannelKind != "api" {
			t.Errorf("first message %+v", msgs[0])
		}
		for i, m := range msgs[1:] {
			if m.Inbound || m.AuthorName != fmt.Sprintf("상담원 %d", i) {
				t.Errorf("reply %d: %+v", i, m)
			}
		}
		tail, err := svc.CustomerMessages(ctx, res.ContactID, []int64{res.TicketID}, msgs[4].ID, 2)
		if err != nil || len(tail) != 2 || tail[1].ID != msgs[6].ID || tail[0].ID != msgs[5].ID {
			t.Errorf("since/limit: %+v, %v", tail, err)
		}
		if other, err := svc.CustomerMessages(ctx, res.ContactID+1, []int64{res.TicketID}, 0, 100); err != nil || len(other) != 0 {
			t.Errorf("another contact sees %d messages, %v", len(other), err)
		}
	})
}

// A visitor's own chats are those with their key prefix: the contact's
// other tickets (another key, or none) and other contacts' files stay out
// of reach of that scope.
func TestCustomerScopeByKeyAndAttachmentAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, ch := newService(t, st)
		ctx := context.Background()
		r1, err := svc.Ingest(ctx, visitorMsg(ch, "1", "c-1", inbox.Attachment{Name: "a.png", ContentType: "image/png", Data: []byte("png")}))
		if err != nil {
			t.Fatal(err)
		}
		other := visitorMsg(ch, "2", "c-x", inbox.Attachment{Name: "b.png", ContentType: "image/png", Data: []byte("other")})
		other.ExternalID, other.Contact.ID = "v2/2", "pk/v2"
		r2, err := svc.Ingest(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		// The same contact on another channel key (a like-wildcard probe too).
		email := visitorMsg(ch, "3", "ignored", inbox.Attachment{Name: "c.png", ContentType: "image/png", Data: []byte("mail")})
		email.ThreadKeys, email.OwnKeys, email.NewTicket = []string{"email:<x@y>"}, []string{"email:<x@y>"}, true
		r3, err := svc.Ingest(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		own := inbox.Scope{ContactID: r1.ContactID, KeyPrefix: visitorPrefix}
		convs, err := svc.CustomerConversations(ctx, own, 5)
		if err != nil || len(convs) != 1 || len(convs[0].Keys) != 1 || convs[0].Keys[0] != visitorPrefix+"c-1" || !convs[0].Open ||
			!convs[0].Continuable || convs[0].Number != r1.TicketID+store.TicketNumberBase || convs[0].ChannelKind != "api" {
			t.Fatalf("conversations %+v, %v", convs, err)
		}
		if convs, _ := svc.CustomerConversations(ctx, inbox.Scope{ContactID: r1.ContactID, KeyPrefix: "widget:p_%"}, 5); len(convs) != 0 {
			t.Errorf("LIKE wildcards in the prefix matched %+v", convs)
		}
		if all, _ := svc.CustomerConversations(ctx, inbox.Scope{ContactID: r1.ContactID}, 5); len(all) != 2 || all[0].TicketID != r3.TicketID {
			t.Errorf("the contact's conversations, newest first: %+v", all)
		}
		ownAtt, _ := svc.MessageAttachments(ctx, r1.MessageID)
		theirs, _ := svc.MessageAttachments(ctx, r2.MessageID)
		mailAtt, _ := svc.MessageAttachments(ctx, r3.MessageID)
		if a, err := svc.CustomerAttachment(ctx, own, ownAtt[0].ID); err != nil || a.Name != "a.png" {
			t.Errorf("own attachment: %+v, %v", a, err)
		}
		if a, err := svc.CustomerAttachment(ctx, inbox.Scope{ContactID: r1.ContactID}, mailAtt[0].ID); err != nil || a.Name != "c.png" {
			t.Errorf("the contact's file of another conversation, contact-wide: %+v, %v", a, err)
		}
		for name, probe := range map[string]func() error{
			"other contact's file": func() error {
				_, err := svc.CustomerAttachment(ctx, own, theirs[0].ID)
				return err
			},
			"other contact's file, contact-wide": func() error {
				_, err := svc.CustomerAttachment(ctx, inbox.Scope{ContactID: r1.ContactID}, theirs[0].ID)
				return err
			},
			"other channel key": func() error {
				_, err := svc.CustomerAttachment(ctx, inbox.Scope{ContactID: r1.ContactID, KeyPrefix: "widget:other:"}, ownAtt[0].ID)
				return err
			},
			"own file of another conversation, key scope": func() error {
				_, err := svc.CustomerAttachment(ctx, own, mailAtt[0].ID)
				return err
			},
			"own file, scope of another ticket": func() error {
				_, err := svc.CustomerAttachment(ctx, inbox.Scope{ContactID: r1.ContactID, TicketID: r3.TicketID}, ownAtt[0].ID)
				return err
			},
			"no contact": func() error { _, err := svc.CustomerAttachment(ctx, inbox.Scope{}, ownAtt[0].ID); return err },
		} {
			if err := probe(); !errors.Is(err, inbox.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
		if id, err := svc.TicketContact(ctx, r2.TicketID); err != nil || id != r2.ContactID {
			t.Errorf("ticket contact %d, %v", id, err)
		}
	})
}

func upload(owner string, data string, at time.Time) inbox.Upload {
	return inbox.Upload{ChannelID: 1, Owner: owner, Data: []byte(data), At: at}
}

// Anonymous visitors could fill the disk with uploads never attached to a
// message (issue 10 item 6): quotas per visitor and per channel, counted
// until the upload is on a message.
func TestUploadQuotas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc := inbox.New(st, inbox.Options{MinFreeDisk: -1})
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		q := inbox.UploadQuota{OwnerFiles: 2, OwnerBytes: 10, ChannelFiles: 3, ChannelBytes: 1000}
		var qe *inbox.UploadQuotaError
		if _, err := svc.PutUpload(ctx, upload("a", "12345", now), q); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PutUpload(ctx, upload("a", "123456", now), q); !errors.As(err, &qe) || qe.Scope != "visitor" || qe.Limit != "bytes" {
			t.Fatalf("visitor bytes: %v", err)
		}
		sum, err := svc.PutUpload(ctx, upload("a", "abc", now), q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PutUpload(ctx, upload("a", "x", now), q); !errors.As(err, &qe) || qe.Scope != "visitor" || qe.Limit != "files" || !errors.Is(err, inbox.ErrQuota) {
			t.Fatalf("visitor files: %v", err)
		}
		if _, err := svc.PutUpload(ctx, upload("b", "b1", now), q); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PutUpload(ctx, upload("c", "c1", now), q); !errors.As(err, &qe) || qe.Scope != "channel" || qe.Limit != "files" {
			t.Fatalf("channel files: %v", err)
		}
		// Once on a message, an upload no longer counts.
		if err := svc.AttachedUploads(ctx, 1, "a", []string{sum}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PutUpload(ctx, upload("c", "c1", now), q); err != nil {
			t.Fatalf("after release: %v", err)
		}
		if _, err := svc.PutUpload(ctx, inbox.Upload{ChannelID: 2, Owner: "a", Data: []byte("elsewhere"), At: now}, q); err != nil {
			t.Fatalf("quotas are per channel: %v", err)
		}
	})
}

// Below the free-space floor every upload is refused with ErrDiskFull.
func TestUploadFreeDiskGuard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		free := uint64(100 << 20)
		svc := inbox.New(st, inbox.Options{MinFreeDisk: 64 << 20, FreeDisk: func() (uint64, error) { return free, nil }})
		ctx := context.Background()
		if _, err := svc.PutUpload(ctx, upload("a", "fits", time.Now()), inbox.UploadQuota{}); err != nil {
			t.Fatal(err)
		}
		free = 64<<20 + 3
		if _, err := svc.PutUpload(ctx, upload("a", "over", time.Now()), inbox.UploadQuota{}); !errors.Is(err, inbox.ErrDiskFull) {
			t.Fatalf("below the floor: %v", err)
		}
		var n int64
		st.DB.Model(&store.Upload{}).Count(&n)
		if n != 1 {
			t.Errorf("%d upload rows, want 1 (the refused one reserves nothing)", n)
		}
		// The real measure works here.
		if b, err := st.FreeBytes(); err != nil || b == 0 {
			t.Errorf("FreeBytes = %d, %v", b, err)
		}
	})
}

func blobExists(st *store.Store, sum string) bool {
	_, err := os.Stat(filepath.Join(st.DataDir, "attachments", sum[:2], sum))
	return err == nil
}

// Unattached uploads are collected after the grace period, durably (the
// rows outlive the process), and no blob that an attachment or another
// upload still holds is ever deleted.
func TestCollectUploads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, ch := newService(t, st)
		t0 := time.Now().Add(-48 * time.Hour).UTC() // uploads two days ago (blob files are written now)
		q := inbox.UploadQuota{}
		put := func(owner, data string, at time.Time) string {
			t.Helper()
			sum, err := svc.PutUpload(ctx, inbox.Upload{ChannelID: ch.ID, Owner: owner, Data: []byte(data), At: at}, q)
			if err != nil {
				t.Fatal(err)
			}
			// The file is as old as its upload.
			os.Chtimes(filepath.Join(st.DataDir, "attachments", sum[:2], sum), at, at)
			return sum
		}
		abandoned := put("v1", "never sent", t0)
		attached := put("v1", "sent with a message", t0)
		shared := put("v1", "uploaded twice", t0)
		put("v2", "uploaded twice", time.Now()) // a fresh upload of the same bytes
		onEmail := put("v3", "also arrived by email", t0)
		otherChannel, err := svc.PutUpload(ctx, inbox.Upload{ChannelID: ch.ID + 1, Owner: "v1", Data: []byte("other channel"), At: t0}, q)
		if err != nil {
			t.Fatal(err)
		}

		// One upload goes out on a message; another's bytes arrive on an
		// email (a different channel and message) without being released.
		if _, err := svc.Ingest(ctx, visitorMsg(ch, "1", "c-1", inbox.Attachment{Name: "s.txt", Data: []byte("sent with a message")})); err != nil {
			t.Fatal(err)
		}
		if err := svc.AttachedUploads(ctx, ch.ID, "v1", []string{attached}); err != nil {
			t.Fatal(err)
		}
		mail := msg(ch, "m-1", "email:1", "메일")
		mail.Attachments = []inbox.Attachment{{Name: "e.txt", Data: []byte("also arrived by email")}}
		if _, err := svc.Ingest(ctx, mail); err != nil {
			t.Fatal(err)
		}

		// A restart: a new service over the same store collects.
		svc2 := inbox.New(st, inbox.Options{})
		cutoff := time.Now().Add(-24 * time.Hour)
		files, freed, err := svc2.CollectUploads(ctx, ch.ID, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		if files != 1 || freed != int64(len("never sent")) {
			t.Errorf("collected %d files, %d bytes; want 1, %d", files, freed, len("never sent"))
		}
		for sum, want := range map[string]bool{abandoned: false, attached: true, shared: true, onEmail: true, otherChannel: true} {
			if got := blobExists(st, sum); got != want {
				t.Errorf("blob %s… exists = %v, want %v", sum[:8], got, want)
			}
		}
		var left []store.Upload
		st.DB.Order("id").Find(&left)
		if len(left) != 2 || left[0].Owner != "v2" || left[1].ChannelID != ch.ID+1 {
			t.Errorf("rows left %+v; want the fresh upload and the other channel's", left)
		}
		// Collecting again frees nothing and refuses nothing.
		if files, _, err := svc2.CollectUploads(ctx, ch.ID, cutoff); err != nil || files != 0 {
			t.Errorf("second round: %d, %v", files, err)
		}
		rc, err := svc2.OpenBlob(onEmail)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, []byte("also arrived by email")) {
			t.Errorf("email attachment bytes %q", b)
		}
	})
}

// A file stored again after the cutoff (an ingest writing the same bytes
// while the collector runs) keeps its file and its row for a later round.
func TestCollectUploadsKeepsRecentlyWrittenBlob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := inbox.New(st, inbox.Options{MinFreeDisk: -1})
		old := time.Now().Add(-48 * time.Hour)
		sum, err := svc.PutUpload(ctx, inbox.Upload{ChannelID: 1, Owner: "v", Data: []byte("racing bytes"), At: old}, inbox.UploadQuota{})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(st.DataDir, "attachments", sum[:2], sum)
		os.Chtimes(path, old, old)
		cutoff := time.Now().Add(-time.Hour)
		if _, err := st.PutBlob([]byte("racing bytes")); err != nil { // refreshes the file's time
			t.Fatal(err)
		}
		if files, _, err := svc.CollectUploads(ctx, 1, cutoff); err != nil || files != 0 || !blobExists(st, sum) {
			t.Fatalf("recent blob collected: %d, %v", files, err)
		}
		os.Chtimes(path, old, old)
		if files, _, err := svc.CollectUploads(ctx, 1, cutoff); err != nil || files != 1 || blobExists(st, sum) {
			t.Fatalf("next round: %d, %v", files, err)
		}
	})
}
