package inbox

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNormSender(t *testing.T) {
	long := strings.Repeat("가", 100) // 300 bytes
	cases := []struct {
		name    string
		ref     ContactRef
		want    sender
		invalid bool
	}{
		{name: "no kind", ref: ContactRef{ID: "x", Verified: true}, invalid: true},
		{name: "blank id", ref: ContactRef{Kind: IdentityAPI, ID: "  ", Verified: true}, invalid: true},
		{name: "unverified email cannot identify", ref: ContactRef{Kind: IdentityEmail, ID: "a@example.com"}, invalid: true},
		{name: "email that is not an address", ref: ContactRef{Kind: IdentityEmail, ID: "nobody", Verified: true}, invalid: true},
		{name: "email sender is normalized and proves its address",
			ref:  ContactRef{Kind: IdentityEmail, ID: " Minji@Example.COM ", Verified: true, Name: " 김민지 "},
			want: sender{kind: IdentityEmail, value: "minji@example.com", verified: true, name: "김민지", email: "minji@example.com", emailVerified: true}},
		{name: "typed address is a reply address",
			ref:  ContactRef{Kind: IdentityWidget, ID: "k/v1", Email: "Owner@Example.com"},
			want: sender{kind: IdentityWidget, value: "k/v1", email: "owner@example.com"}},
		{name: "a vouched address needs a verified sender",
			ref:  ContactRef{Kind: IdentityWidget, ID: "k/v1", Email: "owner@example.com", EmailVerified: true},
			want: sender{kind: IdentityWidget, value: "k/v1", email: "owner@example.com"}},
		{name: "site-verified user with vouched address",
			ref:  ContactRef{Kind: IdentityWidget, ID: "k/user:42", Verified: true, Email: "owner@example.com", EmailVerified: true},
			want: sender{kind: IdentityWidget, value: "k/user:42", verified: true, email: "owner@example.com", emailVerified: true}},
		{name: "vouched but not an address",
			ref:  ContactRef{Kind: IdentitySlack, ID: "T1/U1", Verified: true, Email: "nope", EmailVerified: true},
			want: sender{kind: IdentitySlack, value: "T1/U1", verified: true}},
		{name: "name and locale are clipped",
			ref:  ContactRef{Kind: IdentityAPI, ID: "1/x", Verified: true, Name: long, Locale: strings.Repeat("k", 40)},
			want: sender{kind: IdentityAPI, value: "1/x", verified: true, name: strings.Repeat("가", 85), locale: strings.Repeat("k", 35)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := normSender(c.ref)
			if c.invalid {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("normSender = %+v, %v\nwant %+v", got, err, c.want)
			}
		})
	}
}

