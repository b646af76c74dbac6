package scim

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/schema"
)

// testExtURN is the host extension fill gives every user.
const testExtURN = "urn:example:params:scim:schemas:extension:test:2.0:User"

// userWithTestExt is the User resource type with fill's extension, whose
// attributes are all returned by default.
func userWithTestExt() *schema.ResourceType {
	rt := schema.User()
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: &schema.Schema{ID: testExtURN, Attributes: []*schema.Attribute{
		{Name: "badge"}, {Name: "level", Type: schema.Integer}, {Name: "tags", MultiValued: true},
	}}})
	return rt
}

// docPathUser writes u the general way: JSON-form map, decorate, default
// projection, appendJSON. appendUser must produce the same bytes.
func docPathUser(t testing.TB, u *User, base string) string {
	t.Helper()
	return docPathUserIn(t, schema.User(), u, base)
}

// docPathUserIn is docPathUser for the User resource type rt.
func docPathUserIn(t testing.TB, rt *schema.ResourceType, u *User, base string) string {
	t.Helper()
	res := &Resource{Type: rt}
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
	withExt := full
	full.Extensions = nil
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
			got := string(appendUser(nil, tc.u, tc.base, nil))
			if diff := cmp.Diff(docPathUser(t, tc.u, tc.base), got); diff != "" {
				t.Errorf("(-doc path +appendUser):\n%s", diff)
			}
		})
	}
	// With a registered host extension, and with one only the store
	// still has: both paths show only the registered one.
	rt := userWithTestExt()
	exts, ok := plainExtensions(rt)
	if !ok {
		t.Fatal("the test extension is not plain")
	}
	unregistered := withExt
	unregistered.Extensions = Extensions{testExtURN: withExt.Extensions[testExtURN], "urn:example:gone": {"x": "y"}}
	noEnterprise := withExt
	noEnterprise.Enterprise = nil
	for name, u := range map[string]*User{"extension": &withExt, "unregistered extension": &unregistered, "extension, no enterprise": &noEnterprise} {
		got := string(appendUser(nil, u, "http://h", exts))
		if diff := cmp.Diff(docPathUserIn(t, rt, u, "http://h"), got); diff != "" {
			t.Errorf("%s (-doc path +appendUser):\n%s", name, diff)
		}
	}
}

// TestPlainExtensions: which extensions a typed user is written with.
func TestPlainExtensions(t *testing.T) {
	with := func(id string, attrs ...*schema.Attribute) *schema.ResourceType {
		rt := schema.User()
		rt.Extensions = append(rt.Extensions, schema.Extension{Schema: &schema.Schema{ID: id, Attributes: attrs}})
		return rt
	}
	for _, tc := range []struct {
		name string
		rt   *schema.ResourceType
		ok   bool
	}{
		{"none", schema.User(), true},
		{"plain", userWithTestExt(), true},
		{"returned never", with(testExtURN, &schema.Attribute{Name: "secret", Returned: schema.ReturnedNever}), false},
		{"returned request below", with(testExtURN, &schema.Attribute{Name: "c", Type: schema.Complex,
			SubAttributes: []*schema.Attribute{{Name: "v", Returned: schema.ReturnedRequest}}}), false},
		{"upper-case URN sorts first", with("URN:example:x", &schema.Attribute{Name: "a"}), false},
	} {
		if _, ok := plainExtensions(tc.rt); ok != tc.ok {
			t.Errorf("%s: plainExtensions ok = %v, want %v", tc.name, ok, tc.ok)
		}
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
		rt := userWithTestExt()
		exts, _ := plainExtensions(rt)
		got := string(appendUser(nil, u, base, exts))
		if want := docPathUserIn(t, rt, u, base); got != want {
			t.Fatalf("appendUser differs from the doc path:\n got %s\nwant %s", got, want)
		}
	})
}

// BenchmarkUserJSON measures a fully mapped user's JSON: writing it three
// ways (the typed encoder every default read uses, the general JSON-form
// path, encoding/json) and reading a POST body into a User.
func BenchmarkUserJSON(b *testing.B) {
	rt := schema.User()
	body := []byte(BenchUserJSON)
	doc, err := decodeObject(body)
	if err != nil {
		b.Fatal(err)
	}
	if doc, err = normalize(rt, doc); err != nil {
		b.Fatal(err)
	}
	var u User
	if err := fromDoc(doc, &u); err != nil {
		b.Fatal(err)
	}
	u.ID = "2819c223-7f76-453a-919d-413861904646"
	u.Groups = []GroupRef{{Value: "e9e30dba-f08f-4109-8486-d5c6a331660a", Display: "Sales", Type: "direct"}}
	u.Meta = Meta{Created: time.Now(), LastModified: time.Now(), Version: `W/"3"`}
	const base = "https://app.example.com/scim/v2"
	b.Run("encode/typed", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = appendUser(buf[:0], &u, base, nil)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encode/doc", func(b *testing.B) {
		var buf []byte
		res := &Resource{Type: rt}
		q := &request{base: base}
		for b.Loop() {
			d := UserDoc(&u)
			q.decorate(res, d)
			buf, _ = appendJSON(buf[:0], orderedDoc(projection{}.apply(rt, d)))
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encode/encoding-json", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf, _ = json.Marshal(&u)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("decode/post-body", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := rejectDuplicateKeys(body); err != nil {
				b.Fatal(err)
			}
			d, err := decodeObject(body)
			if err == nil {
				d, err = normalize(rt, d)
			}
			if err == nil {
				err = validate(rt, nil, d)
			}
			var v User
			if err == nil {
				err = fromDoc(d, &v)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
