package main

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// searchTerms are what agents type into the search box: common words of
// the messages this command sends (Korean stems and English words).
var searchTerms = []string{"배송", "refund", "주문", "order", "사이즈", "ship", "교환", "processing"}

// listResult is one list/search run.
type listResult struct {
	lists, searches []time.Duration
	elapsed         time.Duration
}

// runLists has concurrency agents call the ticket list and the ticket
// search (GET /api/v1/tickets, with q for a search) n times in all,
// alternating, and times each call.
func runLists(ctx context.Context, cl *client, n, concurrency int) (*listResult, error) {
	var next atomic.Int64
	var mu sync.Mutex
	r := &listResult{}
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				search := i%2 == 1
				path := "/api/v1/tickets?limit=50"
				if search {
					path += "&q=" + url.QueryEscape(searchTerms[(i/2)%len(searchTerms)])
				}
				var page struct {
					Items []struct {
						ID string `json:"id"`
					} `json:"items"`
				}
				t0 := time.Now()
				if err := cl.call(ctx, "", "GET", path, nil, &page); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("%s: %w", path, err) })
					next.Store(int64(n))
					return
				}
				d := time.Since(t0)
				mu.Lock()
				if search {
					r.searches = append(r.searches, d)
				} else {
					r.lists = append(r.lists, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	if firstErr != nil {
		return nil, firstErr
	}
	return r, ctx.Err()
}
