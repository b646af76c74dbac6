package scim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// fill sets every field reachable from v to a distinct non-zero value, so
// a field added to the model without support in UserDoc fails the test.
func fill(v reflect.Value, n *int) {
	fillStrings(v, n, func(n int) string { return fmt.Sprintf("s%d\u00e9\"<", n) })
}

// fillStrings is fill with the strings str returns; times alternate
// between UTC and a fixed offset.
func fillStrings(v reflect.Value, n *int, str func(n int) string) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(str(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillStrings(v.Elem(), n, str)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillStrings(v.Index(i), n, str)
		}
	case reflect.Map:
		if v.Type() != reflect.TypeOf(Extensions{}) {
			panic("fill: unhandled map " + v.Type().String())
		}
		v.Set(reflect.ValueOf(Extensions{"urn:example:params:scim:schemas:extension:test:2.0:User": {
			"badge": str(*n), "level": json.Number(fmt.Sprint(*n)), "tags": []any{str(*n + 1)},
		}}))
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			zone := time.UTC
			if *n%2 == 1 {
				zone = time.FixedZone("", 3600)
			}
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, *n, zone)))
			return
		}
		for i := range v.NumField() {
			fillStrings(v.Field(i), n, str)
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func TestDocMatchesJSON(t *testing.T) {
	var full User
	var n int
	fill(reflect.ValueOf(&full).Elem(), &n)
	var fullGroup Group
	fill(reflect.ValueOf(&fullGroup).Elem(), &n)
	f := false
	tests := []struct {
		name string
		got  map[string]any
		want map[string]any
	}{
		{"full user", UserDoc(&full), toDoc(&full)},
		{"zero user", UserDoc(&User{}), toDoc(&User{})},
		{"inactive user with empty parts", UserDoc(&User{UserName: "u", Active: &f, Name: &Name{}, Enterprise: &EnterpriseUser{Manager: &Manager{}}}),
			toDoc(&User{UserName: "u", Active: &f, Name: &Name{}, Enterprise: &EnterpriseUser{Manager: &Manager{}}})},
		{"full group", GroupDoc(&fullGroup), toDoc(&fullGroup)},
		{"zero group", GroupDoc(&Group{}), toDoc(&Group{})},
		{"member", memberDoc(fullGroup.Members[0]), toDoc(fullGroup.Members[0])},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-json +doc):\n%s", tc.name, diff)
		}
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	docs := []any{
		map[string]any{"b": "x", "a": []any{true, false, nil, json.Number("1.5e3")}, "meta": map[string]any{}, "id": "1", "schemas": []any{"s"}},
		"plain", "quote\" back\\slash \n\r\t \x01 \x1f \u2028 \u2029 é 日本 \U0001F600",
		"bad utf8 \xff\xfe end", "<html>&amp;</html>", "",
		[]any{}, map[string]any{}, []string{"a", "b"},
		map[string]any{"nested": map[string]any{"deeper": []any{map[string]any{"k": "v"}}}},
	}
	for _, d := range docs {
		got, err := appendJSON(nil, d)
		if err != nil {
			t.Fatal(err)
		}
		var gotV, wantV any
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatalf("%q is not valid JSON: %v", got, err)
		}
		want, _ := json.Marshal(d)
		if err := json.Unmarshal(want, &wantV); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantV, gotV); diff != "" {
			t.Errorf("%q (-encoding/json +appendJSON):\n%s", got, diff)
		}
	}
	got, _ := appendJSON(nil, map[string]any{"meta": 1, "zeta": 1, "alpha": 1, "externalId": 1, "id": 1, "schemas": 1})
	if want := `{"schemas":1,"id":1,"externalId":1,"alpha":1,"zeta":1,"meta":1}`; string(got) != want {
		t.Errorf("key order %s, want %s", got, want)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q -> %q: %v", s, b, err)
		}
		want, _ := json.Marshal(s)
		var wantS string
		json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Fatalf("%q: got %q want %q", s, got, wantS)
		}
	})
}

