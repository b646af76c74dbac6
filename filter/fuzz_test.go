package filter

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/schema"
)

// fuzzSeeds add the cases the oracle's grammar lacks.
var fuzzSeeds = []string{
	`emails[type eq "work"].value eq "x"`,
	`emails[type eq "work" or (primary eq true and not (value pr))].value pr`,
	`id eq "x" and manager eq "y"`,
	`a eq "Müller \u00fc \ud83d \ude00"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value eq "m"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User pr`,
	`not pr and and eq "x"`,
	"a eq \"\t\"",
	"a\tpr",
	`(a pr`,
	`a[b[c pr]]`,
	`((((((((((((((((((((((((((((((((((a pr))))))))))))))))))))))))))))))))))`,
	`not (not (not (not (a pr))))`,
	`level ge 3 and score lt -1.5e-3`,
	`meta.lastModified gt "2011-05-13T04:42:34.5+02:00"`,
	`password eq "x"`,
	`members[value eq "1"].display`,
	`manager[value eq "m"]`,
}

var (
	fuzzRTOnce sync.Once
	fuzzRT     *schema.ResourceType
	fuzzDocs   []map[string]any
)

func fuzzFixtures(t testing.TB) (*schema.ResourceType, []map[string]any) {
	fuzzRTOnce.Do(func() {
		fuzzRT = testUser(t)
		fuzzDocs = []map[string]any{decode(t, aliceJSON), decode(t, bobJSON), {}}
	})
	return fuzzRT, fuzzDocs
}

// checkError fails t unless err is an *Error of one of kinds with a short
// message.
func checkError(t *testing.T, err error, kinds ...ErrorKind) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	ok := false
	for _, k := range kinds {
		ok = ok || fe.Kind == k
	}
	if !ok {
		t.Fatalf("error %v has Kind %d, want one of %v", err, fe.Kind, kinds)
	}
	if len(fe.Msg) > 200 {
		t.Fatalf("error message is %d bytes", len(fe.Msg))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(append([]string{}, oracleSeeds...), fuzzSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			checkError(t, err, Syntax)
			return
		}
		// Canonical spacing can make the text a few bytes longer than an
		// input at the length limit; depth and terms do not grow.
		text := String(e)
		again, err := ParseWith(text, Limits{MaxLength: 2 * DefaultMaxLength})
		if err != nil {
			t.Fatalf("Parse(%q) fails on String %q: %v", s, text, err)
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Fatalf("round trip of %q through %q (-first +second):\n%s", s, text, diff)
		}
		if String(again) != text {
			t.Fatalf("String is not stable: %q then %q", text, String(again))
		}

		// Resolving and matching never panic, and a resolved filter's text
		// resolves to the same text.
		rt, docs := fuzzFixtures(t)
		r, err := Resolve(e, rt)
		if err != nil {
			checkError(t, err, Unknown, Sensitive, Unsupported, Syntax)
			return
		}
		for _, d := range docs {
			Match(r, d)
		}
		e2, err := ParseWith(String(r), Limits{MaxLength: 4 * DefaultMaxLength})
		if err != nil {
			t.Fatalf("resolved %q prints as %q, which fails: %v", s, String(r), err)
		}
		r2, err := Resolve(e2, rt)
		if err != nil {
			t.Fatalf("resolved %q prints as %q, which fails to resolve: %v", s, String(r), err)
		}
		if String(r2) != String(r) {
			t.Fatalf("re-resolving %q gives %q", String(r), String(r2))
		}
		for _, d := range docs {
			if Match(r, d) != Match(r2, d) {
				t.Fatalf("%q and its re-resolved form match differently", s)
			}
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		`userName`, `name.givenName`, `emails[type eq "work"].value`, `members[value eq "x"]`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
		`addresses[type eq "work" and primary eq true].streetAddress`,
		`manager[value eq "m"]`, `name..givenName`, `emails[type eq]`, `name.`, ``,
		`emails[type eq "work"][x pr]`, ` displayName `,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			checkError(t, err, Syntax)
			return
		}
		text := p.String()
		again, err := ParsePath(text)
		if err != nil {
			t.Fatalf("ParsePath(%q) fails on String %q: %v", s, text, err)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("round trip of %q through %q (-first +second):\n%s", s, text, diff)
		}
		rt, _ := fuzzFixtures(t)
		r, err := ResolvePath(p, rt)
		if err != nil {
			checkError(t, err, Unknown, Sensitive, Unsupported, Syntax)
			return
		}
		if r.Filter != nil && r.Sub != "" && r.ResolvedSub == nil {
			t.Fatalf("%q resolved without ResolvedSub", s)
		}
		if strings.Contains(r.String(), "..") {
			t.Fatalf("resolved path %q is malformed", r.String())
		}
	})
}
