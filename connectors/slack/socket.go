package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/hanbox/hanbox/connectors"
)

// runSocket receives events and interactions over Socket Mode until ctx
// ends. Envelopes are acknowledged only once queued, so Slack redelivers
// what a busy or stopping instance could not take.
func (c *Channel) runSocket(ctx context.Context) error {
	client := socketmode.New(c.api)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			err = c.socketErr(err)
			c.deps.Status(connectors.StateError, err)
			return err
		case evt := <-client.Events:
			if err := c.onSocketEvent(ctx, client, evt); err != nil {
				cancel()
				<-errc
				c.deps.Status(connectors.StateError, err)
				return err
			}
		}
	}
}

func (c *Channel) onSocketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) error {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		c.deps.Status(connectors.StateConnecting, nil)
	case socketmode.EventTypeConnected:
		c.deps.Status(connectors.StateConnected, nil)
	case socketmode.EventTypeInvalidAuth:
		return errAppToken("invalid_auth")
	case socketmode.EventTypeConnectionError:
		c.log.Warn("slack socket mode connection error", "err", evt.Data)
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return nil
		}
		j := job{kind: jobEvent, raw: evt.Request.Payload}
		if evt.Type == socketmode.EventTypeInteractive {
			j.kind = jobInteraction
			j.id = "env:" + evt.Request.EnvelopeID
		} else {
			var o outer
			if err := json.Unmarshal(evt.Request.Payload, &o); err == nil {
				j.id = o.EventID
			}
		}
		if c.accept(j) == acceptBusy {
			c.log.Warn("slack socket mode event not acknowledged: queue full", "id", j.id)
			return nil
		}
		if err := client.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
			return fmt.Errorf("slack: socket mode ack: %w", err)
		}
	}
	return nil
}

// socketErr explains why the Socket Mode connection ended. Auth errors
// there are about the app-level token, not the bot token.
func (c *Channel) socketErr(err error) error {
	var se slackgo.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "token_revoked", "account_inactive", "not_allowed_token_type":
			return errAppToken(se.Err)
		}
	}
	return c.transportErr("socket mode", err)
}

func errAppToken(code string) error {
	return connectors.Permanent(fmt.Errorf("slack: socket mode: %s: the app-level token is invalid; create one with the connections:write scope (xapp-...) and set secret app_token", code))
}
