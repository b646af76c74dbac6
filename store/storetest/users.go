package storetest

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

var userTests = []subtest{
	{"CreateGet", testUserCreateGet},
	{"CopiesAreIndependent", testUserCopies},
	{"Replace", testUserReplace},
	{"Delete", testUserDelete},
	{"NotFound", testUserNotFound},
	{"UserNameUnique", testUserNameUnique},
	{"UserNameProfile", testUserNameProfile},
	{"ReplaceUserNameConflict", testUserReplaceConflict},
	{"Versions", testUserVersions},
	{"Deactivated", testUserDeactivated},
}

func testUserCreateGet(t *testing.T, s scim.Store) {
	before := time.Now()
	got := createUser(t, s, tenantA, fullUser("bjensen@example.com"))
	after := time.Now()

	if got.ID == "" || got.ID == "client-chosen-id" {
		t.Errorf("CreateUser: ID = %q, want one assigned by the store", got.ID)
	}
	checkFreshMeta(t, "CreateUser", got.Meta, before, after)
	want := fullUser("bjensen@example.com")
	want.ID, want.Meta, want.Groups = got.ID, got.Meta, nil
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("CreateUser returned (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, getUser(t, s, tenantA, got.ID), opts); d != "" {
		t.Errorf("GetUser after CreateUser (-want +got):\n%s", d)
	}

	// A second user gets a different ID, whatever the input says.
	other := createUser(t, s, tenantA, fullUser("other@example.com"))
	if other.ID == got.ID {
		t.Errorf("two users share the ID %q", got.ID)
	}
	// A user with only a userName is fine too: nothing else is required.
	bare := createUser(t, s, tenantA, &scim.User{UserName: "minimal"})
	if got := getUser(t, s, tenantA, bare.ID); got.UserName != "minimal" {
		t.Errorf("GetUser(minimal).UserName = %q", got.UserName)
	}
}

// testUserCopies checks that callers can change neither stored state
// through the values they pass in or get back, nor each other's copies.
func testUserCopies(t *testing.T, s scim.Store) {
	in := fullUser("copies@example.com")
	got := createUser(t, s, tenantA, in)
	want := fullUser("copies@example.com")
	want.ID, want.Meta, want.Groups = got.ID, got.Meta, nil

	scribble := func(u *scim.User) {
		u.UserName = "scribbled"
		u.Name.GivenName = "scribbled"
		*u.Active = false
		u.Emails[0].Value = "scribbled"
		u.PhoneNumbers[0].Value = "scribbled"
		u.Addresses[0].Locality = "scribbled"
		u.Roles[0].Value = "scribbled"
		u.Enterprise.Department = "scribbled"
		u.Enterprise.Manager.Value = "scribbled"
		u.Emails = append(u.Emails[:1], scim.MultiValue{Value: "appended"})
	}
	scribble(in)
	scribble(got)
	if d := cmp.Diff(want, getUser(t, s, tenantA, want.ID), opts); d != "" {
		t.Fatalf("stored user changed through CreateUser's input or result (-want +got):\n%s", d)
	}
	scribble(getUser(t, s, tenantA, want.ID))
	page := listUsers(t, s, tenantA, all())
	for _, u := range page.Resources {
		scribble(u)
	}
	if d := cmp.Diff(want, getUser(t, s, tenantA, want.ID), opts); d != "" {
		t.Fatalf("stored user changed through GetUser's or ListUsers' result (-want +got):\n%s", d)
	}

	in = fullUser("copies@example.com")
	in.ID = want.ID
	in.Title = "Replaced"
	got, err := s.ReplaceUser(t.Context(), tenantA, in, "")
	if err != nil {
		t.Fatalf("ReplaceUser: %v", err)
	}
	want.Title, want.Meta = "Replaced", got.Meta
	scribble(in)
	scribble(got)
	if d := cmp.Diff(want, getUser(t, s, tenantA, want.ID), opts); d != "" {
		t.Fatalf("stored user changed through ReplaceUser's input or result (-want +got):\n%s", d)
	}
}

