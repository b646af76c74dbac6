package filter

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimkit/scim/schema"
)

const aliceJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "Ext-701",
  "userName": "alice@example.com",
  "name": {"formatted": "Ms. Alice Müller", "familyName": "Müller", "givenName": "Alice"},
  "displayName": "Alice Müller",
  "title": "",
  "active": true,
  "emails": [
    {"value": "alice@example.com", "type": "work", "primary": true},
    {"value": "alice@home.example", "type": "home"}
  ],
  "phoneNumbers": [],
  "addresses": [{"type": "work", "country": "DE", "locality": "Berlin"}],
  "meta": {
    "resourceType": "User",
    "created": "2011-08-01T18:29:49.793Z",
    "lastModified": "2011-08-01T20:31:02.315Z",
    "version": "W/\"a330bc54f0671c9\""
  },
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "costCenter": "4130",
    "department": "Tour Operations",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
  },
  "urn:example:scim:schemas:extension:test:1.0:User": {
    "level": 3, "score": 4.5, "born": "1990-01-02T03:04:05+01:00", "vip": false,
    "tags": ["Red", "blue"], "code": "AbC", "big": 9007199254740993
  }
}`

const bobJSON = `{
  "id": "b1",
  "userName": "Bob",
  "active": false,
  "name": {"givenName": "", "familyName": null},
  "emails": [{"value": "BOB@WORK.EXAMPLE", "type": "work"}],
  "meta": {"lastModified": "2020-01-01T00:00:00Z"}
}`

const groupJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
  "displayName": "Tour Guides",
  "members": [
    {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Alice Müller", "type": "User"},
    {"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Bob", "type": "User"}
  ],
  "meta": {"resourceType": "Group", "lastModified": "2021-03-04T05:06:07Z"}
}`

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustResolve(t testing.TB, f string, rt *schema.ResourceType) Expr {
	t.Helper()
	e, err := Parse(f)
	if err != nil {
		t.Fatalf("Parse(%q): %v", f, err)
	}
	r, err := Resolve(e, rt)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", f, err)
	}
	return r
}

