package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

var extensionTests = []subtest{
	{"RoundTrip", testExtensionRoundTrip},
	{"Filter", testExtensionFilter},
	{"GroupFilter", testExtensionGroupFilter},
	{"Unique", testExtensionUnique},
	{"ConcurrentUnique", testExtensionConcurrentUnique},
}

// Extension URNs of the suite's test schemas.
const (
	testUserExt  = "urn:ietf:params:scim:schemas:extension:storetest:2.0:User"
	testGroupExt = "urn:ietf:params:scim:schemas:extension:storetest:2.0:Group"
)

// extUserType is the User resource type with a host extension of every
// attribute type: employeeId is unique (case-insensitively), badge is an
// indexed case-exact lookup key, level an indexed integer.
func extUserType() *schema.ResourceType {
	rt := schema.User()
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: &schema.Schema{
		ID: testUserExt, Name: "StoretestUser",
		Attributes: []*schema.Attribute{
			{Name: "employeeId", Type: schema.String, Uniqueness: "server", Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "badge", Type: schema.String, CaseExact: true, Indexed: true, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "level", Type: schema.Integer, Indexed: true, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "remote", Type: schema.Boolean, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "score", Type: schema.Decimal, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "since", Type: schema.DateTime, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "homepage", Type: schema.Reference, ReferenceTypes: []string{"external"}, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "photo", Type: schema.Binary, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "mentor", Type: schema.Complex, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault, SubAttributes: []*schema.Attribute{
				{Name: "value", Type: schema.String, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
				{Name: "display", Type: schema.String, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			}},
			{Name: "skills", Type: schema.String, MultiValued: true, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
		},
	}})
	return rt
}

// extGroupType is the Group resource type with a unique costCode.
func extGroupType() *schema.ResourceType {
	rt := schema.Group()
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: &schema.Schema{
		ID: testGroupExt, Name: "StoretestGroup",
		Attributes: []*schema.Attribute{
			{Name: "costCode", Type: schema.String, Uniqueness: "server", Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
			{Name: "region", Type: schema.String, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault},
		},
	}})
	return rt
}

// extIndexed are the attributes the suite asks an Indexer to index, as
// the server derives them from extUserType and extGroupType.
var extIndexed = []scim.IndexedAttribute{
	{ResourceType: "User", Schema: testUserExt, Name: "employeeId", Unique: true},
	{ResourceType: "User", Schema: testUserExt, Name: "badge", CaseExact: true},
	{ResourceType: "User", Schema: testUserExt, Name: "level"},
	{ResourceType: "Group", Schema: testGroupExt, Name: "costCode", Unique: true},
}

// useIndexes hands extIndexed to s when it is an Indexer and reports
// whether it is.
func useIndexes(t *testing.T, s scim.Store) bool {
	t.Helper()
	ix, ok := s.(scim.Indexer)
	if !ok {
		return false
	}
	if err := ix.IndexAttributes(extIndexed); err != nil {
		t.Fatalf("IndexAttributes: %v", err)
	}
	return true
}

// extValues returns a user's test extension values, numbers as the
// server keeps them (json.Number).
func extValues(employeeID, badge string, level int) map[string]any {
	return map[string]any{
		"employeeId": employeeID,
		"badge":      badge,
		"level":      json.Number(fmt.Sprint(level)),
		"remote":     true,
		"score":      json.Number("4.75"),
		"since":      "2024-02-29T12:00:00Z",
		"homepage":   "https://example.com/~" + badge,
		"photo":      "aGVsbG8=",
		"mentor":     map[string]any{"value": "m-" + badge, "display": "Mentor " + badge},
		"skills":     []any{"go", "sql"},
	}
}

func extUser(userName, employeeID, badge string, level int) *scim.User {
	u := user(userName)
	u.Extensions = scim.Extensions{testUserExt: extValues(employeeID, badge, level)}
	return u
}

