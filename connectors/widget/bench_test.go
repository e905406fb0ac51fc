package widget

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store/storetest"
)

// The widget benchmarks are excluded from ordinary test runs; run them with
//
//	ulimit -n 20000; HANBOX_WIDGET_BENCH=1 HANBOX_WIDGET_BENCH_CONNS=1000 \
//	  go test -run 'TestBenchWidget' -v -timeout 10m ./connectors/widget/
//
// Idle connections are dialled from a child process (this test binary run
// again as TestBenchClientProcess), so the memory measured in this process is
// the server's alone.

func benchEnabled(t *testing.T) {
	if os.Getenv("HANBOX_WIDGET_BENCH") == "" {
		t.Skip("set HANBOX_WIDGET_BENCH=1 to run the widget benchmarks")
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

type memSample struct {
	heap, stack, sys uint64
	rss              uint64
	goroutines       int
}

func sampleMem() memSample {
	// Several cycles: each GC may halve an idle goroutine's stack.
	for range 4 {
		runtime.GC()
	}
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := memSample{heap: m.HeapInuse, stack: m.StackInuse, sys: m.Sys, goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				s.rss = kb << 10
			}
		}
	}
	return s
}

func TestBenchWidgetIdleConnections(t *testing.T) {
	benchEnabled(t)
	n := envInt("HANBOX_WIDGET_BENCH_CONNS", 1000)
	h := newHarness(t, "sqlite", nil)
	key, err := h.conn.signingKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Session tokens are signed here: /session is rate limited per IP and
	// every client comes from 127.0.0.1.
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i], _ = sign(key, claims{Visitor: fmt.Sprintf("bench%06d", i), Exp: time.Now().Add(time.Hour).Unix()})
	}
	f, err := os.CreateTemp(t.TempDir(), "tokens")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Join(tokens, "\n"))
	f.Close()

	before := sampleMem()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchClientProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "HANBOX_WIDGET_BENCH_CHILD=1", "HANBOX_WIDGET_BENCH_URL="+strings.Replace(h.url("/ws"), "http", "ws", 1),
		"HANBOX_WIDGET_BENCH_TOKENS="+f.Name())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "READY") {
			ready = true
			break
		}
		t.Log("child:", sc.Text())
	}
	if !ready {
		t.Fatal("client process did not get ready")
	}
	h.env.Eventually("all sockets attached", func() bool { return h.conn.hub.connCount() == n })
	dialTime := time.Since(start)
	time.Sleep(2 * time.Second) // let accept-time garbage settle before measuring
	after := sampleMem()
	if p := os.Getenv("HANBOX_WIDGET_BENCH_HEAPPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	per := func(a, b uint64) float64 { return float64(int64(a)-int64(b)) / float64(n) / 1024 }
	t.Logf("RESULT idle=%d dial+attach=%s", n, dialTime.Round(time.Millisecond))
	t.Logf("RESULT per-conn heap_inuse=%.1fKiB stack_inuse=%.1fKiB heap+stack=%.1fKiB rss=%.1fKiB goroutines/conn=%.2f",
		per(after.heap, before.heap), per(after.stack, before.stack),
		per(after.heap+after.stack, before.heap+before.stack), per(after.rss, before.rss),
		float64(after.goroutines-before.goroutines)/float64(n))

	// A reply to one idle visitor still arrives while all the others sit idle.
	stdin.Write([]byte("quit\n"))
}

// TestBenchClientProcess is the child side of the idle benchmark: it dials
// one socket per token, reports READY and holds them until stdin closes.
func TestBenchClientProcess(t *testing.T) {
	if os.Getenv("HANBOX_WIDGET_BENCH_CHILD") == "" {
		t.Skip("child process of TestBenchWidgetIdleConnections")
	}
	b, err := os.ReadFile(os.Getenv("HANBOX_WIDGET_BENCH_TOKENS"))
	if err != nil {
		t.Fatal(err)
	}
	tokens := strings.Split(string(b), "\n")
	url := os.Getenv("HANBOX_WIDGET_BENCH_URL")
	ctx := context.Background()
	conns := make([]*websocket.Conn, len(tokens))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var mu sync.Mutex
	var firstErr error
	for i, tok := range tokens {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, _, err := websocket.Dial(ctx, url+"?token="+tok, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {testOrigin}}})
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("dial: %v", firstErr)
	}
	fmt.Println("READY")
	bufio.NewReader(os.Stdin).ReadString('\n')
	for _, c := range conns {
		c.CloseNow()
	}
}

func TestBenchWidgetMessageLatency(t *testing.T) {
	benchEnabled(t)
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			h := newHarness(t, d, nil)
			run := func(name string, visitors, perVisitor int, serial bool) {
				key, _ := h.conn.signingKey(context.Background())
				var mu sync.Mutex
				sent := map[string]time.Time{}
				seen := map[int64]time.Time{}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				events := h.env.Inbox.Bus().Subscribe(ctx, 1<<16, func(e inbox.Event) bool {
					return e.Type == inbox.EventMessageCreated && e.ChannelID == h.ch.ID
				})
				done := make(chan struct{})
				go func() {
					defer close(done)
					for e := range events {
						mu.Lock()
						seen[e.MessageID] = time.Now()
						mu.Unlock()
					}
				}()
				ids := map[string]int64{}
				var wg sync.WaitGroup
				start := time.Now()
				for v := 0; v < visitors; v++ {
					tok, _ := sign(key, claims{Visitor: fmt.Sprintf("%s%05d", name, v), Exp: time.Now().Add(time.Hour).Unix()})
					c := h.mustDial(tok, "")
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; i < perVisitor; i++ {
							id := fmt.Sprintf("m%d", i)
							b, _ := json.Marshal(frame{Type: "message", ClientID: id, Text: "배송 문의 " + id, Page: &pageInfo{URL: testOrigin + "/p"}})
							k := fmt.Sprintf("%d/%s", v, id)
							mu.Lock()
							sent[k] = time.Now()
							mu.Unlock()
							if err := c.conn.Write(c.ctx, websocket.MessageText, b); err != nil {
								t.Error(err)
								return
							}
							for {
								_, rb, err := c.conn.Read(c.ctx)
								if err != nil {
									t.Error(err)
									return
								}
								var f frame
								json.Unmarshal(rb, &f)
								if f.Type == "error" {
									t.Errorf("error frame: %+v", f)
									return
								}
								if f.Type == "message" && f.ClientID == id {
									mu.Lock()
									ids[k] = f.ID
									mu.Unlock()
									break
								}
							}
						}
					}()
					if serial {
						wg.Wait()
					}
				}
				wg.Wait()
				total := time.Since(start)
				time.Sleep(100 * time.Millisecond)
				cancel()
				<-done
				var lat []time.Duration
				for k, id := range ids {
					if at, ok := seen[id]; ok {
						lat = append(lat, at.Sub(sent[k]))
					}
				}
				slices.Sort(lat)
				if len(lat) == 0 {
					t.Fatal("no latencies")
				}
				q := func(p float64) time.Duration {
					return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond)
				}
				t.Logf("RESULT %s store=%s visitors=%d msgs=%d in_flight=%d p50=%s p90=%s p99=%s max=%s throughput=%.0f msg/s",
					name, d, visitors, len(lat), inFlight(serial, visitors), q(.50), q(.90), q(.99), lat[len(lat)-1].Round(10*time.Microsecond), float64(len(lat))/total.Seconds())
			}
			run("serial", 20, 10, true)
			run("loaded", 200, 10, false)
		})
	}
}

func inFlight(serial bool, visitors int) int {
	if serial {
		return 1
	}
	return visitors
}
