package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/hanbox/hanbox/store"
)

// Campaign email tracking. Every http(s) link in a campaign email's body
// goes through GET /r/{token} on Hanbox, and (unless the campaign turns it
// off) the HTML part carries a 1x1 image GET /o/{token}:
//
//   - A click token is "<send public id>.<target URL, base64url>.<mac>", the
//     HMAC-SHA256 under the server's link key in its own domain over both.
//     Following it counts the send clicked (once: the first click's time)
//     and redirects to exactly the URL that was signed, so the redirect is
//     never open: a token for any other target fails the check.
//   - An open token is "<send public id>.<mac>"; loading it counts the send
//     seen. Opens are approximate: many mail apps block remote images (not
//     counted) and some fetch them ahead of the reader (counted).
//   - Mail scanners that follow links before the customer count as clicks;
//     a click also counts the message seen (it was read).

// ErrTrackingInvalid is returned for a click or open token Hanbox did not
// sign. It is an ErrNotFound.
var ErrTrackingInvalid = fmt.Errorf("inbox: no such campaign link: %w", ErrNotFound)

const (
	clickDomain = "hanbox-campaign-click"
	openDomain  = "hanbox-campaign-open"
	// maxTrackedURL: longer links are left as they are.
	maxTrackedURL = 2000
)

// campaignLinkRe finds the links of a campaign text: http(s) URLs up to
// the next space (or <, >, "); a path may be Korean (/도움말), so text
// written right after a link without a space is part of it.
var campaignLinkRe = regexp.MustCompile(`https?://[^\s<>"]+`)

// CampaignLinks returns the [start, end) byte offsets of the http(s) links
// in a campaign text, the ones tracking rewrites. Trailing punctuation
// (a sentence's full stop, a closing parenthesis) is not part of a link.
func CampaignLinks(text string) [][2]int {
	var out [][2]int
	for _, m := range campaignLinkRe.FindAllStringIndex(text, -1) {
		end := m[1]
		for end > m[0] && strings.ContainsRune(".,;:!?)'", rune(text[end-1])) {
			if text[end-1] == ')' && strings.Count(text[m[0]:end], "(") >= strings.Count(text[m[0]:end], ")") {
				break // a balanced parenthesis is the URL's own
			}
			end--
		}
		u, err := url.Parse(text[m[0]:end])
		if err != nil || u.Host == "" || end-m[0] > maxTrackedURL {
			continue
		}
		out = append(out, [2]int{m[0], end})
	}
	return out
}

func trackingMAC(key []byte, domain, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain + "\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// CampaignClickToken signs the tracked link of send sendID to target.
func CampaignClickToken(key []byte, sendID, target string) string {
	payload := sendID + "." + base64.RawURLEncoding.EncodeToString([]byte(target))
	return payload + "." + trackingMAC(key, clickDomain, payload)
}

// CampaignOpenToken signs the open image of send sendID.
func CampaignOpenToken(key []byte, sendID string) string {
	return sendID + "." + trackingMAC(key, openDomain, sendID)
}

// campaignTracking is the tracked links and the open image of one send.
func (s *Service) campaignTracking(ctx context.Context, sendID, body string, opens bool) (map[string]string, string, error) {
	key, err := s.linkSecret(ctx)
	if err != nil {
		return nil, "", err
	}
	links := map[string]string{}
	for _, l := range CampaignLinks(body) {
		u := body[l[0]:l[1]]
		links[u] = s.baseURL + "/r/" + CampaignClickToken(key, sendID, u)
	}
	open := ""
	if opens {
		open = s.baseURL + "/o/" + CampaignOpenToken(key, sendID)
	}
	return links, open, nil
}

// CampaignClick checks a click token, counts its send clicked (and seen)
// the first time, and returns the URL to redirect to: the one signed. A
// token Hanbox did not sign is ErrTrackingInvalid.
func (s *Service) CampaignClick(ctx context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(token) > 4*maxTrackedURL || len(parts) != 3 {
		return "", ErrTrackingInvalid
	}
	key, err := s.linkSecret(ctx)
	if err != nil {
		return "", err
	}
	payload := parts[0] + "." + parts[1]
	if !hmac.Equal([]byte(trackingMAC(key, clickDomain, payload)), []byte(parts[2])) {
		return "", ErrTrackingInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", ErrTrackingInvalid
	}
	target := string(raw)
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", ErrTrackingInvalid // never signed so; refuse rather than redirect anywhere else
	}
	if err := s.trackSend(ctx, parts[0], true); err != nil {
		return "", err
	}
	return target, nil
}

// CampaignOpened checks an open token and counts its send seen the first
// time. A token Hanbox did not sign is ErrTrackingInvalid.
func (s *Service) CampaignOpened(ctx context.Context, token string) error {
	sendID, mac, ok := strings.Cut(token, ".")
	if !ok || len(token) > 200 {
		return ErrTrackingInvalid
	}
	key, err := s.linkSecret(ctx)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(trackingMAC(key, openDomain, sendID)), []byte(mac)) {
		return ErrTrackingInvalid
	}
	return s.trackSend(ctx, sendID, false)
}

// trackSend sets a send's seen time, and with click its clicked time, when
// not set yet: a second open or click changes nothing, and of two at once
// the first time stays (the NULL condition). A send that is gone is no
// error (the link still works).
func (s *Service) trackSend(ctx context.Context, publicID string, click bool) error {
	ts := now()
	db := s.st.DB.WithContext(ctx)
	cols := []string{"seen_at"}
	if click {
		cols = append(cols, "clicked_at")
	}
	for _, col := range cols {
		if err := db.Model(&store.CampaignSend{}).Where("public_id = ? AND "+col+" IS NULL", publicID).
			Updates(map[string]any{col: ts, "updated_at": ts}).Error; err != nil {
			return fmt.Errorf("inbox: campaign tracking: %w", err)
		}
	}
	return nil
}
