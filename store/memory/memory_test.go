package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) scim.Store { return New() })
}

func TestTokenContract(t *testing.T) {
	t.Run("New", func(t *testing.T) {
		storetest.RunTokens(t, func(*testing.T) scim.TokenStore { return New() })
	})
	t.Run("ZeroValue", func(t *testing.T) {
		storetest.RunTokens(t, func(*testing.T) scim.TokenStore { return &Store{} })
	})
}

const tenant = "t"

func ptr[T any](v T) *T { return &v }

func mustParse(t testing.TB, rt *schema.ResourceType, f string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if e, err = filter.Resolve(e, rt); err != nil {
		t.Fatal(err)
	}
	return e
}

func mustCreateUsers(t testing.TB, s *Store, n int, mod func(i int, u *scim.User)) []*scim.User {
	t.Helper()
	us := make([]*scim.User, n)
	for i := range us {
		u := &scim.User{UserName: fmt.Sprint("user", i), ExternalID: fmt.Sprint("ext", i), Active: ptr(true)}
		if mod != nil {
			mod(i, u)
		}
		var err error
		if us[i], err = s.CreateUser(context.Background(), tenant, u); err != nil {
			t.Fatal(err)
		}
	}
	return us
}

func userNames(us []*scim.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.UserName
	}
	return out
}

// TestIndexUse checks which filters are answered from an index: they
// evaluate the filter on their few candidates only, where a scan
// evaluates it on every user.
func TestIndexUse(t *testing.T) {
	const n = 1000
	s := New()
	us := mustCreateUsers(t, s, n, func(i int, u *scim.User) {
		u.Title = fmt.Sprint("title", i%10)
		if i > 0 {
			u.Enterprise = &scim.EnterpriseUser{Manager: &scim.Manager{Value: "m"}}
		}
	})
	tests := []struct {
		filter string
		total  int
		names  []string // userNames in creation order, when checked
		evals  int64
	}{
		{`userName eq "USER500"`, 1, []string{"user500"}, 1},
		{`userName eq "nobody"`, 0, nil, 0},
		{`externalId eq "ext7"`, 1, []string{"user7"}, 1},
		{`externalId eq "EXT7"`, 0, nil, 1}, // found folded, rejected case-exactly
		{`id eq "` + us[3].ID + `"`, 1, []string{"user3"}, 1},
		{`id eq "` + us[3].ID + `" and manager eq "m"`, 1, []string{"user3"}, 1},
		{`id eq "` + us[0].ID + `" and manager eq "m"`, 0, nil, 1},
		{`title eq "title1" and userName eq "user11"`, 1, []string{"user11"}, 1},
		{`userName eq "user9" or externalId eq "ext2"`, 2, []string{"user2", "user9"}, 2},
		{`userName eq "user2" or externalId eq "ext2"`, 1, []string{"user2"}, 1},
		// Not served by an index: a scan.
		{`title eq "title1"`, 100, nil, n},
		{`userName eq "user2" or title eq "x"`, 1, []string{"user2"}, n},
		{`not (userName ne "user2")`, 1, []string{"user2"}, n},
		{`userName sw "user99"`, 11, nil, n},
	}
	for _, tt := range tests {
		before := s.matches.Load()
		p, err := s.ListUsers(t.Context(), tenant, scim.Query{Filter: mustParse(t, schema.User(), tt.filter), StartIndex: 1, Count: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.matches.Load() - before; got != tt.evals {
			t.Errorf("%s: evaluated the filter %d times, want %d", tt.filter, got, tt.evals)
		}
		if p.TotalResults != tt.total || len(p.Resources) != tt.total {
			t.Errorf("%s: TotalResults %d, %d resources, want %d", tt.filter, p.TotalResults, len(p.Resources), tt.total)
		}
		if tt.names != nil {
			if d := cmp.Diff(tt.names, userNames(p.Resources)); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.filter, d)
			}
		}
	}
}

