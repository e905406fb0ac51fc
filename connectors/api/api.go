// Package api is the generic API channel: any system can push customer
// messages to POST /api/v1/channels/{id}/inbound with the channel's bearer
// token, and receives agent replies as signed JSON webhooks. It is how custom
// integrations (and Hanbox's load tests) feed the inbox.
package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

// Kind is the registry name of the api channel.
const Kind = "api"

// MaxBody bounds an inbound request (attachments travel base64-encoded).
const MaxBody = 36 << 20

func init() { connectors.Register(Kind, New) }

// Settings of an api channel.
type Settings struct {
	// WebhookURL receives agent replies as JSON POSTs.
	WebhookURL string `json:"webhook_url"`
	// TrustEmail marks contact emails pushed on this channel as verified
	// (only for integrations that verified them themselves).
	TrustEmail bool `json:"trust_email"`
}

// Validate checks the settings.
func (s Settings) Validate() error {
	if s.WebhookURL != "" && !strings.HasPrefix(s.WebhookURL, "http://") && !strings.HasPrefix(s.WebhookURL, "https://") {
		return errors.New("api: webhook_url must be an http(s) URL")
	}
	return nil
}

// Channel is a running api channel.
type Channel struct {
	ch       connectors.Channel
	settings Settings
	secret   string
	client   *http.Client
	log      *slog.Logger
	sink     connectors.Sink // set once in New; the inbox itself
	status   connectors.StatusReporter
}

var (
	_ connectors.Connector = (*Channel)(nil)
	_ connectors.Handler   = (*Channel)(nil)
	_ connectors.Validator = (*Channel)(nil)
)

// New builds an api channel.
func New(ch connectors.Channel, deps connectors.Deps) (*Channel, error) {
	var s Settings
	if err := connectors.DecodeSettings(ch.Settings, &s); err != nil {
		return nil, err
	}
	secret, err := ch.Secret("webhook_secret")
	if err != nil {
		return nil, err
	}
	// Pushes may arrive before Start runs, so the sink comes from deps.
	return &Channel{ch: ch, settings: s, secret: secret, client: deps.HTTPClient, log: deps.Logger, sink: deps.Sink, status: deps.Status}, nil
}

// Kind implements connectors.Connector.
func (c *Channel) Kind() string { return Kind }

// Validate implements connectors.Validator.
func (c *Channel) Validate(context.Context) error { return c.settings.Validate() }

// Start implements connectors.Connector: the api channel only receives
// pushes, so it waits for ctx.
func (c *Channel) Start(ctx context.Context, sink connectors.Sink) error {
	if c.status != nil {
		c.status(connectors.StateConnected, nil) // ready to take pushes
	}
	<-ctx.Done()
	return nil
}

// InboundRequest is the body of POST /api/v1/channels/{id}/inbound.
type InboundRequest struct {
	ExternalID  string              `json:"external_id"`
	ThreadKey   string              `json:"thread_key"`
	Subject     string              `json:"subject"`
	Contact     InboundContact      `json:"contact"`
	Text        string              `json:"text"`
	HTML        string              `json:"html"`
	Attachments []InboundAttachment `json:"attachments"`
	Meta        map[string]any      `json:"meta"`
}

// InboundContact names the sender.
type InboundContact struct {
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
}

// InboundAttachment is a base64-encoded file.
type InboundAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"`
}

// InboundResponse answers an inbound push.
type InboundResponse struct {
	TicketID  string `json:"ticket_id"`
	Number    int64  `json:"number"`
	MessageID int64  `json:"message_id"`
	Duplicate bool   `json:"duplicate"`
}

// ServeHTTP implements connectors.Handler for "/inbound".
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/inbound" {
		writeErr(w, http.StatusNotFound, "not_found", "no such endpoint")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeErr(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
		return
	}
	if !c.authorized(r) {
		writeErr(w, http.StatusUnauthorized, "unauthorized", "missing or wrong channel token")
		return
	}
	if c.sink == nil {
		writeErr(w, http.StatusServiceUnavailable, "unavailable", "channel is starting")
		return
	}
	in, status, code, msg := c.decode(w, r)
	if in == nil {
		writeErr(w, status, code, msg)
		return
	}
	res, err := c.sink.Ingest(r.Context(), in)
	if errors.Is(err, inbox.ErrInvalid) {
		writeErr(w, http.StatusUnprocessableEntity, "invalid", err.Error())
		return
	}
	if err != nil {
		c.log.Error("api inbound", "err", err)
		writeErr(w, http.StatusServiceUnavailable, "unavailable", "could not store the message; retry")
		return
	}
	out := InboundResponse{MessageID: res.MessageID, Duplicate: res.Duplicate}
	if t, ok := c.sink.(interface {
		TicketPublicID(ctx context.Context, id int64) (string, int64, error)
	}); ok {
		out.TicketID, out.Number, _ = t.TicketPublicID(r.Context(), res.TicketID)
	}
	w.Header().Set("Content-Type", "application/json")
	if res.Duplicate {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (c *Channel) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" || c.ch.TokenHash == "" {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(c.ch.TokenHash)) == 1
}

