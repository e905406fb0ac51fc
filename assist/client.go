package assist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The provider speaks the OpenAI-compatible chat-completions API: one POST
// of {model, messages} to {base URL}/chat/completions, bearer key, answer
// in choices[0].message.content. That is all Hanbox uses, so net/http and
// two structs are clearer than an SDK and work with any self-hosted server
// that copies the API (vLLM, llama.cpp, Ollama, LocalAI).

// Errors of a completion, for callers that fall back.
var (
	// ErrRateLimited: the provider answered 429 (or 5xx) through every retry.
	ErrRateLimited = errors.New("assist: provider rate-limited or unavailable")
	// ErrTimeout: the provider did not answer within the timeout.
	ErrTimeout = errors.New("assist: provider timed out")
	// ErrBadResponse: the provider's reply was not a chat completion.
	ErrBadResponse = errors.New("assist: provider reply is not a chat completion")
	// ErrOff: generative answers are not configured.
	ErrOff = errors.New("assist: generative answers are off")
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Client calls one provider. Its zero Sleep waits on a timer; tests
// replace it to count the backoff without waiting.
type Client struct {
	BaseURL string
	Model   string
	APIKey  string
	// Timeout bounds one whole completion, retries included.
	Timeout time.Duration
	// MaxRetries is how often a 429 or 5xx is retried (default 2).
	MaxRetries int
	HTTP       *http.Client
	Sleep      func(ctx context.Context, d time.Duration) error
}

// maxReply bounds the provider's reply body.
const maxReply = 1 << 20

// maxBackoff caps one wait between retries, whatever Retry-After says.
const maxBackoff = 4 * time.Second

type chatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	MaxTokens   int       `json:"max_tokens"`
}

type chatResponse struct {
	Choices []struct {
		Message Message `json:"message"`
	} `json:"choices"`
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Complete sends msgs and returns the model's reply text.
func (c *Client) Complete(ctx context.Context, msgs []Message) (string, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := json.Marshal(chatRequest{Model: c.Model, Messages: msgs, Temperature: 0, MaxTokens: 800})
	if err != nil {
		return "", err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	wait := c.Sleep
	if wait == nil {
		wait = sleep
	}
	retries := c.MaxRetries
	if retries <= 0 {
		retries = 2
	}
	url := strings.TrimRight(c.BaseURL, "/") + "/chat/completions"
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return "", fmt.Errorf("assist: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		if c.APIKey != "" {
			req.Header.Set("Authorization", "Bearer "+c.APIKey)
		}
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return "", ErrTimeout
			}
			return "", fmt.Errorf("%w: %v", ErrRateLimited, redact(err.Error(), c.APIKey))
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
		resp.Body.Close()
		if err != nil {
			if ctx.Err() != nil {
				return "", ErrTimeout
			}
			return "", fmt.Errorf("%w: %v", ErrBadResponse, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			if attempt >= retries {
				return "", fmt.Errorf("%w: status %d after %d tries", ErrRateLimited, resp.StatusCode, attempt+1)
			}
			d := backoff
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
				d = time.Duration(s) * time.Second
			}
			d = min(d, maxBackoff)
			backoff *= 2
			if err := wait(ctx, d); err != nil {
				return "", ErrTimeout
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%w: status %d", ErrBadResponse, resp.StatusCode)
		}
		if len(data) > maxReply {
			return "", fmt.Errorf("%w: longer than %d bytes", ErrBadResponse, maxReply)
		}
		var cr chatResponse
		if err := json.Unmarshal(data, &cr); err != nil || len(cr.Choices) == 0 {
			return "", ErrBadResponse
		}
		return cr.Choices[0].Message.Content, nil
	}
}

// redact removes the key from an error text (a proxy may echo the request).
func redact(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, "[redacted]")
}