func TestGroupIndexUse(t *testing.T) {
	s := New()
	ctx := t.Context()
	u := mustCreateUsers(t, s, 1, nil)[0]
	var gs []*scim.Group
	for i := range 100 {
		g, err := s.CreateGroup(ctx, tenant, &scim.Group{DisplayName: fmt.Sprint("Group", i%50), ExternalID: fmt.Sprint("g", i), Members: []scim.Member{{Value: u.ID}}})
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	for _, tt := range []struct {
		filter string
		want   []string // ids, in creation order
		evals  int64
	}{
		{`displayName eq "GROUP7"`, []string{gs[7].ID, gs[57].ID}, 2},
		{`externalId eq "g57"`, []string{gs[57].ID}, 1},
		{`id eq "` + gs[9].ID + `"`, []string{gs[9].ID}, 1},
		{`displayName eq "group7" and members.value eq "` + u.ID + `"`, []string{gs[7].ID, gs[57].ID}, 2},
		{`members.value eq "nobody"`, []string{}, 100},
	} {
		before := s.matches.Load()
		p, err := s.ListGroups(ctx, tenant, scim.Query{Filter: mustParse(t, schema.Group(), tt.filter), StartIndex: 1, Count: 500, ExcludeMembers: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.matches.Load() - before; got != tt.evals {
			t.Errorf("%s: evaluated the filter %d times, want %d", tt.filter, got, tt.evals)
		}
		got := []string{}
		for _, g := range p.Resources {
			got = append(got, g.ID)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.filter, d)
		}
	}
}

// TestCreationOrder checks the documented order of lists, across deletes
// that trigger compaction.
func TestCreationOrder(t *testing.T) {
	s := New()
	ctx := t.Context()
	us := mustCreateUsers(t, s, 200, nil)
	var want []string
	for i, u := range us {
		if i%4 != 0 {
			if err := s.DeleteUser(ctx, tenant, u.ID, ""); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want = append(want, u.UserName)
	}
	more := mustCreateUsers(t, s, 3, func(i int, u *scim.User) { u.UserName = fmt.Sprint("late", i); u.ExternalID = "" })
	want = append(want, userNames(more)...)
	p, err := s.ListUsers(ctx, tenant, scim.Query{StartIndex: 1, Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, userNames(p.Resources)); d != "" {
		t.Errorf("list order (-want +got):\n%s", d)
	}
}

// TestMemberOrder checks that members come back in the order they were
// first added, across removals that trigger compaction.
func TestMemberOrder(t *testing.T) {
	s := New()
	ctx := t.Context()
	us := mustCreateUsers(t, s, 100, nil)
	members := func(us ...*scim.User) []scim.Member {
		ms := make([]scim.Member, len(us))
		for i, u := range us {
			ms[i] = scim.Member{Value: u.ID}
		}
		return ms
	}
	g, err := s.CreateGroup(ctx, tenant, &scim.Group{DisplayName: "G", Members: members(us...)})
	if err != nil {
		t.Fatal(err)
	}
	// Remove all but every tenth, then add two back: they go last.
	var want []string
	var rm []*scim.User
	for i, u := range us {
		if i%10 != 0 {
			rm = append(rm, u)
		} else {
			want = append(want, u.ID)
		}
	}
	_, err = s.PatchGroup(ctx, tenant, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
		{Kind: scim.RemoveMembers, Members: members(rm...)},
		{Kind: scim.AddMembers, Members: members(us[5], us[0], us[3])},
	}}, "")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, us[5].ID, us[3].ID)
	got, err := s.GetGroup(ctx, tenant, g.ID, scim.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range got.Members {
		ids = append(ids, m.Value)
	}
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("member order (-want +got):\n%s", d)
	}
}

// TestListUsersFillsGroups checks the documented extra: list results carry
// Groups like GetUser's, and filters on groups see them.
func TestListUsersFillsGroups(t *testing.T) {
	s := New()
	ctx := t.Context()
	us := mustCreateUsers(t, s, 2, nil)
	g, err := s.CreateGroup(ctx, tenant, &scim.Group{DisplayName: "G", Members: []scim.Member{{Value: us[1].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.ListUsers(ctx, tenant, scim.Query{Filter: mustParse(t, schema.User(), `groups.value eq "`+g.ID+`"`), StartIndex: 1, Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := []*scim.User{us[1]}
	want[0].Groups = []scim.GroupRef{{Value: g.ID, Display: "G", Type: "direct"}}
	if d := cmp.Diff(want, p.Resources); d != "" || p.TotalResults != 1 {
		t.Errorf("ListUsers(groups.value eq): TotalResults %d (-want +got):\n%s", p.TotalResults, d)
	}
}

func TestZeroValue(t *testing.T) {
	var s Store
	if _, err := s.GetUser(t.Context(), tenant, "x"); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("GetUser on a zero Store: %v, want ErrNotFound", err)
	}
	u, err := s.CreateUser(t.Context(), tenant, &scim.User{UserName: "alice"})
	if err != nil {
		t.Fatalf("CreateUser on a zero Store: %v", err)
	}
	if got, err := s.GetUser(t.Context(), tenant, u.ID); err != nil || got.UserName != "alice" {
		t.Errorf("GetUser: %v, %v", got, err)
	}
}

func TestUnknownMemberOp(t *testing.T) {
	s := New()
	ctx := t.Context()
	u := mustCreateUsers(t, s, 1, nil)[0]
	g, err := s.CreateGroup(ctx, tenant, &scim.Group{DisplayName: "G", Members: []scim.Member{{Value: u.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.PatchGroup(ctx, tenant, g.ID, scim.GroupPatch{
		Attributes: &scim.Group{DisplayName: "changed"},
		MemberOps:  []scim.MemberOp{{Kind: scim.RemoveAllMembers}, {Kind: 99}},
	}, "")
	if err == nil || errors.Is(err, scim.ErrInvalidMember) {
		t.Errorf("PatchGroup with an unknown op kind: error %v, want a plain error", err)
	}
	after, err := s.GetGroup(ctx, tenant, g.ID, scim.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(g, after); d != "" {
		t.Errorf("a failed PatchGroup changed the group (-before +after):\n%s", d)
	}
}

func TestCanceledContext(t *testing.T) {
	s := New()
	u := mustCreateUsers(t, s, 1, nil)[0]
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"CreateUser": func() error { _, err := s.CreateUser(ctx, tenant, &scim.User{UserName: "x"}); return err },
		"GetUser":    func() error { _, err := s.GetUser(ctx, tenant, u.ID); return err },
		"ReplaceUser": func() error {
			_, err := s.ReplaceUser(ctx, tenant, &scim.User{ID: u.ID, UserName: "x"}, "")
			return err
		},
		"DeleteUser":  func() error { return s.DeleteUser(ctx, tenant, u.ID, "") },
		"ListUsers":   func() error { _, err := s.ListUsers(ctx, tenant, scim.Query{}); return err },
		"CreateGroup": func() error { _, err := s.CreateGroup(ctx, tenant, &scim.Group{}); return err },
		"ListGroups":  func() error { _, err := s.ListGroups(ctx, tenant, scim.Query{}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v, want context.Canceled", name, err)
		}
	}
	if got, err := s.GetUser(t.Context(), tenant, u.ID); err != nil || got.UserName != u.UserName {
		t.Errorf("user after canceled calls: %v, %v", got, err)
	}
}

func TestIDs(t *testing.T) {
	uuidV4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := newRID()
		s := id.String()
		if !uuidV4.MatchString(s) {
			t.Fatalf("newRID() = %q, not a version 4 UUID", s)
		}
		if seen[s] {
			t.Fatalf("newRID() repeated %q", s)
		}
		seen[s] = true
		if back, ok := parseRID(s); !ok || back != id {
			t.Fatalf("parseRID(%q) = %x, %v; want %x, true", s, back, ok, id)
		}
	}
	for _, s := range []string{
		"", "x", "0a21f0f2-8d2a-4f8e-bf98-00000000000", "0a21f0f2-8d2a-4f8e-bf98-0000000000000",
		"0A21F0F2-8D2A-4F8E-BF98-000000000000", "0a21f0f2-8d2a-4f8e-bf98_000000000000",
		"0a21f0f2a8d2a-4f8e-bf98-00000000000", "0a21f0f2-8d2a-4f8e-bf98-00000000000g",
	} {
		if id, ok := parseRID(s); ok {
			t.Errorf("parseRID(%q) = %x, want failure", s, id)
		}
	}
}

// TestReadsShareNothing checks that two reads of a user share no pointer
// or slice, so that a caller changing its copy changes nobody else's.
func TestReadsShareNothing(t *testing.T) {
	s := New()
	ctx := t.Context()
	var in scim.User
	n := 0
	fill(reflect.ValueOf(&in).Elem(), &n)
	u, err := s.CreateUser(ctx, tenant, &in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, tenant, &scim.Group{DisplayName: "G", Members: []scim.Member{{Value: u.ID}}}); err != nil {
		t.Fatal(err)
	}
	a, err := s.GetUser(ctx, tenant, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.ListUsers(ctx, tenant, scim.Query{StartIndex: 1, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := p.Resources[0]
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("GetUser and ListUsers differ (-get +list):\n%s", d)
	}
	for _, x := range []*scim.User{u, b} {
		if path := shared(reflect.ValueOf(*a), reflect.ValueOf(*x), "User"); path != "" {
			t.Errorf("two reads share memory at %s", path)
		}
	}
}

// fill sets every field reachable from v to a distinct non-zero value.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprint("s", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n)
		}
	case reflect.Map:
		if v.Type() != reflect.TypeFor[scim.Extensions]() {
			panic("fill: unhandled map " + v.Type().String() + "; extend fill and the packed encoding")
		}
		v.Set(reflect.ValueOf(scim.Extensions{"urn:example:params:scim:schemas:extension:test:2.0:User": {
			"badge": fmt.Sprint("s", *n), "level": json.Number(fmt.Sprint(*n)),
			"mentor": map[string]any{"value": fmt.Sprint("m", *n)}, "tags": []any{"a", "b"},
		}}))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(*n), 0).UTC()))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String() + "; extend fill and the packed encoding")
	}
}

// shared returns the path of the first pointer or slice that a and b
// share, or "".
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for i := range min(a.Len(), b.Len()) {
			if p := shared(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Map:
		if a.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				continue
			}
			if p := shared(a.MapIndex(k), bv, fmt.Sprintf("%s[%v]", path, k)); p != "" {
				return p
			}
		}
	case reflect.Interface:
		if a.IsNil() || b.IsNil() || a.Elem().Type() != b.Elem().Type() {
			return ""
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Chan, reflect.Func:
		return path + " (unhandled kind " + a.Kind().String() + ")"
	}
	return ""
}

// BenchmarkUserNameEq shows that the lookup Entra and Okta send before
// every create costs the same however many users the tenant has.
func BenchmarkUserNameEq(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprint("users=", n), func(b *testing.B) {
			s := New()
			mustCreateUsers(b, s, n, nil)
			f := mustParse(b, schema.User(), fmt.Sprintf(`userName eq "USER%d"`, n/2))
			q := scim.Query{Filter: f, StartIndex: 1, Count: 10}
			ctx := context.Background()
			for b.Loop() {
				p, err := s.ListUsers(ctx, tenant, q)
				if err != nil || p.TotalResults != 1 {
					b.Fatal(p, err)
				}
			}
		})
	}
}

// BenchmarkAddMember shows that adding (and removing) one member costs the
// same in a group of ten as in a group of a hundred thousand.
func BenchmarkAddMember(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprint("members=", n), func(b *testing.B) {
			s := New()
			ctx := context.Background()
			us := mustCreateUsers(b, s, n+1, nil)
			ms := make([]scim.Member, n)
			for i := range ms {
				ms[i] = scim.Member{Value: us[i].ID, Type: "User"}
			}
			g, err := s.CreateGroup(ctx, tenant, &scim.Group{DisplayName: "G", Members: ms})
			if err != nil {
				b.Fatal(err)
			}
			extra := []scim.Member{{Value: us[n].ID, Type: "User"}}
			addOp := scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.AddMembers, Members: extra}}}
			removeOp := scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.RemoveMembers, Members: extra}}}
			for b.Loop() {
				if _, err := s.PatchGroup(ctx, tenant, g.ID, addOp, ""); err != nil {
					b.Fatal(err)
				}
				if _, err := s.PatchGroup(ctx, tenant, g.ID, removeOp, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFilterScan measures a filter no index serves, evaluated on
// every fully mapped user of the tenant.
func BenchmarkFilterScan(b *testing.B) {
	const n = 10_000
	s := New()
	ctx := context.Background()
	for i := range n {
		if _, err := s.CreateUser(ctx, tenant, mappedUser(i)); err != nil {
			b.Fatal(err)
		}
	}
	q := scim.Query{Filter: mustParse(b, schema.User(), `title eq "Senior Analyst" and addresses[type eq "work" and locality eq "Leeds"]`), StartIndex: 1, Count: 100}
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.ListUsers(ctx, tenant, q)
		if err != nil || p.TotalResults != n/5 {
			b.Fatal(p.TotalResults, err)
		}
	}
}

// TestExtensionIndexUse: eq on an indexed extension attribute is answered
// from its index, a filter on another extension attribute by a scan.
func TestExtensionIndexUse(t *testing.T) {
	const n = 500
	const urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	rt := schema.User()
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: &schema.Schema{ID: urn, Attributes: []*schema.Attribute{
		{Name: "employeeId", Type: schema.String, Indexed: true},
		{Name: "level", Type: schema.Integer, Indexed: true},
		{Name: "team", Type: schema.String},
	}}})
	s := New()
	if err := s.IndexAttributes([]scim.IndexedAttribute{
		{ResourceType: "User", Schema: urn, Name: "employeeId"},
		{ResourceType: "User", Schema: urn, Name: "level"},
	}); err != nil {
		t.Fatal(err)
	}
	mustCreateUsers(t, s, n, func(i int, u *scim.User) {
		u.Extensions = scim.Extensions{urn: {"employeeId": fmt.Sprint("E-", i), "level": json.Number(fmt.Sprint(i % 5)), "team": fmt.Sprint("t", i%10)}}
	})
	for _, tt := range []struct {
		filter       string
		total, evals int
	}{
		{urn + `:employeeId eq "e-42"`, 1, 1},
		{urn + `:employeeId eq "nobody"`, 0, 0},
		{urn + `:employeeId eq "E-42" and userName eq "user42"`, 1, 1},
		{urn + `:level eq 3`, n / 5, n / 5},
		{urn + `:level eq 3.0`, n / 5, n / 5},
		{urn + `:level eq 3.5`, 0, 0},
		{urn + `:team eq "t1"`, n / 10, n},
	} {
		before := s.matches.Load()
		p, err := s.ListUsers(t.Context(), tenant, scim.Query{Filter: mustParse(t, rt, tt.filter), StartIndex: 1, Count: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.matches.Load() - before; got != int64(tt.evals) {
			t.Errorf("%s: evaluated the filter %d times, want %d", tt.filter, got, tt.evals)
		}
		if p.TotalResults != tt.total {
			t.Errorf("%s: TotalResults %d, want %d", tt.filter, p.TotalResults, tt.total)
		}
	}
}