func (c *Channel) decode(w http.ResponseWriter, r *http.Request) (*inbox.Inbound, int, string, string) {
	body := http.MaxBytesReader(w, r.Body, MaxBody)
	var req InboundRequest
	dec := json.NewDecoder(body)
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body is larger than %d bytes", MaxBody)
		}
		return nil, http.StatusBadRequest, "bad_json", "body is not valid JSON for this endpoint: " + err.Error()
	}
	if dec.More() {
		return nil, http.StatusBadRequest, "bad_json", "body has data after the JSON object"
	}
	switch {
	case strings.TrimSpace(req.ExternalID) == "":
		return nil, http.StatusUnprocessableEntity, "invalid", "external_id is required"
	case strings.TrimSpace(req.Contact.ExternalID) == "" && strings.TrimSpace(req.Contact.Email) == "":
		return nil, http.StatusUnprocessableEntity, "invalid", "contact.external_id or contact.email is required"
	}
	in := &inbox.Inbound{
		ChannelID:  c.ch.ID,
		ExternalID: req.ExternalID,
		Subject:    req.Subject,
		Text:       req.Text,
		HTML:       req.HTML,
		Meta:       req.Meta,
		Contact: inbox.ContactRef{
			Kind: inbox.IdentityAPI, ID: fmt.Sprintf("%d/%s", c.ch.ID, req.Contact.ExternalID), Verified: true,
			Name: req.Contact.Name, Email: req.Contact.Email, EmailVerified: c.settings.TrustEmail,
		},
	}
	if req.Contact.ExternalID == "" {
		in.Contact = inbox.ContactRef{Kind: inbox.IdentityEmail, ID: req.Contact.Email, Verified: c.settings.TrustEmail, Name: req.Contact.Name}
	}
	if req.ThreadKey != "" {
		key := ThreadKey(c.ch.ID, req.ThreadKey)
		in.ThreadKeys = []string{key}
		in.OwnKeys = []string{key}
	}
	for i, a := range req.Attachments {
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return nil, http.StatusUnprocessableEntity, "invalid", fmt.Sprintf("attachments[%d].data is not base64", i)
		}
		in.Attachments = append(in.Attachments, inbox.Attachment{Name: a.Name, ContentType: a.ContentType, Data: data})
	}
	return in, 0, "", ""
}

// ThreadKey is the thread key of an api-channel conversation.
func ThreadKey(channelID int64, key string) string {
	return "api:" + strconv.FormatInt(channelID, 10) + ":" + key
}

// Webhook is the JSON body POSTed to webhook_url for each agent reply.
type Webhook struct {
	Event      string              `json:"event"`
	DeliveryID int64               `json:"delivery_id"`
	TicketID   string              `json:"ticket_id"`
	Number     int64               `json:"number"`
	MessageID  int64               `json:"message_id"`
	ThreadKey  string              `json:"thread_key,omitempty"`
	InReplyTo  string              `json:"in_reply_to,omitempty"`
	Contact    WebhookPerson       `json:"contact"`
	Agent      WebhookPerson       `json:"agent"`
	Text       string              `json:"text"`
	HTML       string              `json:"html,omitempty"`
	Attachment []WebhookAttachment `json:"attachments,omitempty"`
	Continued  bool                `json:"continued,omitempty"`
}

// WebhookPerson is a contact or agent in a webhook.
type WebhookPerson struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// WebhookAttachment describes a file on a reply.
type WebhookAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Sign returns the X-Hanbox-Signature value for body: "sha256=" + hex HMAC-SHA256.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send implements connectors.Connector: POST the reply to webhook_url.
func (c *Channel) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	if c.settings.WebhookURL == "" {
		return inbox.ExternalRef{}, connectors.Permanent(errors.New("api channel has no webhook_url"))
	}
	wh := Webhook{Event: "reply", DeliveryID: out.OutboxID, TicketID: out.Ticket.PublicID, Number: out.Ticket.Number,
		MessageID: out.MessageID, Text: out.Text, HTML: out.HTML, Continued: out.Continued,
		Contact: WebhookPerson(out.Contact), Agent: WebhookPerson(out.Agent)}
	prefix := ThreadKey(c.ch.ID, "")
	for _, k := range out.ThreadKeys {
		if strings.HasPrefix(k, prefix) {
			wh.ThreadKey = strings.TrimPrefix(k, prefix)
		}
	}
	if out.ReplyTo != nil {
		wh.InReplyTo = out.ReplyTo.ExternalID
	}
	for _, a := range out.Attachments {
		wh.Attachment = append(wh.Attachment, WebhookAttachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256})
	}
	body, err := json.Marshal(wh)
	if err != nil {
		return inbox.ExternalRef{}, connectors.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.settings.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return inbox.ExternalRef{}, connectors.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Hanbox-Webhook/1")
	req.Header.Set("X-Hanbox-Delivery", strconv.FormatInt(out.OutboxID, 10))
	req.Header.Set("X-Hanbox-Signature", Sign(c.secret, body))
	resp, err := c.client.Do(req)
	if err != nil {
		return inbox.ExternalRef{}, fmt.Errorf("api: post webhook: %w", err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		var r struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(respBody, &r)
		return inbox.ExternalRef{ID: r.ID}, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		d, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return inbox.ExternalRef{}, connectors.RetryAfter(time.Duration(d)*time.Second, fmt.Errorf("api: webhook answered 429"))
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout:
		return inbox.ExternalRef{}, connectors.Permanent(fmt.Errorf("api: webhook answered %d: %s", resp.StatusCode, strings.TrimSpace(string(respBody))))
	default:
		return inbox.ExternalRef{}, fmt.Errorf("api: webhook answered %d", resp.StatusCode)
	}
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
