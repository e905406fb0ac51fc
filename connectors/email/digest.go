package email

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// The content digest of a message identifies it whatever path it came by.
// The same mail reaches Hanbox with different bytes: the SMTP listener
// records the envelope recipients as Delivered-To, the MTA in front of an
// IMAP mailbox prepends Return-Path, Received, Authentication-Results, ARC
// sets and spam verdicts, a forwarder adds its own DKIM-Signature, one copy
// has CRLF line ends and another LF. The digest therefore covers only the
// header fields an author writes (digestFields; an allow-list, so a header
// some relay invents is left out without anyone having to name it) and the
// body, both normalized:
//
//   - each field of digestFields, in that order and in the order it occurs,
//     as "name:value" with the value unfolded and runs of white space made
//     one space;
//   - the body with line ends as LF, white space at the end of each line
//     and blank lines at the end dropped.
//
// DKIM-Signature is left out on purpose: it is not a trace field, but a
// forwarder re-signs, so two copies of one mail differ in it. The cost of
// the allow-list is that two mails equal in every field listed and in the
// body, differing only in some other field, count as one; nothing a
// customer wrote is lost by that.
var digestFields = []string{
	"From", "Reply-To", "To", "Cc", "Subject", "Date", "Message-Id", "In-Reply-To", "References",
	"Mime-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
}

// contentDigest returns the SHA-256 of raw without what transport adds (see
// above). Bytes without a readable header are hashed as they are.
func contentDigest(raw []byte) [32]byte {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return sha256.Sum256(raw)
	}
	d := sha256.New()
	for _, k := range digestFields {
		for _, v := range h.Values(k) {
			d.Write([]byte(strings.ToLower(k) + ":" + strings.Join(strings.Fields(v), " ") + "\n"))
		}
	}
	d.Write([]byte{0})
	body, _ := io.ReadAll(br)
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	lines := bytes.Split(body, []byte("\n"))
	for len(lines) > 0 && len(bytes.TrimRight(lines[len(lines)-1], " \t\r")) == 0 {
		lines = lines[:len(lines)-1]
	}
	for _, l := range lines {
		d.Write(bytes.TrimRight(l, " \t\r"))
		d.Write([]byte{'\n'})
	}
	var sum [32]byte
	d.Sum(sum[:0])
	return sum
}

// syntheticID is the id of a message without a Message-ID: derived from its
// content digest, so every copy of it gets the same one.
func syntheticID(digest [32]byte) string {
	return "sha256." + hex.EncodeToString(digest[:16]) + "@hanbox.invalid"
}

// legacySyntheticID is the id earlier versions gave such a message (a hash
// of its bytes as received); a replay finds messages stored under it.
func legacySyntheticID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256." + hex.EncodeToString(sum[:16]) + "@hanbox.invalid"
}
