package scim

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/schema"
)

// docPathUser writes u the general way: JSON-form map, decorate, default
// projection, appendJSON. appendUser must produce the same bytes.
func docPathUser(t testing.TB, u *User, base string) string {
	t.Helper()
	res := &Resource{Type: schema.User()}
	doc := UserDoc(u)
	q := &request{base: base}
	q.decorate(res, doc)
	b, err := appendJSON(nil, orderedDoc(projection{}.apply(res.Type, doc)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendUserMatchesDocPath(t *testing.T) {
	var full User
	var n int
	fill(reflect.ValueOf(&full).Elem(), &n)
	noID := full
	noID.ID = ""
	f := false
	groupsNoValue := User{ID: "1", UserName: "u", Groups: []GroupRef{{Ref: "https://elsewhere/Groups/x", Display: "d"}, {Value: "g2"}}}
	tests := []struct {
		name string
		u    *User
		base string
	}{
		{"full", &full, "https://app.example.com/scim/v2"},
		{"full, no id", &noID, "http://h"},
		{"zero", &User{}, ""},
		{"inactive with empty parts", &User{ID: "i", UserName: "u", Active: &f, Name: &Name{}, Enterprise: &EnterpriseUser{Manager: &Manager{}},
			Emails: []MultiValue{{}}, Addresses: []Address{{}}, Groups: []GroupRef{{}}}, "http://h"},
		{"groups without value", &groupsNoValue, "http://h/scim"},
		{"escapes in base", &User{ID: "a\"b", UserName: "\u2028\xff"}, "http://h\xff/\u00e9\"x"},
		{"meta only", &User{ID: "m", UserName: "m", Meta: Meta{ResourceType: "Other", Location: "x", Version: "W/\"3\"",
			LastModified: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}}, "http://h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendUser(nil, tc.u, tc.base))
			if diff := cmp.Diff(docPathUser(t, tc.u, tc.base), got); diff != "" {
				t.Errorf("(-doc path +appendUser):\n%s", diff)
			}
		})
	}
}

func FuzzAppendUser(f *testing.F) {
	f.Add("ada@contoso.com", "http://127.0.0.1/scim/v2", true)
	f.Add("\"\\\x00\u2028\xff", "", false)
	f.Fuzz(func(t *testing.T, s, base string, full bool) {
		u := &User{ID: s, UserName: s}
		if full {
			var n int
			fillStrings(reflect.ValueOf(u).Elem(), &n, func(int) string { return s })
		}
		got := string(appendUser(nil, u, base))
		if want := docPathUser(t, u, base); got != want {
			t.Fatalf("appendUser differs from the doc path:\n got %s\nwant %s", got, want)
		}
	})
}
