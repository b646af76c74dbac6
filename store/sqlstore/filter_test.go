package sqlstore

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/memory"
)

// trickyNames are userNames that probe quoting, LIKE wildcards, the LIKE
// escape character and Unicode case folding.
var trickyNames = []string{
	"alice@example.com",
	"Alice.Smith@Example.com",
	"bob",
	"a' OR '1'='1",
	`a" or userName pr or "`,
	`back\slash`,
	`back\\double`,
	"100%",
	"50%off",
	"under_score",
	"underXscore",
	"bang!mark",
	"!",
	"%",
	"_",
	"'",
	`"`,
	"Émilie",
	"ÉMILIE2",
	"ǅemal",       // title case: folds with ǆ and Ǆ
	"\u212aelvin", // KELVIN SIGN, folds with k and K
	"straße",
	"STRAẞE2",
	"ΣΊΣΥΦΟΣ",
	"σίσυφοσ2",
	"İstanbul", // folds with nothing but itself
	"ıstanbul",
	"istanbul",
	"ﬁle",
	"",
	"tab\there",
	"日本語",
}

// corpus builds the same users and groups, in the same order, in the
// memory store (the reference: it answers every filter with filter.Match)
// and in s.
func corpus(t *testing.T, stores ...scim.Store) {
	t.Helper()
	ctx := t.Context()
	ids := make([][]string, len(stores))
	for i, name := range trickyNames {
		u := &scim.User{
			UserName:    name,
			ExternalID:  []string{"", "ext-" + name, strings.ToUpper(name)}[i%3],
			DisplayName: []string{"", name + " display", "Σ " + name}[i%3],
			Title:       []string{"Engineer", "", "ENGINEER", "manager"}[i%4],
			Emails: [][]scim.MultiValue{
				nil,
				{{Value: name + "@work.example", Type: "work", Primary: true}, {Value: strings.ToUpper(name) + "@home.example", Type: "home"}},
				{{Value: name, Type: "WORK"}},
				{{Value: "shared@example.com"}, {Type: "other"}},
			}[i%4],
		}
		switch i % 3 {
		case 0:
			u.Active = ptr(true)
		case 1:
			u.Active = ptr(false)
		}
		if i%5 == 0 {
			u.Enterprise = &scim.EnterpriseUser{Department: "R&D", Manager: &scim.Manager{Value: "mgr-" + fmt.Sprint(i%2)}}
		}
		for j, s := range stores {
			got, err := s.CreateUser(ctx, "t", u)
			if err != nil {
				t.Fatalf("store %d: CreateUser(%q): %v", j, name, err)
			}
			ids[j] = append(ids[j], got.ID)
		}
	}
	// Another tenant with look-alike data, which no filter may reach.
	for _, s := range stores {
		for _, name := range trickyNames[:5] {
			if _, err := s.CreateUser(ctx, "other", &scim.User{UserName: name}); err != nil {
				t.Fatal(err)
			}
		}
	}
	groups := []struct {
		name, ext string
		members   []int
	}{
		{"Engineering", "g-ext", []int{0, 1, 2}},
		{"engineering", "", []int{1}},
		{"a' OR '1'='1", "G-EXT", []int{3}},
		{"100% _sales_", "", nil},
		{"Σales", "x", []int{4, 5, 6, 7}},
		{"", "", []int{8}},
	}
	for _, g := range groups {
		for j, s := range stores {
			var ms []scim.Member
			for _, k := range g.members {
				ms = append(ms, scim.Member{Value: ids[j][k], Display: trickyNames[k], Type: "User"})
			}
			if _, err := s.CreateGroup(ctx, "t", &scim.Group{DisplayName: g.name, ExternalID: g.ext, Members: ms}); err != nil {
				t.Fatalf("store %d: CreateGroup(%q): %v", j, g.name, err)
			}
		}
	}
}