func TestMatchUser(t *testing.T) {
	rt := testUser(t)
	alice, bob := decode(t, aliceJSON), decode(t, bobJSON)
	tests := []struct {
		filter     string
		alice, bob bool
	}{
		// userName is not caseExact.
		{`userName eq "alice@example.com"`, true, false},
		{`userName eq "ALICE@EXAMPLE.COM"`, true, false},
		{`userName eq "alice@example.co"`, false, false},
		{`userName eq "bob"`, false, true},
		{`userName sw "ALICE@"`, true, false},
		{`userName ew "EXAMPLE.com"`, true, false},
		{`userName co "CE@EX"`, true, false},
		{`userName co ""`, true, true},
		{`userName gt "ALICE"`, true, true},
		{`userName lt "b"`, true, false},
		{`userName le "BOB"`, true, true},
		// id and externalId are caseExact.
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, true, false},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, false, false},
		{`externalId eq "Ext-701"`, true, false},
		{`externalId eq "ext-701"`, false, false},
		{`externalId sw "ext"`, false, false},
		// Unicode case folding.
		{`name.familyName eq "MÜLLER"`, true, false},
		{`name.familyName co "ÜLL"`, true, false},
		{`displayName ne "alice müller"`, false, true},
		// Multi-valued attributes and value paths.
		{`emails[type eq "work"].value eq "alice@example.com"`, true, false},
		{`emails[type eq "home"].value eq "alice@example.com"`, false, false},
		{`emails[type eq "work" and value eq "bob@work.example"]`, false, true},
		{`emails[type eq "work" or type eq "home"].value ew "EXAMPLE"`, true, true},
		{`emails[type eq "home" or primary eq true].value ew "example.com"`, true, false},
		{`emails.value eq "alice@home.example"`, true, false},
		{`emails eq "ALICE@HOME.EXAMPLE"`, true, false},
		{`emails.type ne "work"`, true, false},
		{`emails.type eq "work"`, true, true},
		{`emails[primary eq true]`, true, false},
		{`emails[not (primary eq true)]`, true, true},
		{`not (emails[type eq "work"])`, false, false},
		{`addresses[type eq "work" and country eq "de"]`, true, false},
		{`addresses.locality pr`, true, false},
		// Dates compare chronologically, across offsets and fractions.
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, true, true},
		{`meta.lastModified gt "2011-08-01T20:31:02.315Z"`, false, true},
		{`meta.lastModified ge "2011-08-01T20:31:02.315Z"`, true, true},
		{`meta.lastModified lt "2011-08-01T22:31:02.316+02:00"`, true, false},
		{`meta.created eq "2011-08-01T20:29:49.793+02:00"`, true, false},
		{`meta.created ne "2011-08-01T20:29:49.793+02:00"`, false, true},
		{`meta.lastModified le "2011-08-01T20:31:02Z"`, false, false},
		// Booleans, not, or.
		{`active eq true`, true, false},
		{`active ne true`, false, true},
		{`not (active eq true)`, false, true},
		{`active eq false or title pr`, false, true},
		{`userName eq "bob" or emails[type eq "home"]`, true, true},
		{`userName eq "bob" and active eq true`, false, false},
		// pr, null and absence.
		{`title pr`, false, false},
		{`title eq null`, true, true},
		{`title ne null`, false, false},
		{`userName ne null`, true, true},
		{`phoneNumbers pr`, false, false},
		{`emails pr`, true, true},
		{`name pr`, true, false},
		{`name.givenName pr`, true, false},
		{`name.familyName pr`, true, false},
		{`nickName ne "x"`, true, true},
		{`nickName eq "x"`, false, false},
		{`not (nickName eq "x")`, true, true},
		{`ims.value ne "x"`, true, true},
		// Extensions, with and without their URN.
		{`manager eq "26118915-6090-4610-87E4-49D8CA9F808D"`, true, false},
		{`id eq "2819c223-7f76-453a-919d-413861904646" and manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true, false},
		{`manager.displayName sw "john"`, true, false},
		{entURN + `:department eq "tour operations"`, true, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber eq "701984"`, true, false},
		{entURN + ` pr`, true, false},
		{entURN + `:costCenter ne "4130"`, false, true},
		// Numbers compare numerically, integers exactly.
		{`level gt 2`, true, false},
		{`level eq 3.0`, true, false},
		{`level eq 3e0`, true, false},
		{`level lt 3`, false, false},
		{`level ne 3`, false, true},
		{`score ge 4.5`, true, false},
		{`score gt 4.49`, true, false},
		{`score lt 4.5e0`, false, false},
		{`born lt "1990-01-02T03:00:00Z"`, true, false},
		{`vip eq false`, true, false},
		{`vip ne true`, true, true},
		// A multi-valued simple attribute: any element.
		{`tags eq "RED"`, true, false},
		{`tags sw "bl"`, true, false},
		{`tags ne "red"`, true, true},
		{`tags pr`, true, false},
		// caseExact strings compare bytewise.
		{`code eq "abc"`, false, false},
		{`code eq "AbC"`, true, false},
		{`code gt "AB"`, true, false},
		{`code co "bC"`, true, false},
		{`code co "BC"`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			e, err := Parse(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Resolve(e, rt)
			if err != nil {
				t.Fatal(err)
			}
			if got := Match(r, alice); got != tt.alice {
				t.Errorf("alice: Match = %v, want %v", got, tt.alice)
			}
			if got := Match(r, bob); got != tt.bob {
				t.Errorf("bob: Match = %v, want %v", got, tt.bob)
			}
		})
	}
}

