package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/store"
)

// Rule webhooks are outbox rows (store.PurposeWebhook) that the dispatcher
// POSTs as JSON (WebhookPayload) with two headers:
//
//	X-Hanbox-Delivery: <payload id, the same on every retry: deduplicate on it>
//	X-Hanbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The timestamp is signed so a receiver can refuse old replays
// (VerifyWebhook). 2xx is success; 408, 429 and 5xx are retried with
// backoff (429's Retry-After is honoured); other statuses fail at once.

// Webhook headers.
const (
	WebhookSignatureHeader = "X-Hanbox-Signature"
	WebhookDeliveryHeader  = "X-Hanbox-Delivery"
)

// SignWebhook returns the X-Hanbox-Signature value of body sent at ts.
func SignWebhook(secret string, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return "t=" + t + ",v1=" + webhookMAC(secret, t, body)
}

func webhookMAC(secret, t string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks a X-Hanbox-Signature value against body: the MAC
// under secret, and a timestamp within tolerance of now.
func VerifyWebhook(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var t, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			t = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v1 == "" {
		return errors.New("webhook: malformed signature")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: signature too old")
	}
	if !hmac.Equal([]byte(v1), []byte(webhookMAC(secret, t, body))) {
		return errors.New("webhook: bad signature")
	}
	return nil
}

// sendWebhook POSTs a webhook row.
func (s *Service) sendWebhook(ctx context.Context, client *http.Client, row store.Outbox) (ExternalRef, error) {
	target, secret, body := row.Payload.String("url"), row.Payload.String("secret"), []byte(row.Payload.String("body"))
	if target == "" {
		return ExternalRef{}, Permanent(errors.New("webhook row without a URL"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return ExternalRef{}, Permanent(fmt.Errorf("webhook: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Hanbox-Webhook/1")
	req.Header.Set(WebhookDeliveryHeader, "outbox-"+strconv.FormatInt(row.ID, 10))
	req.Header.Set(WebhookSignatureHeader, SignWebhook(secret, time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		return ExternalRef{}, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return ExternalRef{}, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		err := fmt.Errorf("webhook: %s", resp.Status)
		if sec, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && sec > 0 {
			return ExternalRef{}, RetryAfter(time.Duration(sec)*time.Second, err)
		}
		return ExternalRef{}, err
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return ExternalRef{}, fmt.Errorf("webhook: %s", resp.Status)
	default:
		return ExternalRef{}, Permanent(fmt.Errorf("webhook: %s", resp.Status))
	}
}
