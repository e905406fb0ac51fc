package kb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
)

// Answer suggestions on email, Slack and Discord: when the channel's
// kb_suggestions setting is on (off by default), a new ticket's first
// customer message gets one answer from the bot (an email
// acknowledgement, a thread reply) with up to three published
// articles that may answer it. Below MinSuggestScore the bot stays quiet;
// it never answers an automatic email (vacation replies, bounces, lists),
// and posts at most once per ticket (inbox.BotSuggestion).
//
// One bot message per customer message: on a channel whose generative
// answers are on (SettingAIAnswers, with the provider enabled), the
// AI answer takes the message (its own fallback posts the suggested
// articles), so the acknowledgement is skipped.

// suggestingKinds are the channel kinds with the kb_suggestions setting:
// the bot's answer is an email acknowledgement, or a thread reply on Slack
// and Discord.
var suggestingKinds = map[string]bool{"email": true, "slack": true, "discord": true}

// AckConsumerName is the durable consumer of email suggestions.
const AckConsumerName = "kb.email_suggestions"

// SettingEmailSuggestions is the channel setting (email, Slack, Discord)
// that turns them on.
const SettingEmailSuggestions = "kb_suggestions"

// SettingAIAnswers is the channel setting of generative answers to
// customers (assist.SettingAnswers; defined here, as assist imports kb).
const SettingAIAnswers = "ai_answers"

// AckConsumer returns the durable consumer that acknowledges new email
// tickets with suggested articles; baseURL prefixes the help-center links.
func (s *Service) AckConsumer(in *inbox.Service, baseURL string) inbox.Consumer {
	baseURL = strings.TrimRight(baseURL, "/")
	return inbox.Consumer{Name: AckConsumerName, Types: []string{inbox.EventTicketCreated}, Handle: func(ctx context.Context, e inbox.Event) error {
		t, err := in.Ticket(ctx, e.TicketID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var ch store.Channel
		if err := s.st.DB.WithContext(ctx).Take(&ch, t.ChannelID).Error; err != nil {
			return fmt.Errorf("kb: channel %d: %w", t.ChannelID, err)
		}
		if !suggestingKinds[ch.Kind] || ch.Settings[SettingEmailSuggestions] != true {
			return nil
		}
		if ai, err := s.aiAnswers(ctx, &ch); err != nil || ai {
			return err // the AI answer replies instead
		}
		msgs, err := in.Messages(ctx, t.ID)
		if err != nil {
			return err
		}
		var first *store.Message
		for i := range msgs {
			if msgs[i].Direction == store.DirInbound {
				first = &msgs[i]
				break
			}
		}
		if first == nil || first.Meta["auto"] == true || first.AuthorType != store.AuthorContact {
			return nil
		}
		lang := "en"
		if hasHangul(t.Subject + first.Text) {
			lang = "ko"
		}
		hits, err := s.Suggest(ctx, t.Subject+"\n"+first.Text, lang, 3)
		if err != nil || len(hits) == 0 {
			return err
		}
		_, err = in.BotSuggestion(ctx, t.ID, ch.ID, ackText(lang, baseURL, hits), map[string]any{"kb_suggestions": articleIDs(hits)})
		return err
	}}
}

// aiAnswers reports whether generative answers reply on ch: its
// SettingAIAnswers is on and the provider is enabled (as the answer
// consumer decides; email, Slack and Discord have no flow bot).
func (s *Service) aiAnswers(ctx context.Context, ch *store.Channel) (bool, error) {
	if ch.Settings[SettingAIAnswers] != true {
		return false, nil
	}
	set, err := s.st.AssistSettingsOf(ctx)
	if err != nil {
		return false, fmt.Errorf("kb: provider settings: %w", err)
	}
	return set.Enabled, nil
}

// ackText is the acknowledgement with its article links.
func ackText(lang, baseURL string, hits []store.KBHit) string {
	var b strings.Builder
	if lang == "ko" {
		b.WriteString("문의가 접수되었습니다. 담당자가 확인 후 답변드리겠습니다.\n\n그동안 아래 문서가 도움이 될 수 있습니다:\n")
	} else {
		b.WriteString("We have received your message and will answer soon.\n\nMeanwhile, these articles may help:\n")
	}
	for i := range hits {
		b.WriteString("\n- " + hits[i].Article.Title + "\n  " + baseURL + Path(&hits[i].Article) + "\n")
	}
	return b.String()
}

func articleIDs(hits []store.KBHit) []int64 {
	out := make([]int64, len(hits))
	for i := range hits {
		out[i] = hits[i].Article.ID
	}
	return out
}

func hasHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}
