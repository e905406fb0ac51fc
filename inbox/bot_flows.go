package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hanbox/hanbox/plaintext"
	"github.com/hanbox/hanbox/store"
)

// Limits of a bot flow.
const (
	MaxBotSteps   = 8
	MaxBotOptions = 8
)

// BotFlowInput is an admin's bot flow for a widget channel.
type BotFlowInput struct {
	ChannelID  int64
	Enabled    bool
	GreetingKo string
	GreetingEn string
	Steps      []store.BotStep
	// HoldMinutes bounds how long the flow holds a ticket without a
	// customer message (0: DefaultBotHoldTimeout).
	HoldMinutes int
}

// SaveBotFlow checks in and creates (id 0) or replaces flow id. The
// channel must be a widget channel without another flow; department
// options must name existing teams.
func (s *Service) SaveBotFlow(ctx context.Context, id int64, in BotFlowInput) (*store.BotFlow, error) {
	var ch store.Channel
	if err := s.st.DB.WithContext(ctx).Take(&ch, in.ChannelID).Error; err != nil {
		if errors.Is(notFound(err), ErrNotFound) {
			return nil, invalidAs("bot_channel", map[string]any{"id": in.ChannelID}, "no channel %d", in.ChannelID)
		}
		return nil, fmt.Errorf("inbox: channel %d: %w", in.ChannelID, err)
	}
	if ch.Kind != "widget" {
		return nil, invalidAs("bot_channel_kind", nil, "a bot flow runs on a widget channel")
	}
	f := &store.BotFlow{ID: id, ChannelID: in.ChannelID, Enabled: in.Enabled, Steps: store.BotSteps{}, HoldMinutes: in.HoldMinutes}
	if f.HoldMinutes == 0 {
		f.HoldMinutes = int(DefaultBotHoldTimeout / time.Minute)
	}
	if f.HoldMinutes < MinBotHoldMinutes || f.HoldMinutes > MaxBotHoldMinutes {
		return nil, invalidAs("bot_hold_minutes", map[string]any{"min": MinBotHoldMinutes, "max": MaxBotHoldMinutes},
			"hold_minutes is between %d and %d", MinBotHoldMinutes, MaxBotHoldMinutes)
	}
	var err error
	if f.GreetingKo, err = botField(in.GreetingKo, 1000); err != nil {
		return nil, err
	}
	if f.GreetingEn, err = botField(in.GreetingEn, 1000); err != nil {
		return nil, err
	}
	if len(in.Steps) > MaxBotSteps {
		return nil, invalidAs("bot_steps", map[string]any{"max": MaxBotSteps}, "a flow has at most %d steps", MaxBotSteps)
	}
	for i, st := range in.Steps {
		switch st.Kind {
		case store.BotStepName, store.BotStepEmail, store.BotStepOrder, store.BotStepDepartment:
		default:
			return nil, invalidAs("bot_step_kind", map[string]any{"step": i + 1, "value": st.Kind}, "step %d: unknown kind %q", i+1, st.Kind)
		}
		out := store.BotStep{Kind: st.Kind, Required: st.Required}
		if out.PromptKo, err = botField(st.PromptKo, 500); err != nil {
			return nil, err
		}
		if out.PromptEn, err = botField(st.PromptEn, 500); err != nil {
			return nil, err
		}
		if st.Kind == store.BotStepDepartment {
			if len(st.Options) == 0 || len(st.Options) > MaxBotOptions {
				return nil, invalidAs("bot_options", map[string]any{"step": i + 1, "max": MaxBotOptions},
					"step %d: a department step has 1 to %d buttons", i+1, MaxBotOptions)
			}
			for _, o := range st.Options {
				var opt store.BotOption
				if opt.LabelKo, err = botField(o.LabelKo, 80); err != nil {
					return nil, err
				}
				if opt.LabelEn, err = botField(o.LabelEn, 80); err != nil {
					return nil, err
				}
				if opt.LabelKo == "" && opt.LabelEn == "" {
					return nil, invalidAs("bot_option_label", map[string]any{"step": i + 1}, "step %d: a button needs a label", i+1)
				}
				var tm store.Team
				if err := s.st.DB.WithContext(ctx).Take(&tm, o.TeamID).Error; err != nil {
					if errors.Is(notFound(err), ErrNotFound) {
						return nil, invalidAs("no_team", map[string]any{"id": o.TeamID}, "no team %d", o.TeamID)
					}
					return nil, fmt.Errorf("inbox: team %d: %w", o.TeamID, err)
				}
				opt.TeamID = tm.ID
				out.Options = append(out.Options, opt)
			}
		}
		f.Steps = append(f.Steps, out)
	}
	if err := s.st.SaveBotFlow(ctx, f); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, invalidAs("bot_flow_exists", map[string]any{"channel_id": in.ChannelID}, "channel %d already has a bot flow", in.ChannelID)
		}
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if !f.Enabled {
		if err := s.releaseChannel(ctx, f.ChannelID); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// botField cleans one text of a flow.
func botField(v string, max int) (string, error) {
	out, err := plaintext.Text(strings.TrimSpace(v), max)
	if err != nil {
		return "", invalidAs("bot_text", map[string]any{"max": max}, "a bot text is too long or not text")
	}
	return out, nil
}

// BotFlows lists every bot flow.
func (s *Service) BotFlows(ctx context.Context) ([]store.BotFlow, error) {
	out, err := s.st.BotFlows(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return out, nil
}

// BotFlow returns flow id (ErrNotFound when there is none).
func (s *Service) BotFlow(ctx context.Context, id int64) (*store.BotFlow, error) {
	f, err := s.st.BotFlow(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return f, nil
}

// DeleteBotFlow removes flow id; tickets it was talking in go on with a
// person.
func (s *Service) DeleteBotFlow(ctx context.Context, id int64) error {
	f, err := s.st.BotFlow(ctx, id)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	if err := s.st.DeleteBotFlow(ctx, id); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return s.releaseChannel(ctx, f.ChannelID)
}

// releaseChannel tells auto-assignment that the tickets a channel's flow
// held may be assigned now (its flow was turned off or removed).
func (s *Service) releaseChannel(ctx context.Context, channelID int64) error {
	evs := []Event{{Type: EventBotReleased, ChannelID: channelID}}
	if err := s.st.Tx(ctx, func(tx *gorm.DB) error { return s.recordEvents(tx, evs) }); err != nil {
		return fmt.Errorf("inbox: release bot holds: %w", err)
	}
	s.publish(evs...)
	return nil
}
