package email

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/hanbox/hanbox/connectors"
	"github.com/hanbox/hanbox/inbox"
)

// Tuning of the IMAP sync; variables so tests can shorten them.
var (
	// idleRefresh ends an IDLE this often to look for mail anyway (servers
	// drop idle connections after 30 minutes; some lose notifications).
	idleRefresh = 9 * time.Minute
	// batchMessages and batchBytes bound one UID FETCH of bodies.
	batchMessages = 50
	batchBytes    = int64(32 << 20)
	// lockRetry is how often a standby instance tries to take the mailbox.
	lockRetry = 30 * time.Second
)

// Reconnecting: after a connection failure the wait starts at reconnectMin
// and doubles up to reconnectMax; a session that logged in and selected the
// folder resets it. The cap keeps a server that comes back after an outage
// of any length reconnected within 5 s (4 s of waiting and the connect).
const (
	reconnectMin = time.Second
	reconnectMax = 4 * time.Second
)

// checkpointTimeout bounds writing the checkpoint after ctx ended.
const checkpointTimeout = 10 * time.Second

func (c *Channel) stateKey(name string) string {
	return "imap:" + c.settings.IMAP.Folder + ":" + name
}

// connError marks a failure of the connection to the IMAP server: it could
// not be made, it broke, or the server said it is temporarily unavailable.
// The channel reconnects by itself, soon. Every other failure (a rejected
// login, a missing folder, a bad certificate, the store) ends Start, and the
// runtime restarts it with its slower backoff, so a wrong password is not
// tried every few seconds.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// netFail wraps err as a connError unless the server answered it (NO or BAD
// other than [UNAVAILABLE]) or a certificate failed to verify.
func netFail(err error) error {
	if err == nil {
		return nil
	}
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code != imap.ResponseCodeUnavailable {
		return err
	}
	var ce *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	if errors.As(err, &ce) || errors.As(err, &ue) || errors.As(err, &he) {
		return err
	}
	return &connError{err: err}
}

// runIMAP holds the mailbox for the channel: it takes the cluster lock (when
// there is one) and keeps an IMAP session open, reconnecting after
// connection failures (see reconnectMin), until ctx ends or a failure that is
// not the connection's. The lock is released only after the last session
// ended, and a session writes its checkpoint before it ends.
func (c *Channel) runIMAP(ctx context.Context, sink connectors.Sink) error {
	c.deps.Status(connectors.StateConnecting, nil)
	if c.deps.Locker != nil {
		release, err := c.lockMailbox(ctx)
		if err != nil || release == nil {
			return err
		}
		defer release()
	}
	delay := reconnectMin
	for {
		selected, err := c.syncIMAP(ctx, sink)
		if ctx.Err() != nil {
			return nil
		}
		var ce *connError
		if !errors.As(err, &ce) {
			return err
		}
		if selected {
			delay = reconnectMin
		}
		c.log.Warn("imap connection failed; reconnecting", "err", err, "in", delay)
		if c.sleep(ctx, delay) != nil {
			return nil
		}
		delay = min(delay*2, reconnectMax)
		c.deps.Status(connectors.StateConnecting, nil)
	}
}

