package store_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestUploadCollectionKeepsArticleFiles: a visitor's upload that expires
// does not take away the bytes an article file holds too (collection counts
// kb_files as references); once the article file is deleted the blob goes.
// Both stores.
func TestUploadCollectionKeepsArticleFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		data := []byte("%PDF-1.4\n% shared bytes\n%%EOF\n")
		sum, err := st.PutBlob(data)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(st.DataDir, "attachments", sum[:2], sum)
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		ch := store.Channel{Kind: "widget", Name: "site", PublicKey: "pk-kbfiles", Enabled: true}
		if err := st.DB.Create(&ch).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.ReserveUpload(ctx, &store.Upload{ChannelID: ch.ID, Owner: "v1", SHA256: sum, Size: int64(len(data)), CreatedAt: old}, store.UploadQuota{}); err != nil {
			t.Fatal(err)
		}
		a := store.KBArticle{Title: "양식", Slug: "양식", Body: "본문", Locale: "ko", Status: store.KBPublished}
		if err := st.DB.Create(&a).Error; err != nil {
			t.Fatal(err)
		}
		f := store.KBFile{ArticleID: a.ID, SHA256: sum, Name: "form.pdf", ContentType: "application/pdf", Size: int64(len(data)), CreatedAt: old}
		if err := st.CreateKBFile(ctx, &f); err != nil {
			t.Fatal(err)
		}
		files, _, err := st.CollectUploads(ctx, ch.ID, time.Now().Add(-time.Minute))
		if err != nil || files != 0 {
			t.Fatalf("collected %d files (%v) that an article holds", files, err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("article file's blob gone: %v", err)
		}
		if _, err := st.DeleteKBFile(ctx, a.ID+1, f.ID, nil); err == nil {
			t.Fatal("deleted through another article")
		}
		if _, err := st.DeleteKBFile(ctx, a.ID, f.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("blob after the last reference went: %v", err)
		}
	})
}
