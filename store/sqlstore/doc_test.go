package sqlstore

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

// roundTrip is what the store returned before it stopped decoding what it
// had just written: u encoded and decoded by encoding/json.
func roundTrip(t testing.TB, u *scim.User) (*scim.User, []byte) {
	doc, err := encodeUser(u)
	if err != nil {
		t.Fatal(err)
	}
	var want scim.User
	if err := json.Unmarshal(doc, &want); err != nil {
		t.Fatal(err)
	}
	return &want, doc
}

// fuzzUser builds a user with every kind of field from s, b and n.
func fuzzUser(s string, b bool, n int) *scim.User {
	u := &scim.User{UserName: s, ExternalID: s + "x", DisplayName: s, Title: s, Locale: s}
	if n&1 != 0 {
		u.Name = &scim.Name{GivenName: s, FamilyName: s + s}
	}
	if n&2 != 0 {
		u.Active = &b
	}
	if n&4 != 0 {
		u.Emails = []scim.MultiValue{{Value: s, Type: "work", Primary: b}, {Value: s + "2"}}
	} else if n&8 != 0 {
		u.Emails = []scim.MultiValue{} // empty, not nil
	}
	if n&16 != 0 {
		u.Addresses = []scim.Address{{Locality: s, Country: "GB", Primary: b}}
	}
	if n&32 != 0 {
		u.Enterprise = &scim.EnterpriseUser{Department: s}
		if n&64 != 0 {
			u.Enterprise.Manager = &scim.Manager{Value: s}
		}
	}
	if n&128 != 0 {
		u.Name = &scim.Name{} // empty, not nil
	}
	if n&256 != 0 {
		u.Extensions = scim.Extensions{"urn:example:ext": {"n": 1, "s": s}}
	}
	if n&512 != 0 {
		u.PhoneNumbers, u.Roles = []scim.MultiValue{{Value: s}}, []scim.MultiValue{}
	}
	return u
}

// checkStored holds storedUser and decodeUser to encoding/json's round
// trip of u, and storedUser's copy independent of u.
func checkStored(t *testing.T, u *scim.User) {
	want, doc := roundTrip(t, u)
	got, err := decodeUser(doc)
	if err != nil {
		t.Fatalf("decodeUser(%s): %v", doc, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeUser(%s) (-encoding/json +got):\n%s", doc, diff)
	}
	c, ok := storedUser(u, doc)
	if !ok {
		return
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("storedUser of %s (-encoding/json +got):\n%s", doc, diff)
	}
	if u.Name != nil && c.Name == u.Name || u.Enterprise != nil && c.Enterprise == u.Enterprise ||
		len(u.Emails) > 0 && &c.Emails[0] == &u.Emails[0] {
		t.Error("storedUser shares memory with its input")
	}
}

func TestStoredUserIsTheRoundTrip(t *testing.T) {
	for n := range 1024 {
		for _, s := range []string{"ada@example.com", "", "<&>\u2028", "caf\xe9", "\ufffd"} {
			checkStored(t, fuzzUser(s, n%3 == 0, n))
		}
	}
	ext := fuzzUser("x", true, 256)
	if _, ok := storedUser(ext, []byte(`{}`)); ok {
		t.Error("storedUser copied a user with host extensions")
	}
}

// FuzzStoredUser holds decodeUser and storedUser to encoding/json on the
// documents the store writes.
func FuzzStoredUser(f *testing.F) {
	f.Add("ada@example.com", true, 1023)
	f.Add("caf\xe9", false, 4)
	f.Fuzz(func(t *testing.T, s string, b bool, n int) {
		checkStored(t, fuzzUser(s, b, n))
	})
}
