package store_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestUploadCollectionKeepsAvatars: an avatar is public, so anyone can
// upload its exact bytes to the widget and never send them; collecting
// that upload keeps the avatar's file. Both stores.
func TestUploadCollectionKeepsAvatars(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		data := []byte("\x89PNG\r\n\x1a\n stands for an avatar")
		sum, err := st.PutBlob(data)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(st.DataDir, "attachments", sum[:2], sum)
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		ag := store.Agent{Email: "pic@example.com", Name: "Pic", Role: store.RoleAgent, Active: true}
		if err := st.DB.Create(&ag).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpdateAgentProfile(ctx, ag.ID, store.AgentProfile{AvatarSum: &sum}); err != nil {
			t.Fatal(err)
		}
		if ok, err := st.IsAvatar(ctx, sum); err != nil || !ok {
			t.Fatalf("IsAvatar = %v %v", ok, err)
		}
		ch := store.Channel{Kind: "widget", Name: "site", PublicKey: "pk-avatar", Enabled: true}
		if err := st.DB.Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.ReserveUpload(ctx, &store.Upload{ChannelID: ch.ID, Owner: "v1", SHA256: sum, Size: int64(len(data)), CreatedAt: old}, store.UploadQuota{}); err != nil {
			t.Fatal(err)
		}
		files, _, err := st.CollectUploads(ctx, ch.ID, time.Now().Add(-time.Minute))
		if err != nil || files != 0 {
			t.Fatalf("collected %d files (%v) that an avatar holds", files, err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("avatar's blob gone: %v", err)
		}
	})
}