// testExtensionRoundTrip: a store keeps every extension value of users and
// groups exactly, through create, read, list, replace and group patch.
func testExtensionRoundTrip(t *testing.T, s scim.Store) {
	ctx := t.Context()
	useIndexes(t, s)
	in := fullUser("ext@example.com")
	in.Extensions = scim.Extensions{testUserExt: extValues("E-1", "B-1", 3)}
	u := createUser(t, s, tenantA, in)
	if d := cmp.Diff(in.Extensions, u.Extensions, opts); d != "" {
		t.Errorf("CreateUser returned other extensions (-sent +returned):\n%s", d)
	}
	if d := cmp.Diff(u, getUser(t, s, tenantA, u.ID), opts); d != "" {
		t.Errorf("GetUser differs from CreateUser (-create +get):\n%s", d)
	}
	if d := cmp.Diff([]*scim.User{u}, listUsers(t, s, tenantA, all()).Resources, opts); d != "" {
		t.Errorf("ListUsers differs from CreateUser (-create +list):\n%s", d)
	}
	// A replace changes some values and drops others; a read returns a
	// copy the caller may change.
	next := *u
	next.Extensions = scim.Extensions{testUserExt: {"employeeId": "E-1", "level": json.Number("4")}}
	r, err := s.ReplaceUser(ctx, tenantA, &next, "")
	if err != nil {
		t.Fatalf("ReplaceUser: %v", err)
	}
	got := getUser(t, s, tenantA, u.ID)
	if d := cmp.Diff(next.Extensions, got.Extensions, opts); d != "" {
		t.Errorf("extensions after ReplaceUser (-want +got):\n%s", d)
	}
	got.Extensions[testUserExt]["employeeId"] = "changed by the caller"
	if d := cmp.Diff(r.Extensions, getUser(t, s, tenantA, u.ID).Extensions, opts); d != "" {
		t.Errorf("changing a read user's extensions changed the store (-want +got):\n%s", d)
	}
	// Removing every extension value.
	next.Extensions = nil
	if _, err := s.ReplaceUser(ctx, tenantA, &next, ""); err != nil {
		t.Fatalf("ReplaceUser: %v", err)
	}
	if e := getUser(t, s, tenantA, u.ID).Extensions; len(e) != 0 {
		t.Errorf("extensions after a replace without them: %v, want none", e)
	}

	g := &scim.Group{DisplayName: "Ext", Extensions: scim.Extensions{testGroupExt: {"costCode": "CC-1", "region": "emea"}}}
	cg, err := s.CreateGroup(ctx, tenantA, g)
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if d := cmp.Diff(g.Extensions, getGroup(t, s, tenantA, cg.ID).Extensions, opts); d != "" {
		t.Errorf("group extensions after create (-want +got):\n%s", d)
	}
	attrs := &scim.Group{DisplayName: "Ext", Extensions: scim.Extensions{testGroupExt: {"costCode": "CC-2"}}}
	patchGroup(t, s, tenantA, cg.ID, scim.GroupPatch{Attributes: attrs})
	if d := cmp.Diff(attrs.Extensions, getGroup(t, s, tenantA, cg.ID).Extensions, opts); d != "" {
		t.Errorf("group extensions after PatchGroup (-want +got):\n%s", d)
	}
	if d := cmp.Diff(attrs.Extensions, listGroups(t, s, tenantA, all()).Resources[0].Extensions, opts); d != "" {
		t.Errorf("group extensions from ListGroups (-want +got):\n%s", d)
	}
}

