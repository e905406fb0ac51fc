// Package api is the generic API channel: any system can push customer
// messages to POST /api/v1/channels/{id}/inbound with the channel's bearer
// token, and receives agent replies as signed JSON webhooks. It is how custom
// integrations (and Hanbox's load tests) feed the inbox.
package api

import (
	"bytes"
	"context"
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
	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/signing"
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
	tickets  connectors.TicketNamer
	quar     connectors.Quarantiner
	status   connectors.StatusReporter
}

var (
	_ connectors.Connector   = (*Channel)(nil)
	_ connectors.Handler     = (*Channel)(nil)
	_ connectors.Validator   = (*Channel)(nil)
	_ connectors.Reprocessor = (*Channel)(nil)
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
	// Pushes may arrive before Start runs, so the sink comes from deps; an
	// answer to a push always names its ticket, so a sink needs its namer.
	if deps.Sink != nil && deps.Tickets == nil {
		return nil, errors.New("api: a sink needs a ticket namer (Deps.Tickets)")
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Channel{ch: ch, settings: s, secret: secret, client: deps.HTTPClient, log: log, sink: deps.Sink, tickets: deps.Tickets, quar: deps.Quarantine, status: deps.Status}, nil
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
//
// Answers: 201 stored (200 with duplicate: true for an external_id seen
// before); 400 not JSON; 401 wrong token; 413 too large; 422 a message that
// can never be stored as sent (the body is kept in quarantine for an admin);
// 503 not stored or not confirmed, retry (a retry of a stored message is
// answered as its duplicate, with its ticket).
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
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body is larger than %d bytes", MaxBody))
			return
		}
		writeErr(w, http.StatusBadRequest, "bad_body", "could not read the body")
		return
	}
	out, status, e := c.push(r.Context(), raw, "")
	if e != nil {
		writeErr(w, status, e.code, e.msg)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

// pushError is a refused push: its code and a message for the sender.
type pushError struct{ code, msg string }

func (e *pushError) Error() string { return e.code + ": " + e.msg }

// push decodes and ingests one inbound body and returns the answer and its
// status. A body refused as invalid (422) is quarantined, unless it is being
// reprocessed from quarantine (requarantine is then its external id).
func (c *Channel) push(ctx context.Context, raw []byte, requarantine string) (*InboundResponse, int, *pushError) {
	in, status, perr := c.decode(raw)
	if perr != nil {
		if status == http.StatusUnprocessableEntity && requarantine == "" {
			c.quarantine(ctx, in, raw, perr.msg)
		}
		return nil, status, perr
	}
	res, err := c.sink.Ingest(ctx, in)
	if errors.Is(err, inbox.ErrInvalid) {
		// Never "retry": the same body fails the same way for ever.
		msg := err.Error()
		if _, reason, ok := strings.Cut(msg, "invalid input: "); ok {
			msg = reason
		}
		if requarantine == "" {
			c.quarantine(ctx, in, raw, msg)
		}
		return nil, http.StatusUnprocessableEntity, &pushError{"invalid", msg}
	}
	if err != nil {
		c.log.Error("api inbound", "channel_id", c.ch.ID, "err", err)
		return nil, http.StatusServiceUnavailable, &pushError{"unavailable", "could not store the message; retry"}
	}
	out := &InboundResponse{MessageID: res.MessageID, Duplicate: res.Duplicate}
	if out.TicketID, out.Number, err = c.tickets.TicketPublicID(ctx, res.TicketID); err != nil || out.TicketID == "" {
		// Stored, but the answer would name no ticket: a retry is
		// answered as the duplicate it is, with its ticket.
		c.log.Error("api inbound: ticket of a stored message", "channel_id", c.ch.ID, "ticket_id", res.TicketID, "err", err)
		return nil, http.StatusServiceUnavailable, &pushError{"unavailable", "the message was stored but its ticket could not be read; retry"}
	}
	if res.Duplicate {
		return out, http.StatusOK, nil
	}
	return out, http.StatusCreated, nil
}

// quarantine keeps a refused body for an admin (best effort: the sender is
// told either way).
func (c *Channel) quarantine(ctx context.Context, in *inbox.Inbound, raw []byte, reason string) {
	if c.quar == nil {
		return
	}
	ext := ""
	if in != nil {
		ext = in.ExternalID
	}
	if err := c.quar.Quarantine(ctx, c.ch.ID, ext, raw, "api: "+reason); err != nil {
		c.log.Error("api inbound: quarantine", "channel_id", c.ch.ID, "err", err)
	}
}

// Reprocess implements connectors.Reprocessor: an admin's retry of a
// quarantined push ingests its body again.
func (c *Channel) Reprocess(ctx context.Context, raw []byte, externalID string) error {
	if c.sink == nil {
		return errors.New("api: channel is starting")
	}
	if _, _, e := c.push(ctx, raw, externalID); e != nil {
		return e
	}
	return nil
}

func (c *Channel) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" || c.ch.TokenHash == "" {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(c.ch.TokenHash)) == 1
}