func TestMatchUserScalarPathAgreesWithDoc(t *testing.T) {
	var full User
	var n int
	fill(reflect.ValueOf(&full).Elem(), &n)
	f, tr := false, true
	users := []*User{
		&full,
		{},
		{ID: "2819c223-7f76-453a-919d-413861904646", UserName: "Ada@Contoso.com", ExternalID: "E1", Active: &f, Title: "Analyst"},
		{UserName: "bob", Active: &tr, DisplayName: "Bob", Locale: "en-GB", NickName: ""},
	}
	filters := []string{
		`userName eq "ada@contoso.com"`, `userName eq "Ada@Contoso.com"`, `USERNAME eq "bob"`, `userName eq ""`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"`,
		`externalId eq "E1"`, `externalId eq "e1"`, `id eq "2819C223-7F76-453A-919D-413861904646"`,
		`active eq true`, `active eq false`, `not (active eq false)`, `active pr`, `active ne true`,
		`displayName pr`, `displayName eq null`, `nickName ne "x"`, `title co "aly"`, `locale gt "a"`,
		`userName sw "ada" and active eq false`, `userName eq "bob" or externalId eq "E1"`,
		`profileUrl pr or timezone pr or userType pr or preferredLanguage pr`,
		`emails.value pr`, `name.givenName pr`, `userName eq "bob" and emails[type eq "work"]`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr`, `meta.created pr`,
	}
	slow := map[string]bool{
		`emails.value pr`: true, `name.givenName pr`: true, `userName eq "bob" and emails[type eq "work"]`: true,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr`: true, `meta.created pr`: true,
	}
	for _, s := range filters {
		e, err := filter.Parse(s)
		if err == nil {
			e, err = filter.Resolve(e, schema.User())
		}
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		// Filters on top-level core scalars take the fast path; the rest
		// (sub-attributes, value paths, extensions, meta) the whole doc.
		wantFast := !slow[s]
		if fast := scalarsOnly(e, func(name string) bool { _, ok := userScalar(&full, name); return ok }); fast != wantFast {
			t.Errorf("%s: scalar path %v, want %v", s, fast, wantFast)
		}
		for i, u := range users {
			if got, want := MatchUser(e, u), filter.Match(e, UserDoc(u)); got != want {
				t.Errorf("%s on user %d: MatchUser %v, Match on the whole doc %v", s, i, got, want)
			}
		}
	}
}

// schemaValue returns a valid value of a, from the schema alone.
func schemaValue(a *schema.Attribute, n *int) any {
	*n++
	one := func() any {
		switch a.Type {
		case schema.Boolean:
			return true
		case schema.Integer:
			return json.Number(fmt.Sprint(*n))
		case schema.Decimal:
			return json.Number(fmt.Sprint(*n, ".5"))
		case schema.DateTime:
			return time.Date(2026, 1, 2, 3, 4, 5, *n, time.UTC).Format(time.RFC3339Nano)
		case schema.Binary:
			return "aGVsbG8="
		case schema.Complex:
			m := map[string]any{}
			for _, s := range a.SubAttributes {
				if s.Mutability != schema.ReadOnly {
					m[s.Name] = schemaValue(s, n)
				}
			}
			return m
		}
		if len(a.CanonicalValues) > 0 {
			return a.CanonicalValues[0]
		}
		return fmt.Sprint("v", *n)
	}
	if a.MultiValued {
		return []any{one()}
	}
	return one()
}

// TestTypedUserCoversSchema ties the typed User to the User schema: a
// document with every writable attribute and sub-attribute of the core
// and enterprise schemas, built from the schemas alone, survives the
// conversion to User and back. An attribute added to a schema without
// its typed field fails here.
func TestTypedUserCoversSchema(t *testing.T) {
	rt := schema.User()
	n := 0
	doc := map[string]any{}
	for _, a := range rt.Schema.Attributes {
		if a.Mutability == schema.ReadOnly || a.Name == "password" || a.Name == "groups" {
			continue
		}
		doc[a.Name] = schemaValue(a, &n)
	}
	for _, e := range rt.Extensions {
		m := map[string]any{}
		for _, a := range e.Schema.Attributes {
			if a.Mutability != schema.ReadOnly {
				m[a.Name] = schemaValue(a, &n)
			}
		}
		doc[e.Schema.ID] = m
	}
	doc["externalId"] = "ext"
	norm, err := normalize(rt, doc)
	if err != nil {
		t.Fatal(err)
	}
	var u User
	if err := userFromDoc(norm, &u); err != nil {
		t.Fatal(err)
	}
	back := UserDoc(&u)
	delete(back, "meta")
	if d := cmp.Diff(norm, back); d != "" {
		t.Errorf("the typed User loses schema attributes (-schema doc +through User):\n%s", d)
	}
}

// TestTypedGroupCoversSchema is TestTypedUserCoversSchema for Group.
func TestTypedGroupCoversSchema(t *testing.T) {
	rt := schema.Group()
	n := 0
	doc := map[string]any{"externalId": "ext"}
	for _, a := range rt.Schema.Attributes {
		if a.Mutability != schema.ReadOnly {
			doc[a.Name] = schemaValue(a, &n)
		}
	}
	norm, err := normalize(rt, doc)
	if err != nil {
		t.Fatal(err)
	}
	var g Group
	if err := fromDoc(norm, &g); err != nil {
		t.Fatal(err)
	}
	back := GroupDoc(&g)
	delete(back, "meta")
	if d := cmp.Diff(norm, back); d != "" {
		t.Errorf("the typed Group loses schema attributes (-schema doc +through Group):\n%s", d)
	}
}
