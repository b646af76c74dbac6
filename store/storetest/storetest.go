// Package storetest is the contract suite for scim.Store implementations,
// in the spirit of testing/fstest.TestFS: a host that writes its own store
// runs it from a test to check every rule the scim.Store methods state.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) scim.Store {
//			return mystore.New(openTestDB(t))
//		})
//	}
//
// RunTokens is the same for scim.TokenStore implementations.
//
// The suite checks behaviour through the Store interface only. It needs
// nothing beyond the contract, with one convention: a store returns a
// resource "as stored", so values it reads back later (times included)
// equal those it returned from the write.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// Run runs the contract suite as subtests of t. newStore must return a
// fresh, empty store on every call; each subtest takes its own, so the
// subtests are independent and may be run alone with -run.
func Run(t *testing.T, newStore func(t *testing.T) scim.Store) {
	t.Helper()
	for _, g := range []struct {
		name  string
		tests []subtest
	}{
		{"User", userTests},
		{"Group", groupTests},
		{"Membership", membershipTests},
		{"Filter", filterTests},
		{"Paging", pagingTests},
		{"Sorting", sortingTests},
		{"Tenancy", tenancyTests},
		{"Concurrency", concurrencyTests},
		{"Extensions", extensionTests},
	} {
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) {
					st.run(t, newStore(t))
				})
			}
		})
	}
}

type subtest struct {
	name string
	run  func(t *testing.T, s scim.Store)
}

const (
	tenantA = "tenant-a"
	tenantB = "tenant-b"
)

// opts are the comparison options for resources read back from a store:
// empty and nil slices are the same (JSON omits both), a member's or
// group reference's $ref is the server's business, and a user's groups
// and a group's members come in whatever order the store keeps.
var opts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmpopts.IgnoreFields(scim.Member{}, "Ref"),
	cmpopts.IgnoreFields(scim.GroupRef{}, "Ref"),
	cmpopts.SortSlices(func(a, b scim.Member) bool { return a.Value < b.Value }),
	cmpopts.SortSlices(func(a, b scim.GroupRef) bool { return a.Value < b.Value }),
}

func ptr[T any](v T) *T { return &v }

// fullUser returns a user with every attribute set, in the shapes Entra ID
// sends, plus an ID, Meta and Groups the store must ignore.
func fullUser(userName string) *scim.User {
	return &scim.User{
		ID:         "client-chosen-id",
		ExternalID: "ext-" + userName,
		UserName:   userName,
		Name: &scim.Name{
			Formatted: "Ms. Barbara J Jensen III", FamilyName: "Jensen", GivenName: "Barbara",
			MiddleName: "Jane", HonorificPrefix: "Ms.", HonorificSuffix: "III",
		},
		DisplayName:       "Babs Jensen",
		NickName:          "Babs",
		ProfileURL:        "https://login.example.com/bjensen",
		Title:             "Tour Guide",
		UserType:          "Employee",
		PreferredLanguage: "en-US",
		Locale:            "en-US",
		Timezone:          "America/Los_Angeles",
		Active:            ptr(true),
		Emails: []scim.MultiValue{
			{Value: "bjensen@example.com", Type: "work", Primary: true},
			{Value: "babs@jensen.org", Type: "home"},
		},
		PhoneNumbers: []scim.MultiValue{
			{Value: "555-555-5555", Type: "work"},
			{Value: "555-555-4444", Type: "mobile"},
			{Value: "555-555-3333", Type: "fax"},
		},
		IMs:    []scim.MultiValue{{Value: "someaimhandle", Type: "aim"}},
		Photos: []scim.MultiValue{{Value: "https://photos.example.com/profilephoto/72930000000Ccne/F", Type: "photo"}},
		Addresses: []scim.Address{{
			Formatted:     "100 Universal City Plaza\nHollywood, CA 91608 USA",
			StreetAddress: "100 Universal City Plaza", Locality: "Hollywood", Region: "CA",
			PostalCode: "91608", Country: "USA", Type: "work", Primary: true,
		}},
		Entitlements:     []scim.MultiValue{{Value: "premium"}},
		Roles:            []scim.MultiValue{{Value: "student", Primary: true}},
		X509Certificates: []scim.MultiValue{{Value: "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw"}},
		Enterprise: &scim.EnterpriseUser{
			EmployeeNumber: "701984", CostCenter: "4130", Organization: "Universal Studios",
			Division: "Theme Park", Department: "Tour Operations",
			Manager: &scim.Manager{Value: "26118915-6090-4610-87e4-49d8ca9f808d", DisplayName: "John Smith"},
		},
		Groups: []scim.GroupRef{{Value: "forged-group-id", Display: "Administrators"}},
		Meta: scim.Meta{
			ResourceType: "User",
			Created:      time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
			LastModified: time.Date(2001, 1, 2, 0, 0, 0, 0, time.UTC),
			Location:     "https://attacker.example/Users/client-chosen-id",
			Version:      "client-version",
		},
	}
}

// user returns a minimal user.
func user(userName string) *scim.User {
	return &scim.User{UserName: userName, Active: ptr(true)}
}

func createUser(t *testing.T, s scim.Store, tenant string, u *scim.User) *scim.User {
	t.Helper()
	got, err := s.CreateUser(t.Context(), tenant, u)
	if err != nil {
		t.Fatalf("CreateUser(%q, %q): %v", tenant, u.UserName, err)
	}
	return got
}

// createUsers creates users named prefix0, prefix1, ... in tenant.
func createUsers(t *testing.T, s scim.Store, tenant, prefix string, n int) []*scim.User {
	t.Helper()
	us := make([]*scim.User, n)
	for i := range us {
		us[i] = createUser(t, s, tenant, user(fmt.Sprintf("%s%d", prefix, i)))
	}
	return us
}