// testExtensionFilter: filters on extension attributes, indexed or not,
// give exactly what filter.Match gives, tenant by tenant.
func testExtensionFilter(t *testing.T, s scim.Store) {
	useIndexes(t, s)
	rt := extUserType()
	a := createUser(t, s, tenantA, extUser("a@example.com", "E-100", "Badge-A", 1))
	b := createUser(t, s, tenantA, extUser("b@example.com", "e-200", "badge-a", 2))
	c := createUser(t, s, tenantA, user("c@example.com"))
	createUser(t, s, tenantB, extUser("a@example.com", "E-100", "Badge-A", 1))
	for _, tt := range []struct {
		filter string
		want   []*scim.User
	}{
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:employeeId eq "e-100"`, []*scim.User{a}}, // not caseExact
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:badge eq "Badge-A"`, []*scim.User{a}},    // caseExact
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:badge eq "BADGE-A"`, nil},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:level eq 2`, []*scim.User{b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:level eq 2.0`, []*scim.User{b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:level gt 1`, []*scim.User{b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:employeeId pr`, []*scim.User{a, b}},
		{`not (urn:ietf:params:scim:schemas:extension:storetest:2.0:User:employeeId pr)`, []*scim.User{c}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:remote eq true and userName sw "b"`, []*scim.User{b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:mentor.value eq "m-badge-a"`, []*scim.User{a, b}}, // not caseExact
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:skills eq "SQL"`, []*scim.User{a, b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:since gt "2024-01-01T00:00:00Z"`, []*scim.User{a, b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:User:employeeId eq "E-100" or userName eq "c@example.com"`, []*scim.User{a, c}},
	} {
		f := parse(t, rt, tt.filter)
		got := listUsers(t, s, tenantA, scim.Query{Filter: f, StartIndex: 1, Count: 100})
		checkFiltered(t, tt.filter, got, tt.want, listUsers(t, s, tenantA, all()).Resources, userID, func(u *scim.User) bool { return scim.MatchUser(f, u) })
	}
}

// checkFiltered checks a page listed with filter: it holds want, and
// exactly those of all that match accepts.
func checkFiltered[T any](t *testing.T, filter string, got *scim.Page[*T], want, all []*T, id func(*T) string, match func(*T) bool) {
	t.Helper()
	var oracle []*T
	for _, r := range all {
		if match(r) {
			oracle = append(oracle, r)
		}
	}
	if d := cmp.Diff(sortedIDs(want, id), sortedIDs(got.Resources, id), opts); d != "" {
		t.Errorf("%s (-want +got):\n%s", filter, d)
	}
	if d := cmp.Diff(sortedIDs(oracle, id), sortedIDs(got.Resources, id), opts); d != "" {
		t.Errorf("%s differs from the in-memory matcher (-match +store):\n%s", filter, d)
	}
	if got.TotalResults != len(want) {
		t.Errorf("%s: TotalResults = %d, want %d", filter, got.TotalResults, len(want))
	}
}

// testExtensionGroupFilter: filters on group extension attributes, the
// unique (so indexed) costCode and the plain region, give exactly what
// scim.MatchGroup gives.
func testExtensionGroupFilter(t *testing.T, s scim.Store) {
	useIndexes(t, s)
	ctx := t.Context()
	group := func(tenant, name string, ext map[string]any) *scim.Group {
		g := &scim.Group{DisplayName: name}
		if ext != nil {
			g.Extensions = scim.Extensions{testGroupExt: ext}
		}
		out, err := s.CreateGroup(ctx, tenant, g)
		if err != nil {
			t.Fatalf("CreateGroup %s: %v", name, err)
		}
		return out
	}
	a := group(tenantA, "A", map[string]any{"costCode": "CC-1", "region": "emea"})
	b := group(tenantA, "B", map[string]any{"costCode": "cc-2", "region": "EMEA"})
	c := group(tenantA, "C", nil)
	group(tenantB, "A", map[string]any{"costCode": "CC-1", "region": "emea"})
	rt := extGroupType()
	for _, tt := range []struct {
		filter string
		want   []*scim.Group
	}{
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:Group:costCode eq "cc-1"`, []*scim.Group{a}}, // not caseExact
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:Group:region eq "emea"`, []*scim.Group{a, b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:Group:costCode sw "CC-"`, []*scim.Group{a, b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:Group:costCode pr`, []*scim.Group{a, b}},
		{`not (urn:ietf:params:scim:schemas:extension:storetest:2.0:Group:region pr)`, []*scim.Group{c}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:Group:costCode eq "CC-2" and displayName eq "B"`, []*scim.Group{b}},
		{`urn:ietf:params:scim:schemas:extension:storetest:2.0:Group:costCode eq "CC-1" or displayName eq "C"`, []*scim.Group{a, c}},
	} {
		f := parse(t, rt, tt.filter)
		got := listGroups(t, s, tenantA, scim.Query{Filter: f, StartIndex: 1, Count: 100})
		checkFiltered(t, tt.filter, got, tt.want, listGroups(t, s, tenantA, all()).Resources, groupID, func(g *scim.Group) bool { return scim.MatchGroup(f, g) })
	}

}

// testExtensionUnique: with an Indexer, a unique extension attribute is
// unique per tenant and resource type, compared as its caseExact says.
func testExtensionUnique(t *testing.T, s scim.Store) {
	if !useIndexes(t, s) {
		t.Skip("the store does not implement scim.Indexer")
	}
	ctx := t.Context()
	a := createUser(t, s, tenantA, extUser("a@example.com", "E-1", "b1", 1))
	_, err := s.CreateUser(ctx, tenantA, extUser("b@example.com", "e-1", "b2", 2))
	wantErr(t, "CreateUser with a taken unique value in another case", err, scim.ErrConflict)
	createUser(t, s, tenantB, extUser("a@example.com", "E-1", "b1", 1)) // another tenant

	b := createUser(t, s, tenantA, extUser("b@example.com", "E-2", "b1", 2)) // badge is indexed, not unique
	next := *b
	next.Extensions = scim.Extensions{testUserExt: {"employeeId": "E-1"}}
	_, err = s.ReplaceUser(ctx, tenantA, &next, "")
	wantErr(t, "ReplaceUser to a taken unique value", err, scim.ErrConflict)
	if d := cmp.Diff(b.Extensions, getUser(t, s, tenantA, b.ID).Extensions, opts); d != "" {
		t.Errorf("a refused replace changed the user (-want +got):\n%s", d)
	}
	// Keeping one's own value is no conflict; deleting frees it.
	same := *a
	if _, err := s.ReplaceUser(ctx, tenantA, &same, ""); err != nil {
		t.Errorf("ReplaceUser keeping its own unique value: %v", err)
	}
	if err := s.DeleteUser(ctx, tenantA, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceUser(ctx, tenantA, &next, ""); err != nil {
		t.Errorf("ReplaceUser to a value its deleted holder freed: %v", err)
	}

	g1, err := s.CreateGroup(ctx, tenantA, &scim.Group{DisplayName: "G1", Extensions: scim.Extensions{testGroupExt: {"costCode": "CC"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateGroup(ctx, tenantA, &scim.Group{DisplayName: "G2", Extensions: scim.Extensions{testGroupExt: {"costCode": "cc"}}})
	wantErr(t, "CreateGroup with a taken unique value", err, scim.ErrConflict)
	g2, err := s.CreateGroup(ctx, tenantA, &scim.Group{DisplayName: "G2"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.PatchGroup(ctx, tenantA, g2.ID, scim.GroupPatch{Attributes: &scim.Group{DisplayName: "G2", Extensions: scim.Extensions{testGroupExt: {"costCode": "CC"}}}}, "")
	wantErr(t, "PatchGroup to a taken unique value", err, scim.ErrConflict)
	if err := s.DeleteGroup(ctx, tenantA, g1.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PatchGroup(ctx, tenantA, g2.ID, scim.GroupPatch{Attributes: &scim.Group{DisplayName: "G2", Extensions: scim.Extensions{testGroupExt: {"costCode": "CC"}}}}, ""); err != nil {
		t.Errorf("PatchGroup to a value its deleted holder freed: %v", err)
	}
}

// testExtensionConcurrentUnique: of concurrent creates with one unique
// value, exactly one wins.
func testExtensionConcurrentUnique(t *testing.T, s scim.Store) {
	if !useIndexes(t, s) {
		t.Skip("the store does not implement scim.Indexer")
	}
	const n = 20
	errs := parallel(n, func(ctx context.Context, i int) error {
		_, err := s.CreateUser(ctx, tenantA, extUser(fmt.Sprintf("u%d@example.com", i), "SAME", fmt.Sprint(i), i))
		return err
	})
	ok, conflicts, other := countErrs(errs, scim.ErrConflict)
	if ok != 1 || conflicts != n-1 || other != nil {
		t.Errorf("%d concurrent creates with one unique value: %d succeeded, %d conflicted, other errors %v", n, ok, conflicts, errors.Join(other...))
	}
}