func TestMatchGroup(t *testing.T) {
	rt := schema.Group()
	g := decode(t, groupJSON)
	tests := []struct {
		filter string
		want   bool
	}{
		{`displayName eq "tour guides"`, true},
		{`DisplayName eq "Tour Guides"`, true},
		{`displayName eq "Tour"`, false},
		{`members[value eq "902c246b-6245-4190-8e05-00816be7344a"]`, true},
		{`members[value eq "902c246b" ]`, false},
		{`members eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{`members.display co "müller"`, true},
		{`members[type eq "Group"]`, false},
		{`members pr`, true},
		{`meta.lastModified gt "2021-03-04T05:06:06.999999Z"`, true},
		{`meta.lastModified gt "2021-03-04T05:06:07Z"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			if got := Match(mustResolve(t, tt.filter, rt), g); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchMemberElement(t *testing.T) {
	members := schema.CoreGroup().Attr("members")
	e, err := Parse(`value eq "2819C223-7F76-453A-919D-413861904646" and type eq "user"`)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ResolveWithin(e, members)
	if err != nil {
		t.Fatal(err)
	}
	yes := map[string]any{"value": "2819c223-7f76-453a-919d-413861904646", "display": "Alice", "type": "User"}
	no := map[string]any{"value": "902c246b", "type": "User"}
	if !Match(r, yes) {
		t.Error("member should match")
	}
	if Match(r, no) {
		t.Error("member should not match")
	}
}

func TestMatchDocVariants(t *testing.T) {
	rt := testUser(t)
	tests := []struct {
		filter string
		doc    map[string]any
		want   bool
	}{
		// Keys in another case are still found.
		{`userName eq "x"`, map[string]any{"USERNAME": "X"}, true},
		{`name.givenName eq "a"`, map[string]any{"Name": map[string]any{"GIVENNAME": "A"}}, true},
		{`department eq "d"`, map[string]any{"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": map[string]any{"department": "d"}}, true},
		// Go number types.
		{`level eq 3`, map[string]any{testURN: map[string]any{"level": 3}}, true},
		{`level eq 3`, map[string]any{testURN: map[string]any{"level": int64(3)}}, true},
		{`level eq 3`, map[string]any{testURN: map[string]any{"level": 3.0}}, true},
		{`level lt 3.5`, map[string]any{testURN: map[string]any{"level": 3}}, true},
		{`level eq 9007199254740993`, map[string]any{testURN: map[string]any{"level": json.Number("9007199254740993")}}, true},
		{`level eq 9007199254740993`, map[string]any{testURN: map[string]any{"level": json.Number("9007199254740992")}}, false},
		{`level gt 1e400`, map[string]any{testURN: map[string]any{"level": json.Number("1")}}, false},
		// Empty values are not present.
		{`name pr`, map[string]any{"name": map[string]any{}}, false},
		{`name pr`, map[string]any{"name": map[string]any{"givenName": ""}}, false},
		{`name pr`, map[string]any{"name": map[string]any{"givenName": nil}}, false},
		{`emails pr`, map[string]any{"emails": []any{}}, false},
		{`emails pr`, map[string]any{"emails": []any{map[string]any{}}}, false},
		{`emails.value pr`, map[string]any{"emails": []any{map[string]any{"value": ""}, map[string]any{"value": "x"}}}, true},
		{entURN + ` pr`, map[string]any{entURN: map[string]any{}}, false},
		{`active pr`, map[string]any{"active": false}, true},
		// Values of the wrong type match nothing but ne.
		{`userName eq "5"`, map[string]any{"userName": json.Number("5")}, false},
		{`userName ne "5"`, map[string]any{"userName": json.Number("5")}, true},
		{`emails[type eq "x"]`, map[string]any{"emails": "not a list"}, false},
		{`emails[type eq "x"]`, map[string]any{"emails": []any{"x", 5, nil}}, false},
		{`emails.value eq "x"`, map[string]any{"emails": []any{"x"}}, false},
		{`level eq 3`, map[string]any{testURN: map[string]any{"level": "3"}}, false},
		{`level eq 3`, map[string]any{testURN: "not an object"}, false},
		{`active eq true`, map[string]any{"active": "true"}, false},
		{`meta.lastModified gt "2000-01-01T00:00:00Z"`, map[string]any{"meta": map[string]any{"lastModified": "yesterday"}}, false},
		{`name.givenName eq "a"`, map[string]any{"name": "a"}, false},
		// A single-valued complex attribute under a value filter.
		{`manager[value eq "m"]`, map[string]any{entURN: map[string]any{"manager": map[string]any{"value": "M"}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			if got := Match(mustResolve(t, tt.filter, rt), tt.doc); got != tt.want {
				t.Errorf("Match(%v) = %v, want %v", tt.doc, got, tt.want)
			}
		})
	}
}

func TestMatchNil(t *testing.T) {
	if !Match(nil, map[string]any{}) {
		t.Error("a nil filter should match")
	}
	if !Match(nil, nil) {
		t.Error("a nil filter should match a nil document")
	}
	r := mustResolve(t, `userName eq "x"`, schema.User())
	if Match(r, nil) {
		t.Error("a nil document has no userName")
	}
}

func TestFold(t *testing.T) {
	pairs := [][2]string{
		{"ALICE", "alice"}, {"Müller", "MÜLLER"}, {"ΣΊΣΥΦΟΣ", "σίσυφος"}, {"ſ", "S"}, {"K", "k"}, // Kelvin sign
		{"ǅ", "ǆ"}, {"\xff", "\uFFFD"},
	}
	for _, p := range pairs {
		if Fold(p[0]) != Fold(p[1]) {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q; want equal", p[0], Fold(p[0]), p[1], Fold(p[1]))
		}
	}
	if Fold("Straße") == Fold("STRASSE") {
		t.Error("simple folding does not map ß to ss, as strings.EqualFold does not")
	}
	if got := Fold("ABC"); got != "abc" {
		t.Errorf("Fold(ABC) = %q", got)
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"", "a", "A", "ſ", "K", "ǅ", "Σσς", "\xff"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if (Fold(a) == Fold(b)) != strings.EqualFold(a, b) {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q; EqualFold is %v", a, Fold(a), b, Fold(b), strings.EqualFold(a, b))
		}
	})
}