// sleep waits d, or until ctx ends (then it returns ctx's error).
func (c *Channel) sleep(ctx context.Context, d time.Duration) error {
	if c.wait != nil {
		return c.wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// syncIMAP holds one IMAP session: it backfills everything after the
// checkpoint, then waits in IDLE (or polls) for more, until ctx ends or the
// session fails. selected reports that it got as far as selecting the folder.
func (c *Channel) syncIMAP(ctx context.Context, sink connectors.Sink) (selected bool, err error) {
	wake := make(chan struct{}, 1)
	cl, err := c.dialIMAP(ctx, wake)
	if err != nil {
		return false, c.fail(netFail(fmt.Errorf("email: imap connect: %w", err)))
	}
	defer cl.Close()
	stop := context.AfterFunc(ctx, func() { cl.Close() })
	defer stop()

	if err := cl.Login(c.settings.IMAP.Username, c.imapPassword).Wait(); err != nil {
		return false, c.fail(netFail(fmt.Errorf("email: imap login: %w", err)))
	}
	sel, err := cl.Select(c.settings.IMAP.Folder, nil).Wait()
	if err != nil {
		return false, c.fail(netFail(fmt.Errorf("email: imap select %s: %w", c.settings.IMAP.Folder, err)))
	}
	last, err := c.checkpoint(ctx, sel.UIDValidity)
	if err != nil {
		return true, c.fail(err)
	}
	canIdle := cl.Caps().Has(imap.CapIdle) || cl.Caps().Has(imap.CapIMAP4rev2)
	reported := false // report connected once per session, not per wake-up
	for {
		if last, err = c.fetchNew(ctx, cl, sink, last); err != nil {
			if ctx.Err() != nil {
				return true, nil
			}
			return true, c.fail(err)
		}
		if !reported {
			c.deps.Status(connectors.StateConnected, nil)
			reported = true
		}
		if canIdle {
			err = c.idle(ctx, cl, wake)
		} else {
			err = c.poll(ctx, cl)
		}
		if ctx.Err() != nil {
			return true, nil
		}
		if err != nil {
			return true, c.fail(netFail(err))
		}
	}
}

func (c *Channel) fail(err error) error {
	c.deps.Status(connectors.StateError, err)
	return err
}

// lockMailbox takes the cluster-wide lock on this channel's mailbox, waiting
// while another instance holds it. A nil release with a nil error means ctx
// ended.
func (c *Channel) lockMailbox(ctx context.Context) (func(), error) {
	key := "email:imap:" + strconv.FormatInt(c.ch.ID, 10)
	for {
		release, ok, err := c.deps.Locker.TryLock(ctx, key)
		if err != nil {
			return nil, c.fail(fmt.Errorf("email: lock mailbox: %w", err))
		}
		if ok {
			return release, nil
		}
		c.deps.Status(connectors.StateConnecting, nil)
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(lockRetry):
		}
	}
}

func (c *Channel) dialIMAP(ctx context.Context, wake chan<- struct{}) (*imapclient.Client, error) {
	s := c.settings.IMAP
	tlsConfig := &tls.Config{ServerName: s.Host, InsecureSkipVerify: s.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	opts := &imapclient.Options{
		TLSConfig:   tlsConfig,
		WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the reader goroutine: only signal.
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	dial := c.dial
	if dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second}
		dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	conn, err := dial(ctx, hostPort(s.Host, s.Port))
	if err != nil {
		return nil, err
	}
	switch s.TLS {
	case TLSNone:
		return imapclient.New(conn, opts), nil
	case TLSStartTLS:
		return imapclient.NewStartTLS(conn, opts)
	default:
		tlsConfig.NextProtos = []string{"imap"}
		tc := tls.Client(conn, tlsConfig)
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			conn.Close()
			return nil, err
		}
		return imapclient.New(tc, opts), nil
	}
}

// checkpoint returns the last imported UID for this UIDVALIDITY. A changed
// UIDVALIDITY means the server renumbered the mailbox: everything is synced
// again, and Message-ID deduplication in the inbox keeps that harmless.
func (c *Channel) checkpoint(ctx context.Context, validity uint32) (imap.UID, error) {
	v := strconv.FormatUint(uint64(validity), 10)
	old, err := c.deps.State.Get(ctx, c.stateKey("uidvalidity"))
	if err != nil && !errors.Is(err, inbox.ErrNotFound) {
		return 0, fmt.Errorf("email: load checkpoint: %w", err)
	}
	if old != v {
		if old != "" {
			c.log.Warn("imap uidvalidity changed; resyncing the mailbox", "folder", c.settings.IMAP.Folder, "old", old, "new", v)
		}
		if err := c.deps.State.Put(ctx, c.stateKey("last_uid"), "0"); err != nil {
			return 0, fmt.Errorf("email: reset checkpoint: %w", err)
		}
		if err := c.deps.State.Put(ctx, c.stateKey("uidvalidity"), v); err != nil {
			return 0, fmt.Errorf("email: save uidvalidity: %w", err)
		}
		return 0, nil
	}
	s, err := c.deps.State.Get(ctx, c.stateKey("last_uid"))
	if err != nil && !errors.Is(err, inbox.ErrNotFound) {
		return 0, fmt.Errorf("email: load checkpoint: %w", err)
	}
	n, _ := strconv.ParseUint(s, 10, 32)
	return imap.UID(n), nil
}

type pending struct {
	uid  imap.UID
	size int64
}

// fetchNew imports every message with a UID above last, in UID order, and
// returns the new checkpoint. The checkpoint is saved after each batch whose
// messages were all ingested (or quarantined).
func (c *Channel) fetchNew(ctx context.Context, cl *imapclient.Client, sink connectors.Sink, last imap.UID) (imap.UID, error) {
	var set imap.UIDSet
	set.AddRange(last+1, 0)
	bufs, err := cl.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return last, netFail(fmt.Errorf("email: imap list new mail: %w", err))
	}
	var todo []pending
	for _, b := range bufs {
		// Real servers answer N:* with the newest message even when its UID
		// is below N: anything at or below the checkpoint was imported.
		if b.UID > last {
			todo = append(todo, pending{uid: b.UID, size: b.RFC822Size})
		}
	}
	slices.SortFunc(todo, func(a, b pending) int { return cmp.Compare(a.uid, b.uid) })
	for len(todo) > 0 {
		n, total := 0, int64(0)
		for n < len(todo) && n < batchMessages && (n == 0 || total+todo[n].size <= batchBytes) {
			total += todo[n].size
			n++
		}
		batch := todo[:n]
		todo = todo[n:]
		done, err := c.importBatch(ctx, cl, sink, batch)
		if len(done) > 0 {
			last = done[len(done)-1]
			// What the inbox committed is recorded even when ctx just ended
			// (a shutdown, a lost lock): the next owner starts after it.
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkpointTimeout)
			perr := c.deps.State.Put(pctx, c.stateKey("last_uid"), strconv.FormatUint(uint64(last), 10))
			cancel()
			if perr != nil {
				return last, fmt.Errorf("email: save checkpoint: %w", perr)
			}
			c.afterImport(cl, done)
		}
		if err != nil {
			return last, err
		}
	}
	return last, nil
}

