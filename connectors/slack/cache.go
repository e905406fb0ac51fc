package slack

import (
	"context"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"
)

// recent remembers the last n keys (Slack event ids), to drop redeliveries.
type recent struct {
	mu   sync.Mutex
	keys map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{keys: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records key and reports whether it was new.
func (r *recent) add(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[key]; ok {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.keys, old)
	}
	r.ring[r.next] = key
	r.next = (r.next + 1) % len(r.ring)
	r.keys[key] = struct{}{}
	return true
}

// remove forgets key (an event that could not be queued, so Slack's retry is
// accepted). Its ring slot is freed when overwritten.
func (r *recent) remove(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.keys, key)
}

// userCache keeps users.info answers for a while: every message needs the
// author's email, and users.info is rate limited.
type userCache struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	users map[string]cachedUser
}

type cachedUser struct {
	user *slackgo.User
	at   time.Time
}

func newUserCache(ttl time.Duration, max int) *userCache {
	return &userCache{ttl: ttl, max: max, users: map[string]cachedUser{}}
}

func (u *userCache) get(id string) (*slackgo.User, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	cu, ok := u.users[id]
	if !ok || time.Since(cu.at) > u.ttl {
		return nil, false
	}
	return cu.user, true
}

func (u *userCache) put(id string, user *slackgo.User) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.users) >= u.max {
		for k, v := range u.users {
			if time.Since(v.at) > u.ttl || len(u.users) >= u.max {
				delete(u.users, k)
			}
		}
	}
	u.users[id] = cachedUser{user: user, at: time.Now()}
}

// user returns a Slack user's profile, from the cache or users.info.
func (c *Channel) user(ctx context.Context, id string) (*slackgo.User, error) {
	if u, ok := c.users.get(id); ok {
		return u, nil
	}
	u, err := c.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return nil, c.transportErr("users.info", err)
	}
	c.users.put(id, u)
	return u, nil
}
