package kb_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hanbox/hanbox/jobs"
	"github.com/hanbox/hanbox/kb"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestDeletedFileBlobCollected: the bytes of an article file deleted
// right after they were written are kept (they may be being stored again)
// and a durable job, scheduled with the delete, removes them once the
// grace has passed; bytes written again meanwhile postpone it to their new
// grace; bytes another article still holds stay; a deleted article's files
// are collected the same way. The scheduler's clock is injected; no sleeps.
// Both stores.
func TestDeletedFileBlobCollected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		t0 := time.Now().UTC()
		clock := t0
		sched := jobs.New(st, jobs.Options{Now: func() time.Time { return clock }})
		k := kb.New(st)
		k.EnableBlobCollection(sched)
		article := func(title string) int64 {
			t.Helper()
			body, loc := "본문", "ko"
			a, err := k.Create(ctx, kb.Input{Title: &title, Body: &body, Locale: &loc}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		img := func(n int) []byte {
			t.Helper()
			var b bytes.Buffer
			if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, n, n))); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}
		blob := func(sum string) string { return filepath.Join(st.DataDir, "attachments", sum[:2], sum) }
		exists := func(sum string) bool {
			_, err := os.Stat(blob(sum))
			return err == nil
		}
		runAt := func(at time.Time) int {
			t.Helper()
			clock = at
			n, err := sched.RunDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Deleted at once: kept, then collected after the grace.
		a1 := article("포장 안내")
		f1, err := k.AddFile(ctx, a1, "box.png", img(2))
		if err != nil {
			t.Fatal(err)
		}
		if err := k.DeleteFile(ctx, a1, f1.ID); err != nil {
			t.Fatal(err)
		}
		if !exists(f1.SHA256) {
			t.Fatal("recent bytes removed at the delete")
		}
		if n := runAt(t0.Add(store.KBBlobGrace / 2)); n != 0 || !exists(f1.SHA256) {
			t.Fatalf("ran %d jobs within the grace; blob there: %v", n, exists(f1.SHA256))
		}
		if n := runAt(t0.Add(store.KBBlobGrace + time.Minute)); n != 1 || exists(f1.SHA256) {
			t.Fatalf("ran %d jobs after the grace; blob still there: %v", n, exists(f1.SHA256))
		}

		// Written again meanwhile (an ingest storing the same bytes): the job
		// waits for the new grace.
		t1 := t0.Add(time.Hour)
		clock = t1
		f2, err := k.AddFile(ctx, a1, "again.png", img(3))
		if err != nil {
			t.Fatal(err)
		}
		if err := k.DeleteFile(ctx, a1, f2.ID); err != nil {
			t.Fatal(err)
		}
		rewritten := t1.Add(8 * time.Minute)
		if err := os.Chtimes(blob(f2.SHA256), rewritten, rewritten); err != nil {
			t.Fatal(err)
		}
		if n := runAt(t1.Add(store.KBBlobGrace + time.Second)); n != 1 || !exists(f2.SHA256) {
			t.Fatalf("ran %d; bytes written again removed: %v", n, !exists(f2.SHA256))
		}
		j, err := sched.Get(ctx, kb.JobCollectBlob, "file:"+itoa(f2.ID)+":"+f2.SHA256)
		if err != nil || j.Status != store.JobPending || j.DueAt.Before(rewritten.Add(store.KBBlobGrace)) || j.DueAt.After(rewritten.Add(store.KBBlobGrace+time.Second)) {
			t.Fatalf("job after the re-write %+v, %v; want due one grace after %v", j, err, rewritten)
		}
		if n := runAt(j.DueAt); n != 1 || exists(f2.SHA256) {
			t.Fatalf("ran %d; blob after the new grace: %v", n, exists(f2.SHA256))
		}

		// Held by another article: stays, the job ends.
		t2 := t0.Add(2 * time.Hour)
		clock = t2
		a2 := article("교환 안내")
		data := img(4)
		f3, err := k.AddFile(ctx, a1, "shared.png", data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.AddFile(ctx, a2, "shared.png", data); err != nil {
			t.Fatal(err)
		}
		if err := k.DeleteFile(ctx, a1, f3.ID); err != nil {
			t.Fatal(err)
		}
		if n := runAt(t2.Add(store.KBBlobGrace + time.Minute)); n != 1 || !exists(f3.SHA256) {
			t.Fatalf("ran %d; bytes another article holds removed: %v", n, !exists(f3.SHA256))
		}
		if j, err := sched.Get(ctx, kb.JobCollectBlob, "file:"+itoa(f3.ID)+":"+f3.SHA256); err != nil || j.Status != store.JobDone {
			t.Fatalf("job %+v, %v", j, err)
		}

		// The other article deleted: its file's bytes go after the grace.
		t3 := t0.Add(3 * time.Hour)
		clock = t3
		if err := k.Delete(ctx, a2); err != nil {
			t.Fatal(err)
		}
		if !exists(f3.SHA256) {
			t.Fatal("recent bytes removed at the article's delete")
		}
		if n := runAt(t3.Add(store.KBBlobGrace + time.Minute)); n != 1 || exists(f3.SHA256) {
			t.Fatalf("ran %d; the deleted article's bytes: %v", n, exists(f3.SHA256))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