// quote writes v as a filter string literal.
func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\t", `\t`).Replace(v) + `"`
}

// userFilters are filters over the corpus: the per-cycle lookups, every
// operator, and shapes that SQL answers only in part.
func userFilters() []string {
	fs := []string{
		`emails pr`, `not (emails pr)`, `emails.value pr`, `emails.type pr`,
		`emails[type eq "work"].value eq "bob@work.example"`,
		`emails[type eq "WORK" and value eq "BOB@WORK.EXAMPLE"]`,
		`emails[type eq "work" or value sw "a"]`,
		`emails[not (type eq "work")]`,
		`emails[value co "%"]`, `emails[value ew "_"]`, `emails[type pr]`,
		`emails[display pr]`, `emails[primary eq true]`,
		`emails.value eq "shared@example.com"`, `emails.value eq ""`, `emails.value co "@"`,
		`emails.type eq "work"`, `emails.value ne "shared@example.com"`, `emails.value eq null`,
		`active eq true`, `active eq false`, `active ne true`, `active pr`, `not (active pr)`, `active eq null`,
		`title eq "engineer"`, `title pr`, `not (title pr)`,
		`displayName pr`, `displayName eq ""`, `displayName ne ""`, `displayName sw "σ"`, `displayName co "DISPLAY"`,
		`externalId pr`, `externalId eq ""`, `externalId eq "EXT-BOB"`, `externalId eq "BOB"`, `externalId co "ext"`,
		`externalId gt "a"`, `externalId le "Z"`, `externalId sw "ext-a"`,
		`userName pr`, `userName eq ""`, `userName ne ""`, `userName eq null`,
		`userName gt "m"`, `userName lt "B"`, `userName ge "σ"`,
		`userName co "%"`, `userName co "_"`, `userName co "!"`, `userName sw "%"`, `userName ew "%"`,
		`userName co "'"`, `userName co "\""`, `userName co "\\"`, `userName co "\\\\"`, `userName co ""`,
		`userName co "x"`, `userName sw "UNDER_"`, `userName ew "SCORE"`,
		`userName eq "k"`, `userName co "K"`, `userName co "ss"`, `userName co "ß"`, `userName co "ẞ"`,
		`userName co "ς"`, `userName co "Σ"`, `userName sw "i"`, `userName sw "İ"`, `userName sw "I"`,
		`userName co "fi"`, `userName co "ﬁ"`, `userName co "日"`, `userName co "\t"`,
		`userName eq "a' OR '1'='1" or userName eq "bob"`,
		`userName sw "a" and not (active eq false)`,
		`(userName sw "a" and not (active eq false)) or externalId pr`,
		`not (userName co "a" or userName co "e")`,
		`department eq "R&D"`, `manager eq "mgr-0"`, `userName sw "a" and department eq "R&D"`,
		`userName sw "a" or department eq "R&D"`, `not (department pr)`,
		`meta.created gt "2000-01-01T00:00:00Z"`, `meta.lastModified lt "2000-01-01T00:00:00Z"`,
		`meta.created ge "9999-01-01T00:00:00Z"`, `meta.created pr`, `meta.version eq "1"`,
		`groups pr`, `not (groups pr)`, `groups.display eq "engineering"`,
		`name pr`, `nickName eq null`,
	}
	for _, n := range trickyNames {
		fs = append(fs,
			`userName eq `+quote(n),
			`userName eq `+quote(strings.ToUpper(n)),
			`userName eq `+quote(strings.ToLower(n)),
			`userName co `+quote(n),
			`userName ne `+quote(n),
			`externalId eq `+quote("ext-"+n),
			`displayName eq `+quote(n+" display"),
			`emails.value eq `+quote(n),
			`emails[type eq "work"].value eq `+quote(strings.ToUpper(n)+"@WORK.example"),
		)
	}
	return fs
}

var groupFilterList = []string{
	`displayName eq "Engineering"`, `displayName eq "ENGINEERING"`, `displayName eq "a' OR '1'='1"`,
	`displayName eq ""`, `displayName pr`, `displayName co "%"`, `displayName co "_"`, `displayName sw "σ"`,
	`displayName ew "SALES_"`, `displayName gt "e"`, `externalId eq "g-ext"`, `externalId eq "G-EXT"`,
	`externalId pr`, `externalId eq ""`, `members pr`, `not (members pr)`, `members.display eq "bob"`,
	`members[type eq "User"]`, `members.value pr`, `members[value pr]`,
	`displayName eq "engineering" and members.display eq "bob"`,
	`displayName eq "engineering" or externalId eq "x"`,
	`meta.lastModified gt "2000-01-01T00:00:00Z"`,
}

// pageOf lists one page and returns its userNames and total.
func userPage(t *testing.T, s scim.Store, f filter.Expr, start, count int) ([]string, int) {
	t.Helper()
	p, err := s.ListUsers(t.Context(), "t", scim.Query{Filter: f, StartIndex: start, Count: count})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	names := []string{}
	for _, u := range p.Resources {
		names = append(names, u.UserName)
	}
	return names, p.TotalResults
}

func groupPage(t *testing.T, s scim.Store, f filter.Expr, start, count int, exclude bool) ([]string, int) {
	t.Helper()
	p, err := s.ListGroups(t.Context(), "t", scim.Query{Filter: f, StartIndex: start, Count: count, ExcludeMembers: exclude})
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	names := []string{}
	for _, g := range p.Resources {
		names = append(names, fmt.Sprintf("%s/%d", g.DisplayName, len(g.Members)))
	}
	return names, p.TotalResults
}

// TestFiltersMatchMemory answers many filters over a corpus of tricky
// values on both dialects and checks every answer, page and total against
// the memory store, which evaluates filter.Match on every user.
func TestFiltersMatchMemory(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			ref, s := memory.New(), newStore(t, d)
			corpus(t, ref, s)
			for i, fs := range userFilters() {
				f := mustFilter(t, schema.User(), fs)
				// Every filter whole and as a middle page; the first ones
				// also with count 0 and a one-result page.
				windows := [][2]int{{1, 1000}, {2, 3}}
				if i < 40 {
					windows = append(windows, [2]int{1, 0}, [2]int{4, 1})
				}
				for _, w := range windows {
					want, wantTotal := userPage(t, ref, f, w[0], w[1])
					got, total := userPage(t, s, f, w[0], w[1])
					if d := cmp.Diff(want, got); d != "" || total != wantTotal {
						t.Errorf("filter %s, window %v: total %d, want %d; userNames (-memory +sql):\n%s", fs, w, total, wantTotal, d)
					}
				}
			}
			for _, fs := range groupFilterList {
				f := mustFilter(t, schema.Group(), fs)
				for _, exclude := range []bool{false, true} {
					want, wantTotal := groupPage(t, ref, f, 1, 100, exclude)
					got, total := groupPage(t, s, f, 1, 100, exclude)
					if d := cmp.Diff(want, got); d != "" || total != wantTotal {
						t.Errorf("group filter %s (exclude %v): total %d, want %d (-memory +sql):\n%s", fs, exclude, total, wantTotal, d)
					}
				}
			}
		})
	}
}

// TestInjectionProbes checks the probes of the adversarial checklist
// against literal expectations, not only against the memory store: each
// finds exactly the users whose userName holds the probe literally.
func TestInjectionProbes(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s := newStore(t, d)
			corpus(t, s)
			for _, tt := range []struct {
				filter string
				want   []string
			}{
				{`userName eq "a' OR '1'='1"`, []string{"a' OR '1'='1"}},
				{`userName eq "a\" or userName pr or \""`, []string{`a" or userName pr or "`}},
				{`userName eq "back\\slash"`, []string{`back\slash`}},
				{`userName co "%"`, []string{"100%", "50%off", "%"}},
				{`userName sw "_"`, []string{"_"}},
				{`userName co "_"`, []string{"under_score", "_"}},
				{`userName co "!"`, []string{"bang!mark", "!"}},
				{`userName ew "'"`, []string{"'"}},
				{`userName co "\\"`, []string{`back\slash`, `back\\double`}},
				{`userName eq "%"`, []string{"%"}},
				{`userName eq "' OR 1=1 --"`, nil},
				{`displayName eq "x'); DROP TABLE scim_users; --"`, nil},
			} {
				got, total := userPage(t, s, mustFilter(t, schema.User(), tt.filter), 1, 100)
				if d := cmp.Diff(tt.want, got, cmpEmpty); d != "" || total != len(tt.want) {
					t.Errorf("filter %s: total %d; userNames (-want +got):\n%s", tt.filter, total, d)
				}
			}
			if _, total := userPage(t, s, nil, 1, 0); total != len(trickyNames) {
				t.Errorf("the probes changed the data: %d users, want %d", total, len(trickyNames))
			}
		})
	}
}

var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

// TestFoldMatchesFilter checks the folded columns against filter.Fold and
// strings.EqualFold on the tricky names: a userName eq lookup finds
// exactly the users filter.Match accepts.
func TestFoldMatchesFilter(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	corpus(t, s)
	for _, probe := range trickyNames {
		for _, lit := range []string{probe, strings.ToUpper(probe), strings.ToLower(probe)} {
			var want []string
			for _, n := range trickyNames {
				if strings.EqualFold(n, lit) {
					want = append(want, n)
				}
			}
			got, _ := userPage(t, s, mustFilter(t, schema.User(), `userName eq `+quote(lit)), 1, 100)
			if d := cmp.Diff(want, got, cmpEmpty); d != "" {
				t.Errorf("userName eq %q (-EqualFold +store):\n%s", lit, d)
			}
		}
	}
}

// TestCompile checks which filters SQL answers exactly and which
// lookups narrow the candidates of a filter it answers only in part.
func TestCompile(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		filter string
		exact  bool
		uses   string // a fragment the SQL must contain
	}{
		{`userName eq "a"`, true, "u.user_name_fold = ?"},
		{`externalId eq "a"`, true, "u.external_id = ?"},
		{`id eq "a"`, true, "u.id = ?"},
		{`displayName eq "a"`, true, "u.display_name_fold = ?"},
		{`emails[type eq "work"].value eq "a"`, true, "e.value_fold = ?"},
		{`emails.value eq "a"`, true, "e.value_fold = ?"},
		{`id eq "a" and manager eq "b"`, false, "u.id = ?"},
		{`userName eq "a" and department eq "b"`, false, "u.user_name_fold = ?"},
		{`userName eq "a" or userName eq "b"`, true, " OR "},
		{`userName eq "a" or department eq "b"`, false, ""},
		{`not (department eq "b")`, false, ""},
		{`userName co "a%"`, true, "LIKE ? ESCAPE '!'"},
		{`name.givenName eq "a"`, false, ""},
		{`meta.lastModified gt "2020-01-01T00:00:00Z"`, true, "u.modified_ns > ?"},
		{`groups.value eq "a"`, true, "m.group_id = ?"},
	} {
		c := compileFilter(SQLite, userAttrs, nil, "u", "t", mustFilter(t, schema.User(), tt.filter))
		if c.exact != tt.exact || !strings.Contains(c.where, tt.uses) || (tt.uses == "" && c.where != "") {
			t.Errorf("%s: compiled to %q (exact %v), want exact %v using %q", tt.filter, c.where, c.exact, tt.exact, tt.uses)
		}
		if n := strings.Count(c.where, "?"); n != len(c.args) {
			t.Errorf("%s: %d placeholders, %d arguments", tt.filter, n, len(c.args))
		}
	}
	for _, tt := range []struct {
		filter string
		exact  bool
		uses   string
	}{
		{`displayName eq "a"`, true, "g.display_name_fold = ?"},
		{`externalId eq "a"`, true, "g.external_id = ?"},
		{`members.value eq "a"`, true, "m.user_id = ?"},
		{`members[value eq "a"]`, true, "m.user_id = ?"},
		{`members.display eq "a"`, false, ""},
	} {
		c := compileFilter(Postgres, groupAttrs, nil, "g", "t", mustFilter(t, schema.Group(), tt.filter))
		if c.exact != tt.exact || !strings.Contains(c.where, tt.uses) || (tt.uses == "" && c.where != "") {
			t.Errorf("group %s: compiled to %q (exact %v), want exact %v using %q", tt.filter, c.where, c.exact, tt.exact, tt.uses)
		}
	}
}

// TestMatchDoc checks that the document filters are evaluated on in Go is
// exactly scim.UserDoc of the user the store returns.
func TestMatchDoc(t *testing.T) {
	t.Parallel()
	full := &scim.User{
		UserName: "bjensen", ExternalID: "x", DisplayName: "Babs", Active: ptr(false),
		Name:       &scim.Name{GivenName: "B", FamilyName: "J"},
		Emails:     []scim.MultiValue{{Value: "a@b", Type: "work", Primary: true}, {}},
		Addresses:  []scim.Address{{Country: "US"}},
		Enterprise: &scim.EnterpriseUser{Manager: &scim.Manager{Value: "m"}},
	}
	groups := []scim.GroupRef{{Value: "g1", Display: "G", Type: "direct"}, {Value: "g2", Type: "direct"}}
	for _, tt := range []struct {
		name   string
		u      *scim.User
		groups []scim.GroupRef
	}{
		{"minimal", &scim.User{UserName: "a"}, nil},
		{"empty userName", &scim.User{}, nil},
		{"full", full, nil},
		{"full with groups", full, groups},
	} {
		doc, err := encodeUser(tt.u)
		if err != nil {
			t.Fatal(err)
		}
		r := userRow{id: newID(), created: time.Now().UnixNano(), modified: time.Now().UnixNano() + 5, version: 7, doc: doc}
		u, err := r.user(tt.groups)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.matchDoc(tt.groups)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(scim.UserDoc(u), got); d != "" {
			t.Errorf("%s: matchDoc differs from UserDoc (-UserDoc +matchDoc):\n%s", tt.name, d)
		}
	}
}

// TestUnstorableValues checks that ids and literals PostgreSQL text
// cannot hold (NUL, invalid UTF-8) are answered as absent, never as a
// database error.
func TestUnstorableValues(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s := newStore(t, d)
			ctx := t.Context()
			u, err := s.CreateUser(ctx, "t", &scim.User{UserName: "a"})
			if err != nil {
				t.Fatal(err)
			}
			g, err := s.CreateGroup(ctx, "t", &scim.Group{DisplayName: "g"})
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"a\x00b", "\xff\xfe"} {
				if _, err := s.GetUser(ctx, "t", bad); !errors.Is(err, scim.ErrNotFound) {
					t.Errorf("GetUser(%q): %v", bad, err)
				}
				if _, err := s.GetGroup(ctx, "t", bad, scim.GetOptions{}); !errors.Is(err, scim.ErrNotFound) {
					t.Errorf("GetGroup(%q): %v", bad, err)
				}
				_, err := s.PatchGroup(ctx, "t", g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.AddMembers, Members: []scim.Member{{Value: bad}}}}}, "")
				if !errors.Is(err, scim.ErrInvalidMember) {
					t.Errorf("PatchGroup adding %q: %v", bad, err)
				}
				if _, err := s.PatchGroup(ctx, "t", g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.RemoveMembers, Members: []scim.Member{{Value: bad}}}}}, ""); err != nil {
					t.Errorf("PatchGroup removing %q: %v", bad, err)
				}
			}
			for _, fs := range []string{`userName eq "a\u0000"`, `userName co "\u0000"`, `emails.value eq "\u0000"`} {
				got, total := userPage(t, s, mustFilter(t, schema.User(), fs), 1, 10)
				if total != 0 || len(got) != 0 {
					t.Errorf("%s: %v", fs, got)
				}
			}
			if _, err := s.GetUser(ctx, "t", u.ID); err != nil {
				t.Error(err)
			}
		})
	}
}