// importBatch fetches and delivers one batch; it returns the UIDs accounted
// for, a prefix of batch in UID order.
func (c *Channel) importBatch(ctx context.Context, cl *imapclient.Client, sink connectors.Sink, batch []pending) ([]imap.UID, error) {
	max := c.settings.MaxMessageBytes
	var full, heads imap.UIDSet
	for _, p := range batch {
		if p.size > max {
			heads.AddNum(p.uid)
		} else {
			full.AddNum(p.uid)
		}
	}
	bodies := map[imap.UID][]byte{}
	over := map[imap.UID]bool{}
	structure := map[imap.UID]imap.BodyStructure{}
	if len(full) > 0 {
		if err := fetchBodies(cl, full, &imap.FetchItemBodySection{Peek: true}, max, bodies, over, nil); err != nil {
			return nil, err
		}
	}
	if len(heads) > 0 {
		// Headers and the body structure: enough to say what was dropped.
		if err := fetchBodies(cl, heads, &imap.FetchItemBodySection{Peek: true, Specifier: imap.PartSpecifierHeader}, max, bodies, over, structure); err != nil {
			return nil, err
		}
		for _, p := range batch {
			if p.size > max {
				over[p.uid] = true
			}
		}
	}
	// Parse everything first, then hand the customer messages to the inbox
	// together, in UID order, so they can share transactions.
	type item struct {
		uid    imap.UID
		raw    []byte
		source string
		in     *inbox.Inbound
		err    error
	}
	items := make([]item, 0, len(batch))
	var ins []*inbox.Inbound
	var raws [][]byte
	for _, p := range batch {
		raw, ok := bodies[p.uid]
		it := item{uid: p.uid, raw: raw, source: fmt.Sprintf("imap:%s:%d", c.settings.IMAP.Folder, p.uid)}
		switch {
		case !ok:
			// Expunged between the two fetches: nothing to import.
		case over[p.uid]:
			size := p.size
			if size <= max {
				size = max + 1 // at least: the server sent more than RFC822.SIZE said
			}
			it.err = c.quarantineOversize(ctx, raw, it.source, size, partsOfStructure(structure[p.uid]))
		default:
			it.in, it.err = c.inbound(ctx, raw, it.source, false)
			if it.in != nil {
				ins = append(ins, it.in)
				raws = append(raws, raw)
			}
		}
		items = append(items, it)
	}
	var errs []error
	if len(ins) > 0 {
		errs = c.ingestMail(ctx, sink, ins, raws)
	}
	var done []imap.UID
	k := 0
	for _, it := range items {
		err := it.err
		if it.in != nil {
			err = c.settle(ctx, it.raw, it.source, errs[k])
			k++
		}
		if err != nil {
			return done, fmt.Errorf("email: import uid %d: %w", it.uid, err)
		}
		done = append(done, it.uid)
	}
	return done, nil
}

