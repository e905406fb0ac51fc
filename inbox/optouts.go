package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/hanbox/hanbox/store"
)

// Opt-outs: a contact may ask not to receive surveys (or, for the
// engagement feature, marketing). Every survey email carries an
// unsubscribe link (and List-Unsubscribe headers for one-click, RFC 8058)
// with a token "<topic>.<contact id>.<HMAC>" under the server's link key in
// its own domain, so a token unsubscribes one contact from one topic and
// does nothing else. Senders check OptedOut before every request.

// Opt-out topics (store.Topic*).
const (
	TopicSurveys   = store.TopicSurveys
	TopicMarketing = store.TopicMarketing
)

// ErrUnsubscribeInvalid is returned for an unsubscribe token Hanbox did not
// sign. It is an ErrNotFound.
var ErrUnsubscribeInvalid = fmt.Errorf("inbox: no such unsubscribe link: %w", ErrNotFound)

// Topics lists the opt-out topics.
func Topics() []string { return []string{TopicSurveys, TopicMarketing} }

func validTopic(topic string) bool { return slices.Contains(Topics(), topic) }

// Unsubscription is what an unsubscribe token names.
type Unsubscription struct {
	ContactID int64
	Topic     string
	Locale    string // the contact's ("ko" or "en")
	// OptedOut is true once the contact is unsubscribed from Topic.
	OptedOut bool
}

// UnsubscribeToken signs contact contactID's unsubscribe link for topic.
func UnsubscribeToken(key []byte, contactID int64, topic string) string {
	return signTicketToken(key, "hanbox-unsubscribe", topic, contactID)
}

// UnsubscribeURL is the public unsubscribe page of a contact and topic.
func (s *Service) UnsubscribeURL(ctx context.Context, contactID int64, topic string) (string, error) {
	key, err := s.linkSecret(ctx)
	if err != nil {
		return "", err
	}
	return s.baseURL + "/u/" + url.PathEscape(UnsubscribeToken(key, contactID, topic)), nil
}

// OpenUnsubscribe checks an unsubscribe token.
func (s *Service) OpenUnsubscribe(ctx context.Context, token string) (*Unsubscription, error) {
	topic, contactID, ok, err := s.openTicketToken(ctx, "hanbox-unsubscribe", token)
	if err != nil {
		return nil, err
	}
	if !ok || !validTopic(topic) {
		return nil, ErrUnsubscribeInvalid
	}
	var c store.Contact
	if err := s.st.DB.WithContext(ctx).Select("id", "locale", "merged_into").Take(&c, contactID).Error; err != nil {
		if errors.Is(notFound(err), ErrNotFound) {
			return nil, ErrUnsubscribeInvalid
		}
		return nil, fmt.Errorf("inbox: unsubscribe: %w", err)
	}
	out, err := s.OptedOut(ctx, contactID, topic)
	if err != nil {
		return nil, err
	}
	return &Unsubscription{ContactID: contactID, Topic: topic, Locale: surveyLocale(c.Locale), OptedOut: out}, nil
}

// Unsubscribe opts out the contact an unsubscribe token names; source says
// how ("link", "one-click"). Twice is once.
func (s *Service) Unsubscribe(ctx context.Context, token, source string) (*Unsubscription, error) {
	u, err := s.OpenUnsubscribe(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := s.OptOut(ctx, u.ContactID, u.Topic, source); err != nil {
		return nil, err
	}
	if u.Topic == TopicMarketing && !u.OptedOut {
		// Counted in the statistics of the campaign mail it came from.
		if err := campaignUnsubscribed(s.st.DB.WithContext(ctx), u.ContactID); err != nil {
			s.log.Warn("campaign: count unsubscribe", "contact_id", u.ContactID, "err", err)
		}
	}
	u.OptedOut = true
	return u, nil
}

// OptOut records that contact contactID does not want topic. A contact
// merged into another opts out the one it went into, which is the contact
// every later ticket belongs to.
func (s *Service) OptOut(ctx context.Context, contactID int64, topic, source string) error {
	if !validTopic(topic) {
		return invalidAs("opt_out_topic", nil, "unknown topic %q", topic)
	}
	id, err := mergedContact(s.st.DB.WithContext(ctx), contactID)
	if err != nil {
		return err
	}
	if err := s.st.PutOptOut(ctx, &store.ContactOptOut{ContactID: id, Topic: topic, Source: source, CreatedAt: now()}); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// OptIn withdraws contact contactID's opt-out of topic.
func (s *Service) OptIn(ctx context.Context, contactID int64, topic string) error {
	id, err := mergedContact(s.st.DB.WithContext(ctx), contactID)
	if err != nil {
		return err
	}
	if _, err := s.st.DeleteOptOut(ctx, id, topic); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return nil
}

// OptedOut reports whether contact contactID (or the contact it was merged
// into) opted out of topic.
func (s *Service) OptedOut(ctx context.Context, contactID int64, topic string) (bool, error) {
	id, err := mergedContact(s.st.DB.WithContext(ctx), contactID)
	if err != nil {
		return false, err
	}
	for _, c := range []int64{id, contactID} {
		ok, err := s.st.OptedOut(ctx, c, topic)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// OptOuts lists the opt-outs of contact contactID (or the contact it was
// merged into), by topic.
func (s *Service) OptOuts(ctx context.Context, contactID int64) ([]store.ContactOptOut, error) {
	id, err := mergedContact(s.st.DB.WithContext(ctx), contactID)
	if err != nil {
		return nil, err
	}
	out, err := s.st.OptOutsOf(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return out, nil
}
