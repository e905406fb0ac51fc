package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/signing"
	"github.com/hanbox/hanbox/store"
)

// Rule webhooks are outbox rows (store.PurposeWebhook) that the dispatcher
// POSTs as JSON (WebhookPayload), signed like every delivery Hanbox makes
// (signing.SignAt; the README shows the check):
//
//	X-Hanbox-Event: rule.webhook
//	X-Hanbox-Delivery: <the same on every retry: deduplicate on it>
//	X-Hanbox-Timestamp: <unix seconds>
//	X-Hanbox-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//
// 2xx is success; 408, 429 and 5xx are retried with backoff (429's
// Retry-After is honoured); other statuses fail at once.

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
	stamp := time.Now().Unix()
	req.Header.Set("X-Hanbox-Event", "rule.webhook")
	req.Header.Set("X-Hanbox-Delivery", "outbox-"+strconv.FormatInt(row.ID, 10))
	req.Header.Set("X-Hanbox-Timestamp", strconv.FormatInt(stamp, 10))
	req.Header.Set("X-Hanbox-Signature", signing.SignAt(secret, stamp, body))
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