func TestPlanContact(t *testing.T) {
	const addr = "owner@example.com"
	mail := sender{kind: IdentityEmail, value: addr, verified: true, email: addr, emailVerified: true, name: "Owner"}
	visitor := sender{kind: IdentityWidget, value: "k/v1", email: addr, name: "Visitor"}
	user := sender{kind: IdentityWidget, value: "k/user:42", verified: true, email: addr, emailVerified: true, name: "Owner"}
	bare := sender{kind: IdentityWidget, value: "k/v2"}
	proven := func(contact int64) *foundIdentity {
		return &foundIdentity{ID: 100 + contact, ContactID: contact, Verified: true, Name: "n", Email: addr}
	}
	claimOn := func(contact int64) *foundIdentity {
		return &foundIdentity{ID: 200 + contact, ContactID: contact, Name: "stranger", Email: addr}
	}
	handle := func(contact int64, verified bool) *foundIdentity {
		return &foundIdentity{ID: 300 + contact, ContactID: contact, Verified: verified, Name: "n", Email: "x@example.com"}
	}
	cases := []struct {
		name string
		s    sender
		f    contactFacts
		want contactPlan
	}{
		// Email senders.
		{name: "first mail from an address: new contact, proven identity",
			s: mail, want: contactPlan{name: "Owner", email: addr, addOwn: true}},
		{name: "first mail without a name is named after the address",
			s:    sender{kind: IdentityEmail, value: addr, verified: true, email: addr, emailVerified: true},
			want: contactPlan{name: "owner", email: addr, addOwn: true}},
		{name: "mail from a proven address joins its contact",
			s: mail, f: contactFacts{own: proven(3)}, want: contactPlan{contactID: 3, name: "n", email: addr}},
		{name: "mail fills an empty name and email",
			s: mail, f: contactFacts{own: &foundIdentity{ID: 9, ContactID: 3, Verified: true}},
			want: contactPlan{contactID: 3, fillName: "Owner", fillEmail: addr}},
		{name: "privacy: mail from an address a stranger claimed takes it to a new contact",
			s: mail, f: contactFacts{own: claimOn(1)},
			want: contactPlan{name: "Owner", email: addr, take: []claim{{identityID: 201, holder: 1, address: addr}}}},

		// Anonymous visitors and unverified addresses.
		{name: "privacy: a typed address never joins the address's owner",
			s: visitor, f: contactFacts{email: proven(3)}, want: contactPlan{name: "Visitor", email: addr, addOwn: true}},
		{name: "privacy: a typed address never takes a claim",
			s: visitor, f: contactFacts{email: claimOn(1)}, want: contactPlan{name: "Visitor", email: addr, addOwn: true}},
		{name: "known visitor with a typed address keeps their contact and gets a reply address",
			s: visitor, f: contactFacts{own: &foundIdentity{ID: 5, ContactID: 2, Name: "Visitor"}, email: proven(3)},
			want: contactPlan{contactID: 2, name: "Visitor", fillEmail: addr}},
		{name: "known visitor's own reply address stays",
			s: visitor, f: contactFacts{own: &foundIdentity{ID: 5, ContactID: 2, Name: "Visitor", Email: "mine@example.com"}},
			want: contactPlan{contactID: 2, name: "Visitor", email: "mine@example.com"}},
		{name: "visitor without name or address",
			s: bare, want: contactPlan{addOwn: true}},

		// Verified channel identities with a proven address.
		{name: "new signed-in user with a new address: both identities",
			s: user, want: contactPlan{name: "Owner", email: addr, addOwn: true, addEmail: true}},
		{name: "new signed-in user joins the contact that proved the address",
			s: user, f: contactFacts{email: proven(3)}, want: contactPlan{contactID: 3, name: "n", email: addr, addOwn: true}},
		{name: "privacy: new signed-in user takes a stranger's claim, to a new contact",
			s: user, f: contactFacts{email: claimOn(1)},
			want: contactPlan{name: "Owner", email: addr, addOwn: true, take: []claim{{identityID: 201, holder: 1, address: addr}}}},
		{name: "privacy: known user takes a stranger's claim to their own contact",
			s: user, f: contactFacts{own: handle(5, true), email: claimOn(1)},
			want: contactPlan{contactID: 5, name: "n", email: "x@example.com", take: []claim{{identityID: 201, holder: 1, address: addr}}}},
		{name: "known user adds a new proven address",
			s: user, f: contactFacts{own: handle(5, true)}, want: contactPlan{contactID: 5, name: "n", email: "x@example.com", addEmail: true}},
		{name: "known user whose contact has the address: nothing to add",
			s: user, f: contactFacts{own: handle(5, true), email: proven(5)}, want: contactPlan{contactID: 5, name: "n", email: "x@example.com"}},
		{name: "verified user and proven address on two contacts: newer merges into older",
			s: user, f: contactFacts{own: handle(9, true), email: proven(4)}, want: contactPlan{contactID: 4, name: "n", email: addr, mergeFrom: 9}},
		{name: "merge direction does not depend on which side is the sender",
			s: user, f: contactFacts{own: handle(3, true), email: proven(8)}, want: contactPlan{contactID: 3, name: "n", email: "x@example.com", mergeFrom: 8}},
		{name: "an identity stored unverified is no merge key",
			s: user, f: contactFacts{own: handle(9, false), email: proven(4)}, want: contactPlan{contactID: 9, name: "n", email: "x@example.com"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := planContact(c.s, c.f)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("plan = %+v\nwant   %+v", got, c.want)
			}
		})
	}
}
