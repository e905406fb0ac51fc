package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// widgetOrigin is the site the load's widget channel is embedded on.
const widgetOrigin = "https://shop.hanbox-load.test"

// sessionsPerSource keeps each source address under the widget's
// POST /session limit (60 a minute per IP).
const sessionsPerSource = 50

// widgetResult is one widget run.
type widgetResult struct {
	sessions, sent, arrived int
	elapsed                 time.Duration
	lat                     []time.Duration // visitor frame written → agent's message.created
}

// runWidget opens n visitor sessions over the widget's real protocol
// (POST /session, then the WebSocket), has each send perSession messages
// one at a time (the next once the server has echoed the previous), and
// times each message from the visitor's frame to the message.created event
// on an agent's live event stream.
func runWidget(ctx context.Context, cl *client, run string, n, perSession int) (*widgetResult, error) {
	var ch struct {
		Channel struct {
			PublicKey string `json:"public_key"`
		} `json:"channel"`
	}
	if err := cl.call(ctx, "", "POST", "/api/v1/channels", map[string]any{"kind": "widget", "name": "hanbox-load widget " + run,
		"settings": map[string]any{"allowed_origins": []string{widgetOrigin}}}, &ch); err != nil {
		return nil, fmt.Errorf("create widget channel: %w", err)
	}
	prefix := cl.base + "/connectors/widget/" + ch.Channel.PublicKey
	events, err := openEvents(ctx, cl)
	if err != nil {
		return nil, err
	}
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	var sources []*http.Client
	for i := 0; i < n; i++ {
		if i%sessionsPerSource == 0 {
			sources = append(sources, sourceClient(cl, len(sources)))
		}
		tok, err := widgetSession(ctx, sources[len(sources)-1], prefix, fmt.Sprintf("방문자 %d", i))
		if err != nil {
			return nil, fmt.Errorf("widget session %d: %w", i, err)
		}
		ws := "ws" + strings.TrimPrefix(prefix, "http") + "/ws?token=" + tok
		c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {widgetOrigin}}})
		if err != nil {
			return nil, fmt.Errorf("widget socket %d: %w", i, err)
		}
		conns = append(conns, c)
		if _, err := readUntil(ctx, c, func(f *wsFrame) bool { return f.Type == "ready" }); err != nil {
			return nil, fmt.Errorf("widget socket %d: %w", i, err)
		}
	}
	type sent struct {
		id int64
		at time.Time
	}
	var mu sync.Mutex
	var all []sent
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for v, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perSession && ctx.Err() == nil; i++ {
				text := widgetText(v, i)
				id, at, err := sendWidget(ctx, c, fmt.Sprintf("m%d", i), text)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("visitor %d message %d: %w", v, i, err) })
					return
				}
				mu.Lock()
				all = append(all, sent{id, at})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, firstErr
	}
	ids := make([]int64, len(all))
	for i, s := range all {
		ids[i] = s.id
	}
	// Events normally follow within milliseconds; a stream that fell behind
	// and lost some is reported after this grace.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	arrived, _, err := events.waitAll(wctx, ids)
	cancel()
	if err != nil {
		return nil, err
	}
	r := &widgetResult{sessions: len(conns), sent: len(all), arrived: len(arrived), elapsed: elapsed}
	for _, s := range all {
		if at, ok := arrived[s.id]; ok {
			r.lat = append(r.lat, at.Sub(s.at))
		}
	}
	return r, ctx.Err()
}

func widgetText(visitor, i int) string {
	if (visitor+i)%2 == 0 {
		return fmt.Sprintf("안녕하세요, 어제 주문한 운동화(주문번호 %d) 사이즈를 270에서 275로 바꿀 수 있을까요? (%d)", 200000+visitor, i)
	}
	return fmt.Sprintf("Hi, my order %d still shows as processing. When will it ship? (%d)", 200000+visitor, i)
}

// sourceClient returns an HTTP client whose connections leave from
// 127.0.0.(2+k) when the server is on IPv4 loopback, so that many sessions
// stay under the per-address session limit; otherwise the default address.
func sourceClient(cl *client, k int) *http.Client {
	u := cl.base[strings.Index(cl.base, "://")+3:]
	host, _, err := net.SplitHostPort(u)
	if err != nil {
		host = u
	}
	ip := net.ParseIP(host)
	if ip == nil {
		if ips, err := net.LookupIP(host); err == nil && len(ips) > 0 {
			ip = ips[0]
		}
	}
	if ip == nil || ip.To4() == nil || k > 250 {
		return cl.http
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+k))}}
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: d.DialContext}}
}

// widgetSession starts a visitor session (POST /session) and returns its
// session token, waiting out a rate limit if the server answers with one.
func widgetSession(ctx context.Context, hc *http.Client, prefix, name string) (string, error) {
	body, _ := json.Marshal(map[string]any{"name": name, "locale": "ko"})
	for {
		req, err := http.NewRequestWithContext(ctx, "POST", prefix+"/session", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", widgetOrigin)
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return "", err
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err := sleep(ctx, time.Duration(max(secs, 1))*time.Second); err != nil {
				return "", err
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("POST /session: %s: %s", resp.Status, bytes.TrimSpace(raw))
		}
		var s struct {
			SessionToken string `json:"session_token"`
		}
		if err := json.Unmarshal(raw, &s); err != nil || s.SessionToken == "" {
			return "", fmt.Errorf("POST /session: no session token (%v)", err)
		}
		return s.SessionToken, nil
	}
}

// wsFrame is the part of the widget's frames this command reads.
type wsFrame struct {
	Type       string `json:"type"`
	ID         int64  `json:"id,omitempty"`
	ClientID   string `json:"client_id,omitempty"`
	Text       string `json:"text,omitempty"`
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
}

func readUntil(ctx context.Context, c *websocket.Conn, want func(*wsFrame) bool) (*wsFrame, error) {
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return nil, err
		}
		var f wsFrame
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("frame: %w", err)
		}
		if want(&f) {
			return &f, nil
		}
	}
}

// sendWidget writes one message frame and waits for the server's echo
// (the stored message with its id). A rate-limited message is resent with
// the same client id after the wait the server asks for (the server stores
// a client id once).
func sendWidget(ctx context.Context, c *websocket.Conn, clientID, text string) (int64, time.Time, error) {
	b, _ := json.Marshal(wsFrame{Type: "message", ClientID: clientID, Text: text})
	for {
		at := time.Now()
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			return 0, at, err
		}
		f, err := readUntil(ctx, c, func(f *wsFrame) bool {
			return (f.Type == "message" || f.Type == "error") && f.ClientID == clientID
		})
		if err != nil {
			return 0, at, err
		}
		if f.Type == "message" {
			return f.ID, at, nil
		}
		if f.Code != "rate_limited" {
			return 0, at, fmt.Errorf("error frame %s: %s", f.Code, f.Message)
		}
		if err := sleep(ctx, time.Duration(max(f.RetryAfter, 1))*time.Second); err != nil {
			return 0, at, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
