package contactcsv_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/transform"

	"github.com/hanbox/hanbox/contactcsv"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// writeCSV writes n generated contact rows (Korean names, a text, number,
// date and boolean attribute, tags; every 50th row (25, 75, ...) rejected for a bad
// number, every 100th repeating an earlier address) to a file, in CP949 when
// cp949 is set.
func writeCSV(tb testing.TB, n int, cp949 bool) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "contacts.csv")
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var w *bufio.Writer
	if cp949 {
		w = bufio.NewWriter(transform.NewWriter(f, korean.EUCKR.NewEncoder()))
	} else {
		w = bufio.NewWriter(f)
	}
	family := []string{"김", "이", "박", "최", "정", "강", "조", "윤"}
	given := []string{"민수", "서연", "지훈", "유진", "서준", "하은", "도윤", "지우"}
	grades := []string{"골드", "실버", "브론즈"}
	fmt.Fprintln(w, "이메일,이름,등급,구매액,가입일,마케팅 이메일 수신 동의,태그")
	for i := range n {
		id := i
		if i%100 == 99 {
			id = i - 50
		}
		spend := fmt.Sprint(i * 7 % 100000)
		if i%50 == 25 {
			spend = "많음"
		}
		fmt.Fprintf(w, "user%d@example.com,%s%s,%s,%s,2026-%02d-%02d,%s,\"vip, 그룹%d\"\r\n", id, family[i%8], given[(i/8)%8], grades[i%3],
			spend, 1+i%12, 1+i%28, []string{"예", "아니오"}[i%2], i%10)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkImport100k imports a 100,000-row CP949 file into an empty store
// and reports rows/s and the peak Go heap while it ran (sampled every 5 ms).
func BenchmarkImport100k(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, mode := range []string{"commit", "dry-run"} {
			if mode == "dry-run" && os.Getenv("BENCH_COMMIT_ONLY") != "" {
				continue
			}
			b.Run(d+"/"+mode, func(b *testing.B) {
				path := writeCSV(b, 100_000, true)
				for b.Loop() {
					b.StopTimer()
					st := storetest.Open(b, d)
					ds := defs(b, st)
					f, err := os.Open(path)
					if err != nil {
						b.Fatal(err)
					}
					runtime.GC()
					var base runtime.MemStats
					runtime.ReadMemStats(&base)
					peak := base.HeapInuse
					stop := make(chan struct{})
					var wg sync.WaitGroup
					wg.Go(func() {
						t := time.NewTicker(5 * time.Millisecond)
						defer t.Stop()
						var m runtime.MemStats
						for {
							select {
							case <-stop:
								return
							case <-t.C:
								runtime.ReadMemStats(&m)
								peak = max(peak, m.HeapInuse)
							}
						}
					})
					b.StartTimer()
					start := time.Now()
					res, err := contactcsv.Import(context.Background(), st, ds, f, contactcsv.Options{DryRun: mode == "dry-run"})
					el := time.Since(start)
					b.StopTimer()
					close(stop)
					wg.Wait()
					f.Close()
					if err != nil {
						b.Fatal(err)
					}
					if res.Rows != 100_000 || res.Rejected != 2000 || res.Merged != 1000 || res.Created != 97_000 {
						b.Fatalf("rows %d created %d updated %d merged %d rejected %d", res.Rows, res.Created, res.Updated, res.Merged, res.Rejected)
					}
					b.ReportMetric(float64(res.Rows)/el.Seconds(), "rows/s")
					b.ReportMetric(float64(peak-base.HeapInuse)/(1<<20), "peak-heap-MiB")
					b.StartTimer()
				}
			})
		}
	}
}

var _ = store.SQLite