// ingestAll uses the inbox's ordered batch ingest when the sink has it.
func ingestAll(ctx context.Context, sink connectors.Sink, ins []*inbox.Inbound) ([]inbox.IngestResult, []error) {
	if b, ok := sink.(interface {
		IngestAll(context.Context, []*inbox.Inbound) ([]inbox.IngestResult, []error)
	}); ok {
		return b.IngestAll(ctx, ins)
	}
	res := make([]inbox.IngestResult, len(ins))
	errs := make([]error, len(ins))
	for i, in := range ins {
		res[i], errs[i] = sink.Ingest(ctx, in)
		if errs[i] != nil && !errors.Is(errs[i], inbox.ErrInvalid) {
			for j := i + 1; j < len(ins); j++ {
				errs[j] = errs[i] // not attempted: the batch stops at its first failure
			}
			break
		}
	}
	return res, errs
}

// fetchBodies streams one UID FETCH of a body section into out, reading at
// most max bytes per message (a server may send more than RFC822.SIZE said).
// With structure set, the BODYSTRUCTURE of each message goes there too.
func fetchBodies(cl *imapclient.Client, set imap.UIDSet, section *imap.FetchItemBodySection, max int64, out map[imap.UID][]byte, over map[imap.UID]bool, structure map[imap.UID]imap.BodyStructure) error {
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}
	if structure != nil {
		opts.BodyStructure = &imap.FetchItemBodyStructure{Extended: true}
	}
	cmd := cl.Fetch(set, opts)
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var uid imap.UID
		var body []byte
		var tooBig bool
		var bs imap.BodyStructure
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodyStructure:
				bs = it.BodyStructure
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				b, err := io.ReadAll(io.LimitReader(it.Literal, max+1))
				if err != nil {
					_ = cmd.Close()
					return netFail(fmt.Errorf("email: imap read body: %w", err))
				}
				if int64(len(b)) > max {
					tooBig = true
					b = headerOnly(b)
					_, _ = io.Copy(io.Discard, it.Literal)
				}
				body = b
			}
		}
		if uid != 0 && body != nil {
			out[uid] = body
			if tooBig {
				over[uid] = true
			}
			if structure != nil && bs != nil {
				structure[uid] = bs
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return netFail(fmt.Errorf("email: imap fetch: %w", err))
	}
	return nil
}

// headerOnly cuts a message to its header block.
func headerOnly(b []byte) []byte {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(b, []byte(sep)); i >= 0 {
			return b[:i+len(sep)]
		}
	}
	if len(b) > 64<<10 {
		return b[:64<<10]
	}
	return b
}

// afterImport flags or moves imported messages. Failures are logged only:
// the checkpoint already holds, so nothing is imported twice.
func (c *Channel) afterImport(cl *imapclient.Client, uids []imap.UID) {
	set := imap.UIDSetNum(uids...)
	switch c.settings.IMAP.AfterImport {
	case AfterSeen:
		if err := cl.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			c.log.Warn("imap mark seen", "err", err)
		}
	case AfterMove:
		if _, err := cl.Move(set, c.settings.IMAP.MoveTo).Wait(); err != nil {
			c.log.Warn("imap move", "to", c.settings.IMAP.MoveTo, "err", err)
		}
	}
}

// idle waits in IDLE until the server announces mail, idleRefresh passes or
// ctx ends.
func (c *Channel) idle(ctx context.Context, cl *imapclient.Client, wake <-chan struct{}) error {
	// Some servers only report mail that arrived since the last command when
	// another change happens during IDLE: a NOOP first collects it (the
	// handler then signals wake and IDLE ends at once).
	if err := cl.Noop().Wait(); err != nil {
		return fmt.Errorf("email: imap noop: %w", err)
	}
	cmd, err := cl.Idle()
	if err != nil {
		return fmt.Errorf("email: imap idle: %w", err)
	}
	t := time.NewTimer(idleRefresh)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
	case <-cl.Closed():
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("email: imap idle: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("email: imap idle: %w", err)
	}
	return nil
}

// poll waits for the poll interval, keeping the session alive with NOOP.
func (c *Channel) poll(ctx context.Context, cl *imapclient.Client) error {
	select {
	case <-ctx.Done():
		return nil
	case <-cl.Closed():
		return errors.New("email: imap connection closed")
	case <-time.After(c.settings.pollInterval()):
	}
	if err := cl.Noop().Wait(); err != nil {
		return fmt.Errorf("email: imap noop: %w", err)
	}
	return nil
}
