package sqlstore

import (
	"encoding/json"
	"fmt"
	"reflect"
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
	// Every document the store writes without host extensions takes the
	// direct read.
	if _, ok := readUser(doc); !ok && len(u.Extensions) == 0 {
		t.Errorf("readUser(%s) left it to parseUser", doc)
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

// FuzzReadUser holds readUser to parseUser on any document: what it reads
// is what parseUser reads, and what it leaves, parseUser decodes.
func FuzzReadUser(f *testing.F) {
	for n := range 1024 {
		if n%37 == 0 || n == 1023 {
			_, doc := roundTrip(f, fuzzUser("a&b\u2028", n%2 == 0, n))
			f.Add(doc)
		}
	}
	for _, s := range []string{`{}`, `{"userName":null}`, `{"userName":"a","userName":"b"}`, `{"active":1}`, `{"emails":[null]}`,
		`{"emails":[]}`, `{"meta":{"version":"1"}}`, `{"name":{}} x`, `{"urn:x":{}}`, ` {"\u0075serName" : "u" , "roles" : [ { } ] } `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, ok := readUser(doc)
		if !ok {
			return
		}
		want, err := parseUser(doc)
		if err != nil {
			t.Fatalf("readUser(%q) read what parseUser refuses: %v", doc, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("readUser(%q) (-parseUser +readUser):\n%s", doc, diff)
		}
	})
}

// TestReadUserEveryField fills every field of a User with a value of its
// own (each string its field's path) and reads back the stored document:
// a field read into the wrong place, or not at all, shows.
func TestReadUserEveryField(t *testing.T) {
	var fill func(v reflect.Value, path string)
	fill = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.String:
			v.SetString(path)
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem(), path)
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			for i := range 2 {
				fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() && f.Name != "Meta" && f.Name != "Extensions" {
					fill(v.Field(i), path+"."+f.Name)
				}
			}
		}
	}
	u := new(scim.User)
	fill(reflect.ValueOf(u).Elem(), "u")
	want, doc := roundTrip(t, u)
	got, ok := readUser(doc)
	if !ok {
		t.Fatalf("readUser(%s) left it to parseUser", doc)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readUser(%s) (-encoding/json +readUser):\n%s", doc, diff)
	}
	if want.Enterprise.Manager.Ref == "" || want.Addresses[1].Country == "" {
		t.Errorf("the filled user lost fields in encoding: %s", doc)
	}
}
