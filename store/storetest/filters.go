package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

var filterTests = []subtest{
	{"Users", testFilterUsers},
	{"Groups", testFilterGroups},
}

func userType() *schema.ResourceType  { return schema.User() }
func groupType() *schema.ResourceType { return schema.Group() }

func testFilterUsers(t *testing.T, s scim.Store) {
	ctx := t.Context()
	bob := fullUser("Bob@Example.com")
	bob.ExternalID, bob.DisplayName, bob.Active = "ext-bob", "Bob Jones", ptr(false)
	bob.Emails = []scim.MultiValue{{Value: "bob@work.example", Type: "work"}}
	b := createUser(t, s, tenantA, bob)

	alice := fullUser("alice@example.com")
	alice.ExternalID, alice.DisplayName = "ext-alice", "Alice Smith"
	alice.Emails = []scim.MultiValue{
		{Value: "alice@home.example", Type: "home"},
		{Value: "alice@work.example", Type: "work", Primary: true},
	}
	alice.Enterprise.Manager = &scim.Manager{Value: b.ID}
	a := createUser(t, s, tenantA, alice)

	carol := user("carol@other.example")
	carol.ExternalID = "EXT-alice" // externalId is case-exact
	carol.Title = "Engineer"
	c := createUser(t, s, tenantA, carol)

	dave := user("dave@example.com")
	dave.Enterprise = &scim.EnterpriseUser{Manager: &scim.Manager{Value: a.ID}}
	d := createUser(t, s, tenantA, dave)

	// Another tenant with look-alike data, which no filter may reach.
	createUser(t, s, tenantB, user("alice@example.com"))
	createUser(t, s, tenantB, user("erin@example.com"))

	// dave is written last, a little later than everyone else.
	time.Sleep(5 * time.Millisecond)
	dave.ID, dave.Title = d.ID, "Manager"
	d, err := s.ReplaceUser(ctx, tenantA, dave, "")
	if err != nil {
		t.Fatalf("ReplaceUser: %v", err)
	}
	cut := c.Meta.LastModified
	for _, u := range []*scim.User{a, b} {
		if u.Meta.LastModified.After(cut) {
			cut = u.Meta.LastModified
		}
	}
	if !d.Meta.LastModified.After(cut) {
		t.Fatalf("dave's lastModified %v is not after the others' %v", d.Meta.LastModified, cut)
	}

	tests := []struct {
		filter string
		want   []*scim.User
	}{
		{`userName eq "alice@example.com"`, []*scim.User{a}},
		{`userName eq "ALICE@EXAMPLE.COM"`, []*scim.User{a}},
		{`userName eq "bob@example.com"`, []*scim.User{b}},
		{`UserName Eq "Bob@Example.com"`, []*scim.User{b}},
		{`userName eq "alice"`, nil},
		{`userName eq "nobody@example.com"`, nil},
		{`userName eq "erin@example.com"`, nil},
		{`externalId eq "ext-alice"`, []*scim.User{a}},
		{`externalId eq "EXT-alice"`, []*scim.User{c}},
		{`externalId eq "EXT-ALICE"`, nil},
		{`id eq "` + a.ID + `"`, []*scim.User{a}},
		{`id eq "no-such-id"`, nil},
		{`displayName eq "alice smith"`, []*scim.User{a}},
		{`emails[type eq "work"].value eq "alice@work.example"`, []*scim.User{a}},
		{`emails[type eq "work"].value eq "alice@home.example"`, nil},
		{`emails[type eq "work" and value eq "BOB@work.example"]`, []*scim.User{b}},
		{`emails.value eq "alice@home.example"`, []*scim.User{a}},
		{`emails pr`, []*scim.User{a, b}},
		// Entra's manager reference check.
		{`id eq "` + a.ID + `" and manager eq "` + b.ID + `"`, []*scim.User{a}},
		{`id eq "` + a.ID + `" and manager eq "` + c.ID + `"`, nil},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "` + a.ID + `"`, []*scim.User{d}},
		{`active eq false`, []*scim.User{b}},
		{`active eq true`, []*scim.User{a, c, d}},
		{`userName co "example.com"`, []*scim.User{a, b, d}},
		{`userName co "EXAMPLE.COM"`, []*scim.User{a, b, d}},
		{`userName co "EXAMPLE"`, []*scim.User{a, b, c, d}},
		{`userName sw "car"`, []*scim.User{c}},
		{`userName ew ".COM"`, []*scim.User{a, b, d}},
		{`userName eq "carol@other.example" or externalId eq "ext-bob"`, []*scim.User{b, c}},
		{`userName eq "carol@other.example" and title eq "engineer"`, []*scim.User{c}},
		{`userName eq "carol@other.example" and title eq "Manager"`, nil},
		{`not (userName co "example.com")`, []*scim.User{c}},
		{`title pr and not (title eq "Tour Guide")`, []*scim.User{c, d}},
		{`meta.lastModified gt "` + cut.Format(time.RFC3339Nano) + `"`, []*scim.User{d}},
		{`meta.lastModified le "` + cut.Format(time.RFC3339Nano) + `"`, []*scim.User{a, b, c}},
		{`meta.created gt "2001-01-01T00:00:00Z"`, []*scim.User{a, b, c, d}},
	}
	for _, tt := range tests {
		p := listUsers(t, s, tenantA, scim.Query{Filter: parse(t, userType(), tt.filter), StartIndex: 1, Count: 100})
		want := userIDs(tt.want...)
		if d := cmp.Diff(want, sortedIDs(p.Resources, userID), opts); d != "" {
			t.Errorf("filter %s: ids (-want +got):\n%s", tt.filter, d)
		}
		if p.TotalResults != len(want) {
			t.Errorf("filter %s: TotalResults = %d, want %d", tt.filter, p.TotalResults, len(want))
		}
	}
	// Matches come back whole, as GetUser returns them.
	p := listUsers(t, s, tenantA, scim.Query{Filter: parse(t, userType(), `userName eq "alice@example.com"`), StartIndex: 1, Count: 10})
	if len(p.Resources) == 1 {
		want := getUser(t, s, tenantA, a.ID)
		if d := cmp.Diff(want, p.Resources[0], opts, cmpIgnoreGroups); d != "" {
			t.Errorf("ListUsers result differs from GetUser (-get +list):\n%s", d)
		}
	}
}

// cmpIgnoreGroups ignores User.Groups, which the contract asks only
// GetUser to fill.
var cmpIgnoreGroups = cmpopts.IgnoreFields(scim.User{}, "Groups")

func testFilterGroups(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 3)
	eng, err := s.CreateGroup(t.Context(), tenantA, &scim.Group{DisplayName: "Engineering", ExternalID: "g-ext", Members: membersOf(us[0], us[1])})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	eng2 := createGroup(t, s, tenantA, "engineering", us[1])
	sales := createGroup(t, s, tenantA, "Sales", us[2])
	empty := createGroup(t, s, tenantA, "Empty")
	createGroup(t, s, tenantB, "Engineering")

	tests := []struct {
		filter string
		want   []*scim.Group
	}{
		{`displayName eq "Engineering"`, []*scim.Group{eng, eng2}},
		{`displayName eq "ENGINEERING"`, []*scim.Group{eng, eng2}},
		{`displayName eq "Sales"`, []*scim.Group{sales}},
		{`displayName eq "Marketing"`, nil},
		{`externalId eq "g-ext"`, []*scim.Group{eng}},
		{`externalId eq "G-EXT"`, nil},
		{`id eq "` + sales.ID + `"`, []*scim.Group{sales}},
		{`id eq "` + us[0].ID + `"`, nil},
		{`displayName sw "eng"`, []*scim.Group{eng, eng2}},
		{`displayName eq "Engineering" and externalId pr`, []*scim.Group{eng}},
		{`displayName eq "Sales" or displayName eq "Empty"`, []*scim.Group{sales, empty}},
		{`members.value eq "` + us[1].ID + `"`, []*scim.Group{eng, eng2}},
		{`members eq "` + us[2].ID + `"`, []*scim.Group{sales}},
		{`members[value eq "` + us[0].ID + `"]`, []*scim.Group{eng}},
		{`displayName eq "engineering" and members.value eq "` + us[0].ID + `"`, []*scim.Group{eng}},
		{`members pr`, []*scim.Group{eng, eng2, sales}},
		{`not (members pr)`, []*scim.Group{empty}},
	}
	for _, tt := range tests {
		for _, exclude := range []bool{false, true} {
			p := listGroups(t, s, tenantA, scim.Query{Filter: parse(t, groupType(), tt.filter), StartIndex: 1, Count: 100, ExcludeMembers: exclude})
			want := sortedIDs(tt.want, groupID)
			if d := cmp.Diff(want, sortedIDs(p.Resources, groupID), opts); d != "" {
				t.Errorf("filter %s (ExcludeMembers %v): ids (-want +got):\n%s", tt.filter, exclude, d)
			}
			if p.TotalResults != len(want) {
				t.Errorf("filter %s (ExcludeMembers %v): TotalResults = %d, want %d", tt.filter, exclude, p.TotalResults, len(want))
			}
			for _, g := range p.Resources {
				if exclude && g.Members != nil {
					t.Errorf("filter %s: ExcludeMembers, but group %q has Members", tt.filter, g.DisplayName)
				}
				if !exclude && len(g.Members) != len(getGroup(t, s, tenantA, g.ID).Members) {
					t.Errorf("filter %s: group %q came back with %d members", tt.filter, g.DisplayName, len(g.Members))
				}
			}
		}
	}
}