// decode turns a body into an inbound message. A 422 may come with the
// message as far as it was read (for the quarantine's external id).
func (c *Channel) decode(raw []byte) (*inbox.Inbound, int, *pushError) {
	var req InboundRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&req); err != nil {
		return nil, http.StatusBadRequest, &pushError{"bad_json", "body is not valid JSON for this endpoint: " + err.Error()}
	}
	if dec.More() {
		return nil, http.StatusBadRequest, &pushError{"bad_json", "body has data after the JSON object"}
	}
	switch {
	case strings.TrimSpace(req.ExternalID) == "":
		return nil, http.StatusUnprocessableEntity, &pushError{"invalid", "external_id is required"}
	case strings.TrimSpace(req.Contact.ExternalID) == "" && strings.TrimSpace(req.Contact.Email) == "":
		return &inbox.Inbound{ExternalID: req.ExternalID}, http.StatusUnprocessableEntity, &pushError{"invalid", "contact.external_id or contact.email is required"}
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
		in.Contact = emailContact(c.ch.ID, req.Contact, c.settings.TrustEmail)
	}
	if req.ThreadKey != "" {
		key := ThreadKey(c.ch.ID, req.ThreadKey)
		in.ThreadKeys = []string{key}
		in.OwnKeys = []string{key}
	}
	for i, a := range req.Attachments {
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return in, http.StatusUnprocessableEntity, &pushError{"invalid", fmt.Sprintf("attachments[%d].data is not base64", i)}
		}
		in.Attachments = append(in.Attachments, inbox.Attachment{Name: a.Name, ContentType: a.ContentType, Data: data})
	}
	return in, 0, nil
}

// emailContact names a sender the integration knows only by address. With
// trust_email the address is a proven email identity (it joins the address's
// contact on every channel); without, the sender is this channel's user of
// that address and the address is only their reply address, so a push can
// never be filed under, or link to, the address's real owner.
func emailContact(channelID int64, ct InboundContact, trust bool) inbox.ContactRef {
	addr := strings.ToLower(strings.TrimSpace(ct.Email))
	if trust {
		return inbox.ContactRef{Kind: inbox.IdentityEmail, ID: addr, Verified: true, Name: ct.Name}
	}
	return inbox.ContactRef{Kind: inbox.IdentityAPI, ID: fmt.Sprintf("%d:email:%s", channelID, addr), Verified: true, Name: ct.Name, Email: addr}
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
	// Survey is set on event "survey.requested": the customer is to be
	// asked to rate the conversation (text is the question and the page).
	Survey *WebhookSurvey `json:"survey,omitempty"`
}

// EventSurveyRequested is the webhook event of a survey request.
const EventSurveyRequested = "survey.requested"

// WebhookSurvey is a survey request in a webhook: show the question and
// send the customer to url (the public rating page, no login), or to
// score_urls[i], the page with score min+i chosen (the customer confirms
// it there: a GET records nothing, so link scanners cannot answer).
type WebhookSurvey struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Scale     int      `json:"scale"`
	Min       int      `json:"min"`
	Question  string   `json:"question"`
	Thanks    string   `json:"thanks"`
	Locale    string   `json:"locale"`
	URL       string   `json:"url"`
	ScoreURLs []string `json:"score_urls"`
}