func testUserReplace(t *testing.T, s scim.Store) {
	orig := createUser(t, s, tenantA, fullUser("bjensen@example.com"))
	// Let a clock with coarse resolution move on.
	time.Sleep(5 * time.Millisecond)

	// Every writable attribute changes; some are cleared.
	in := &scim.User{
		ID:          orig.ID,
		ExternalID:  "new-external",
		UserName:    "BJensen@Example.org",
		DisplayName: "Barbara Jensen",
		Title:       "Manager",
		Active:      ptr(false),
		Emails:      []scim.MultiValue{{Value: "barbara@example.org", Type: "work", Primary: true}},
		Enterprise:  &scim.EnterpriseUser{Department: "Finance"},
		Groups:      []scim.GroupRef{{Value: "forged-group-id"}},
		Meta:        scim.Meta{Version: "client-version", Created: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	got, err := s.ReplaceUser(t.Context(), tenantA, in, "")
	if err != nil {
		t.Fatalf("ReplaceUser: %v", err)
	}
	if !got.Meta.Created.Equal(orig.Meta.Created) {
		t.Errorf("ReplaceUser changed Meta.Created from %v to %v", orig.Meta.Created, got.Meta.Created)
	}
	if got.Meta.Version == orig.Meta.Version || got.Meta.Version == "client-version" {
		t.Errorf("ReplaceUser: Meta.Version = %q, want a new one (was %q)", got.Meta.Version, orig.Meta.Version)
	}
	if got.Meta.LastModified.Before(orig.Meta.LastModified) {
		t.Errorf("ReplaceUser: Meta.LastModified went back from %v to %v", orig.Meta.LastModified, got.Meta.LastModified)
	}
	want := *in
	want.Groups, want.Meta = nil, got.Meta
	if d := cmp.Diff(&want, got, opts); d != "" {
		t.Errorf("ReplaceUser returned (-want +got):\n%s", d)
	}
	if d := cmp.Diff(&want, getUser(t, s, tenantA, orig.ID), opts); d != "" {
		t.Errorf("GetUser after ReplaceUser (-want +got):\n%s", d)
	}
	// The old userName is free again.
	createUser(t, s, tenantA, user("bjensen@example.com"))
}

func testUserDelete(t *testing.T, s scim.Store) {
	keep := createUser(t, s, tenantA, user("keep"))
	gone := createUser(t, s, tenantA, user("gone"))
	if err := s.DeleteUser(t.Context(), tenantA, gone.ID, ""); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.GetUser(t.Context(), tenantA, gone.ID)
	wantErr(t, "GetUser after DeleteUser", err, scim.ErrNotFound)
	wantErr(t, "DeleteUser again", s.DeleteUser(t.Context(), tenantA, gone.ID, ""), scim.ErrNotFound)
	_, err = s.ReplaceUser(t.Context(), tenantA, &scim.User{ID: gone.ID, UserName: "gone"}, "")
	wantErr(t, "ReplaceUser after DeleteUser", err, scim.ErrNotFound)

	page := listUsers(t, s, tenantA, all())
	if d := cmp.Diff(userIDs(keep), sortedIDs(page.Resources, userID)); d != "" || page.TotalResults != 1 {
		t.Errorf("ListUsers after DeleteUser: TotalResults %d, ids (-want +got):\n%s", page.TotalResults, d)
	}
	// The userName is free again, and the new user is a new resource.
	again := createUser(t, s, tenantA, user("GONE"))
	if again.ID == gone.ID {
		t.Errorf("re-created user reuses the deleted ID %q", gone.ID)
	}
}

func testUserNotFound(t *testing.T, s scim.Store) {
	u := createUser(t, s, tenantA, user("alice"))
	g := createGroup(t, s, tenantA, "Group", u)
	ctx := t.Context()
	for _, id := range []string{"", "no-such-id", "00000000-0000-4000-8000-000000000000", g.ID} {
		_, err := s.GetUser(ctx, tenantA, id)
		wantErr(t, "GetUser("+id+")", err, scim.ErrNotFound)
		_, err = s.ReplaceUser(ctx, tenantA, &scim.User{ID: id, UserName: "bob"}, "")
		wantErr(t, "ReplaceUser("+id+")", err, scim.ErrNotFound)
		wantErr(t, "DeleteUser("+id+")", s.DeleteUser(ctx, tenantA, id, ""), scim.ErrNotFound)
	}
	// A store with no data at all for the tenant answers the same way.
	_, err := s.GetUser(ctx, "no-such-tenant", u.ID)
	wantErr(t, "GetUser in an unknown tenant", err, scim.ErrNotFound)
	if _, err := s.GetGroup(ctx, tenantA, g.ID, scim.GetOptions{}); err != nil {
		t.Errorf("the group was harmed by user calls with its ID: %v", err)
	}
}

func testUserNameUnique(t *testing.T, s scim.Store) {
	createUser(t, s, tenantA, user("Alice.Smith@Example.com"))
	createUser(t, s, tenantA, user("Émilie@example.com"))
	for _, tt := range []struct {
		userName string
		want     error
	}{
		{"Alice.Smith@Example.com", scim.ErrConflict},
		{"alice.smith@example.com", scim.ErrConflict},
		{"ALICE.SMITH@EXAMPLE.COM", scim.ErrConflict},
		{"émilie@EXAMPLE.com", scim.ErrConflict},
		{"ÉMILIE@example.com", scim.ErrConflict},
		{"alice.smith@example.co", nil},
		{"alice.smith@example.com ", nil},
		{"emilie@example.com", nil},
	} {
		_, err := s.CreateUser(t.Context(), tenantA, user(tt.userName))
		wantErr(t, "CreateUser("+tt.userName+")", err, tt.want)
	}
	if p := listUsers(t, s, tenantA, all()); p.TotalResults != 5 {
		t.Errorf("ListUsers: TotalResults = %d, want 5", p.TotalResults)
	}
	// Namespaces are per tenant.
	createUser(t, s, tenantB, user("alice.smith@example.com"))
}

func testUserReplaceConflict(t *testing.T, s scim.Store) {
	alice := createUser(t, s, tenantA, user("alice@example.com"))
	bob := createUser(t, s, tenantA, user("bob@example.com"))

	in := user("ALICE@example.com")
	in.ID, in.Title = bob.ID, "changed"
	_, err := s.ReplaceUser(t.Context(), tenantA, in, "")
	wantErr(t, "ReplaceUser to another user's userName", err, scim.ErrConflict)
	if d := cmp.Diff(bob, getUser(t, s, tenantA, bob.ID), opts); d != "" {
		t.Errorf("a conflicting ReplaceUser changed the user (-before +after):\n%s", d)
	}

	// A user may change the case of its own userName; it is kept as given.
	in = user("ALICE@Example.COM")
	in.ID = alice.ID
	got, err := s.ReplaceUser(t.Context(), tenantA, in, "")
	if err != nil {
		t.Fatalf("ReplaceUser changing only the case of the userName: %v", err)
	}
	if got.UserName != "ALICE@Example.COM" {
		t.Errorf("userName = %q, want it kept as given", got.UserName)
	}
	_, err = s.CreateUser(t.Context(), tenantA, user("alice@example.com"))
	wantErr(t, "CreateUser(alice) after a case change", err, scim.ErrConflict)
}

func testUserVersions(t *testing.T, s scim.Store) {
	ctx := t.Context()
	u := createUser(t, s, tenantA, user("alice"))
	seen := map[string]bool{u.Meta.Version: true}
	replace := func(title, ifVersion string) (*scim.User, error) {
		in := user("alice")
		in.ID, in.Title = u.ID, title
		return s.ReplaceUser(ctx, tenantA, in, ifVersion)
	}

	v1 := u.Meta.Version
	u2, err := replace("two", v1)
	if err != nil {
		t.Fatalf("ReplaceUser with the current version: %v", err)
	}
	if seen[u2.Meta.Version] {
		t.Errorf("version %q reused after a write", u2.Meta.Version)
	}
	seen[u2.Meta.Version] = true

	// Stale versions change nothing.
	_, err = replace("stale", v1)
	wantErr(t, "ReplaceUser with a stale version", err, scim.ErrVersionMismatch)
	wantErr(t, "DeleteUser with a stale version", s.DeleteUser(ctx, tenantA, u.ID, v1), scim.ErrVersionMismatch)
	if d := cmp.Diff(u2, getUser(t, s, tenantA, u.ID), opts); d != "" {
		t.Fatalf("writes with a stale version changed the user (-want +got):\n%s", d)
	}

	// Unconditional writes bump the version too.
	last := u2
	for _, title := range []string{"three", "four", "five"} {
		got, err := replace(title, "")
		if err != nil {
			t.Fatalf("ReplaceUser: %v", err)
		}
		if seen[got.Meta.Version] {
			t.Errorf("version %q reused after a write", got.Meta.Version)
		}
		seen[got.Meta.Version] = true
		last = got
	}
	if got := getUser(t, s, tenantA, u.ID); got.Meta.Version != last.Meta.Version {
		t.Errorf("GetUser: version %q, want the last write's %q", got.Meta.Version, last.Meta.Version)
	}
	wantErr(t, "DeleteUser with an old version", s.DeleteUser(ctx, tenantA, u.ID, u2.Meta.Version), scim.ErrVersionMismatch)
	if err := s.DeleteUser(ctx, tenantA, u.ID, last.Meta.Version); err != nil {
		t.Fatalf("DeleteUser with the current version: %v", err)
	}
	_, err = replace("after delete", last.Meta.Version)
	wantErr(t, "ReplaceUser after delete", err, scim.ErrNotFound)
}

// testUserDeactivated checks that active=false is an ordinary attribute:
// the user stays readable and listable (Entra and Okta deactivate rather
// than delete, and read the user back).
func testUserDeactivated(t *testing.T, s scim.Store) {
	u := createUser(t, s, tenantA, user("alice"))
	in := user("alice")
	in.ID, in.Active = u.ID, ptr(false)
	if _, err := s.ReplaceUser(t.Context(), tenantA, in, ""); err != nil {
		t.Fatalf("ReplaceUser: %v", err)
	}
	got := getUser(t, s, tenantA, u.ID)
	if got.Active == nil || *got.Active {
		t.Errorf("GetUser after deactivation: Active = %v, want false", got.Active)
	}
	if p := listUsers(t, s, tenantA, all()); p.TotalResults != 1 {
		t.Errorf("ListUsers after deactivation: TotalResults = %d, want 1", p.TotalResults)
	}
}

// testUserNameProfile checks that userNames naming one person under the
// profile of scim.FoldUserName (NFC and NFD, ordinary and fullwidth
// forms, case) are one userName to the uniqueness check and to filters.
func testUserNameProfile(t *testing.T, s scim.Store) {
	ctx := t.Context()
	jose := createUser(t, s, tenantA, user("jos\u00e9@y"))
	full := createUser(t, s, tenantA, user("full@y"))
	kelvin := createUser(t, s, tenantA, user("kelvin@y"))
	sam := createUser(t, s, tenantA, user("sam@y"))
	sisyphus := createUser(t, s, tenantA, user("\u03c3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2@y"))
	bob := createUser(t, s, tenantA, user("bob@y"))
	for _, tt := range []struct {
		userName string
		same     *scim.User
	}{
		{"jose\u0301@y", jose},                         // NFD
		{"JOSE\u0301@Y", jose},                         // NFD, upper case
		{"\uff4a\uff4f\uff53\u00e9@y", jose},           // fullwidth
		{"\uff46\uff55\uff4c\uff4c@y", full},           // fullwidth
		{"\uff26\uff35\uff2c\uff2c\uff20\uff59", full}, // fullwidth capitals and @
		{"\u212aelvin@y", kelvin},                      // Kelvin sign
		{"\u017fam@y", sam},                            // long s
		{"\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3@y", sisyphus},
	} {
		_, err := s.CreateUser(ctx, tenantA, user(tt.userName))
		wantErr(t, "CreateUser("+tt.userName+")", err, scim.ErrConflict)

		in := user(tt.userName)
		in.ID = bob.ID
		_, err = s.ReplaceUser(ctx, tenantA, in, "")
		wantErr(t, "ReplaceUser(bob to "+tt.userName+")", err, scim.ErrConflict)

		for _, op := range []string{"eq", "sw", "ew", "co", "ge", "le"} {
			f := "userName " + op + " " + strconv.Quote(tt.userName)
			p := listUsers(t, s, tenantA, scim.Query{Filter: parse(t, userType(), f), StartIndex: 1, Count: 100})
			if !slices.ContainsFunc(p.Resources, func(u *scim.User) bool { return u.ID == tt.same.ID }) {
				t.Errorf("%s does not find %q", f, tt.same.UserName)
			}
		}
		f := "userName ne " + strconv.Quote(tt.userName)
		p := listUsers(t, s, tenantA, scim.Query{Filter: parse(t, userType(), f), StartIndex: 1, Count: 100})
		if slices.ContainsFunc(p.Resources, func(u *scim.User) bool { return u.ID == tt.same.ID }) {
			t.Errorf("%s finds %q", f, tt.same.UserName)
		}
	}
	if p := listUsers(t, s, tenantA, all()); p.TotalResults != 6 {
		t.Errorf("ListUsers: TotalResults = %d, want 6", p.TotalResults)
	}
	// Another tenant has a namespace of its own.
	createUser(t, s, tenantB, user("jose\u0301@y"))
}