func getUser(t *testing.T, s scim.Store, tenant, id string) *scim.User {
	t.Helper()
	got, err := s.GetUser(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("GetUser(%q, %q): %v", tenant, id, err)
	}
	return got
}

func createGroup(t *testing.T, s scim.Store, tenant, name string, members ...*scim.User) *scim.Group {
	t.Helper()
	got, err := s.CreateGroup(t.Context(), tenant, &scim.Group{DisplayName: name, Members: membersOf(members...)})
	if err != nil {
		t.Fatalf("CreateGroup(%q, %q): %v", tenant, name, err)
	}
	return got
}

func getGroup(t *testing.T, s scim.Store, tenant, id string) *scim.Group {
	t.Helper()
	got, err := s.GetGroup(t.Context(), tenant, id, scim.GetOptions{})
	if err != nil {
		t.Fatalf("GetGroup(%q, %q): %v", tenant, id, err)
	}
	return got
}

func patchGroup(t *testing.T, s scim.Store, tenant, id string, p scim.GroupPatch) *scim.Group {
	t.Helper()
	got, err := s.PatchGroup(t.Context(), tenant, id, p, "")
	if err != nil {
		t.Fatalf("PatchGroup(%q, %q): %v", tenant, id, err)
	}
	return got
}

// membersOf returns members for users, displayed by userName.
func membersOf(us ...*scim.User) []scim.Member {
	if len(us) == 0 {
		return nil
	}
	ms := make([]scim.Member, len(us))
	for i, u := range us {
		ms[i] = scim.Member{Value: u.ID, Display: u.UserName, Type: "User"}
	}
	return ms
}

func add(us ...*scim.User) scim.MemberOp {
	return scim.MemberOp{Kind: scim.AddMembers, Members: membersOf(us...)}
}

func remove(us ...*scim.User) scim.MemberOp {
	return scim.MemberOp{Kind: scim.RemoveMembers, Members: membersOf(us...)}
}

// memberIDs returns the sorted member values of g.
func memberIDs(g *scim.Group) []string {
	ids := make([]string, len(g.Members))
	for i, m := range g.Members {
		ids[i] = m.Value
	}
	slices.Sort(ids)
	return ids
}

func ids[T any](rs []*T, id func(*T) string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = id(r)
	}
	return out
}

func userID(u *scim.User) string   { return u.ID }
func groupID(g *scim.Group) string { return g.ID }

func sortedIDs[T any](rs []*T, id func(*T) string) []string {
	out := ids(rs, id)
	slices.Sort(out)
	return out
}

func userIDs(us ...*scim.User) []string { return sortedIDs(us, userID) }

func listUsers(t *testing.T, s scim.Store, tenant string, q scim.Query) *scim.Page[*scim.User] {
	t.Helper()
	p, err := s.ListUsers(t.Context(), tenant, q)
	if err != nil {
		t.Fatalf("ListUsers(%q): %v", tenant, err)
	}
	return p
}

func listGroups(t *testing.T, s scim.Store, tenant string, q scim.Query) *scim.Page[*scim.Group] {
	t.Helper()
	p, err := s.ListGroups(t.Context(), tenant, q)
	if err != nil {
		t.Fatalf("ListGroups(%q): %v", tenant, err)
	}
	return p
}

// all is a query for every resource on one page.
func all() scim.Query { return scim.Query{StartIndex: 1, Count: 1000} }

// parse parses and resolves a filter against rt.
func parse(t *testing.T, rt *schema.ResourceType, f string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(f)
	if err != nil {
		t.Fatalf("filter.Parse(%q): %v", f, err)
	}
	r, err := filter.Resolve(e, rt)
	if err != nil {
		t.Fatalf("filter.Resolve(%q): %v", f, err)
	}
	return r
}

// memberFilter parses a filter relative to the Group members attribute,
// as a MemberOp.Filter is.
func memberFilter(t *testing.T, f string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(f)
	if err != nil {
		t.Fatalf("filter.Parse(%q): %v", f, err)
	}
	r, err := filter.ResolveWithin(e, schema.CoreGroup().Attr("members"))
	if err != nil {
		t.Fatalf("filter.ResolveWithin(%q): %v", f, err)
	}
	return r
}

// wantErr fails unless errors.Is(err, want).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// parallel runs fn(i) for i in [0, n) at once, released together so that
// the calls really overlap, and returns their errors.
func parallel(n int, fn func(ctx context.Context, i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(context.Background(), i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// countErrs returns how many errors are nil and how many match want, and
// any others.
func countErrs(errs []error, want error) (ok, matched int, other []error) {
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, want):
			matched++
		default:
			other = append(other, err)
		}
	}
	return ok, matched, other
}

// checkFreshMeta checks the Meta a store assigned on create.
func checkFreshMeta(t *testing.T, what string, m scim.Meta, before, after time.Time) {
	t.Helper()
	if m.Version == "" || m.Version == "client-version" {
		t.Errorf("%s: Meta.Version = %q, want one assigned by the store", what, m.Version)
	}
	// A store may take its time from a database server: allow for skew.
	const skew = 5 * time.Minute
	if m.Created.Before(before.Add(-skew)) || m.Created.After(after.Add(skew)) {
		t.Errorf("%s: Meta.Created = %v, want about %v", what, m.Created, before)
	}
	if m.LastModified.Before(m.Created) {
		t.Errorf("%s: Meta.LastModified %v is before Meta.Created %v", what, m.LastModified, m.Created)
	}
	if strings.Contains(m.Location, "attacker") {
		t.Errorf("%s: Meta.Location %q was taken from the input", what, m.Location)
	}
}