// WebhookPerson is a contact or agent in a webhook.
type WebhookPerson struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

func webhookPerson(p inbox.PersonRef) WebhookPerson {
	return WebhookPerson{ID: p.ID, Name: p.Name, Email: p.Email}
}

// WebhookAttachment describes a file on a reply.
type WebhookAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Send implements connectors.Connector: POST the reply to webhook_url.
func (c *Channel) Send(ctx context.Context, out *inbox.Outbound) (inbox.ExternalRef, error) {
	if c.settings.WebhookURL == "" {
		return inbox.ExternalRef{}, connectors.Permanent(errors.New("api channel has no webhook_url"))
	}
	wh := Webhook{Event: "reply", DeliveryID: out.OutboxID, TicketID: out.Ticket.PublicID, Number: out.Ticket.Number,
		MessageID: out.MessageID, Text: out.Text, HTML: out.HTML, Continued: out.Continued,
		Contact: webhookPerson(out.Contact), Agent: webhookPerson(out.Agent)}
	prefix := ThreadKey(c.ch.ID, "")
	for _, k := range out.ThreadKeys {
		if strings.HasPrefix(k, prefix) {
			wh.ThreadKey = strings.TrimPrefix(k, prefix)
		}
	}
	if out.ReplyTo != nil {
		wh.InReplyTo = out.ReplyTo.ExternalID
	}
	if sv := out.Survey; sv != nil {
		wh.Event = EventSurveyRequested
		wh.Survey = &WebhookSurvey{ID: sv.PublicID, Kind: sv.Kind, Scale: sv.Scale, Min: sv.Lowest(), Question: sv.Question, Thanks: sv.Thanks, Locale: sv.Locale, URL: sv.URL}
		for n := sv.Lowest(); n <= sv.Scale; n++ {
			wh.Survey.ScoreURLs = append(wh.Survey.ScoreURLs, sv.ScoreURL(n))
		}
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
	req.Header.Set("X-Hanbox-Signature", signing.Sign(c.secret, body))
	resp, err := c.client.Do(req)
	if err != nil {
		return inbox.ExternalRef{}, fmt.Errorf("api: post webhook: %w", err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var r struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(respBody, &r)
		return inbox.ExternalRef{ID: r.ID}, nil
	}
	return inbox.ExternalRef{}, webhookError(resp, respBody, out.Attempt, time.Now())
}

// Webhook retry policy (see README): these answers are retried with backoff
// for as long as the dispatcher retries (408 Request Timeout, 425 Too Early,
// 429 Too Many Requests and every 5xx, and anything else that is not a 2xx
// or a 4xx); any other 4xx is retried too, but fails the delivery for good
// on attempt PermanentAfter.
const PermanentAfter = 3

// MaxRetryAfter caps the wait a webhook may ask for with Retry-After.
const MaxRetryAfter = time.Hour

// webhookError turns a non-2xx answer into an error that steers the
// dispatcher: Permanent, RetryAfter (when the answer says when), or plain
// (exponential backoff).
func webhookError(resp *http.Response, body []byte, attempt int, now time.Time) error {
	err := fmt.Errorf("api: webhook answered %d", resp.StatusCode)
	if detail := strings.TrimSpace(string(body)); detail != "" {
		err = fmt.Errorf("api: webhook answered %d: %s", resp.StatusCode, plaintext.Shorten(plaintext.Scrub(detail), 200))
	}
	code := resp.StatusCode
	transient := code == http.StatusRequestTimeout || code == http.StatusTooEarly || code == http.StatusTooManyRequests ||
		code < 400 || code >= 500
	if !transient && attempt >= PermanentAfter {
		return connectors.Permanent(fmt.Errorf("%w (attempt %d of %d)", err, attempt, PermanentAfter))
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
		return connectors.RetryAfter(d, err)
	}
	return err
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		d = time.Duration(min(n, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = max(at.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
