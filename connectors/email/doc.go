// Package email is Hanbox's email channel (kind "email").
//
// Inbound mail arrives by IMAP sync (imap.go) and, optionally, by an SMTP
// listener that a mail host or forwarding rule delivers to (listener.go).
// Both hand raw RFC 5322 bytes to Parse (parse.go: the header; mime.go: the
// part tree; dsn.go: delivery reports; msgid.go: Message-ID and threading
// headers; quote.go: quoted history), which produces an
// inbox.Inbound, or a Bounce for a delivery status notification about mail
// Hanbox sent. What cannot be parsed is quarantined raw, never dropped.
// Agent replies leave through Send (send.go) over SMTP.
//
// # Threading
//
// Parse gives every message the thread keys the inbox matches in order; the
// first key the inbox knows picks the ticket:
//
//  1. "email:<id>" for the In-Reply-To message id;
//  2. "email:<id>" for each References id, newest (last) first;
//  3. inbox.TokenKey(token) when a To, Cc, Delivered-To or X-Original-To
//     recipient is local+<token>@domain of the channel's address (Hanbox's
//     Reply-To when reply_to_token is on; survives mailers that drop headers,
//     like some Outlook replies).
//
// If no key matches, the inbox falls back to the subject tag "[#1042]"
// (FallbackNumber), but only when the sender is that ticket's contact; else
// a new ticket opens. Every message adds "email:<its Message-ID>" (OwnKeys),
// and every sent reply adds "email:<our Message-ID>", so the customer's
// answer to either threads back.
//
// Outgoing replies carry Message-ID <hanbox.{ticket}.{message}.{random}@domain>,
// In-Reply-To the customer's message id, References the parent's References
// plus its id (and the ticket's other email ids, bounded), Subject
// "Re: <subject> [#number]" and, with reply_to_token, Reply-To
// local+<token>@domain. Replies go to the customer's Reply-To or From, with
// the other To/Cc recipients kept (reply-all).
//
// The contact is the From address, verified by the channel; mail From the
// channel's own address with a foreign Reply-To (a web form relaying for a
// customer) is attributed to the Reply-To address. Our own replies echoed
// back into the mailbox are ignored.
//
// # Exactly once
//
// The IMAP checkpoint (UIDVALIDITY and the last UID, per folder) advances
// only after a batch was ingested, quarantined or recorded as a bounce, and
// it is written even when the session is being stopped, before the mailbox
// lock is released, so the next owner never offers those messages again.
// UIDs at or below the checkpoint are dropped, since real servers answer
// "N:*" with the newest message even when its UID is below N. A changed
// UIDVALIDITY resyncs the folder; deduplication makes replays harmless.
//
// Deduplication (dedupe.go) is by Message-ID and content digest (digest.go):
// the SHA-256 of the author's header fields and the body, without anything
// transport adds (Received, Delivered-To, Return-Path, ARC, DKIM-Signature,
// spam verdicts, line ends). The same mail by IMAP and by the listener is one
// message; a different mail reusing a stored Message-ID is stored under
// "<Message-ID>/sha256.<digest>" and flagged (meta "message_id_conflict").
// Mail without a Message-ID gets "sha256.<digest>@hanbox.invalid".
//
// # Nothing lost
//
// Mail that cannot be parsed is quarantined raw. Mail that parses only with
// repairs (a misspelled Content-Transfer-Encoding, a broken MIME structure:
// transfer.go, mime.go) is imported with the original attached as
// original-message.eml (or quarantined as well when too large to attach).
// Over-size mail (oversize.go) is quarantined as its headers with a note of
// what it held, shown as the message text when an admin retries it.
// # Charsets
//
// go-message decodes the IANA charsets; this package adds the names Korean
// and Chinese mailers actually write (cp949, ms949, ks_c_5601-1987, gb2312
// as GBK) and an ISO-2022-KR decoder (RFC 1557), which x/text lacks. Text in
// an unknown or missing charset is decoded as UTF-8, else CP949, else
// Windows-1252; raw 8-bit headers get the same treatment.
package email
