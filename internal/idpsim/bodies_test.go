package idpsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testSim is a simulation with a model of n users whose ids are "id<i>", for body
// tests.
func testSim(mode Mode, n int) *simulation {
	s := &simulation{cfg: Config{Mode: mode, Users: n, Seed: 5}, byID: map[string]int32{}}
	s.initUsers()
	for i := range s.users {
		s.setUserID(i, fmt.Sprintf("id%d", i))
		s.users[i].state = live
	}
	return s
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return v
}

func attrIndex(t *testing.T, path string) int {
	t.Helper()
	for a := range attrs {
		if attrs[a].path == path {
			return a
		}
	}
	t.Fatalf("no attribute %s", path)
	return -1
}

// TestPatchShapes checks each mode's PATCH bodies against the shapes in
// the IdPs' documentation (reference/azure.md).
func TestPatchShapes(t *testing.T) {
	title := func(t *testing.T) int { return attrIndex(t, "title") }
	email := func(t *testing.T) int { return attrIndex(t, `emails[type eq "work"].value`) }
	dept := func(t *testing.T) int { return attrIndex(t, entURN+":department") }
	for _, tc := range []struct {
		name string
		mode Mode
		body func(t *testing.T, s *simulation) []byte
		want func(s *simulation, v func(a int) string) string
	}{
		{"legacy attributes: one op per attribute, Add when gaining a value", EntraLegacy,
			func(t *testing.T, s *simulation) []byte {
				return patchBody(s.attrOps(0, []int{title(t), email(t), dept(t)}, []uint16{1, 0, 1})...)
			},
			func(s *simulation, v func(int) string) string {
				return fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"Replace","path":"title","value":%q},{"op":"Add","path":"emails[type eq \"work\"].value","value":%q},{"op":"Replace","path":%q,"value":%q}]}`,
					patchURN, v(1), v(3), entURN+":department", v(17))
			}},
		{"flag attributes: typed paths kept, the rest folded by path", EntraFlag,
			func(t *testing.T, s *simulation) []byte {
				return patchBody(s.attrOps(0, []int{title(t), email(t), dept(t), attrIndex(t, "name.middleName")}, []uint16{1, 0, 1, 0})...)
			},
			func(s *simulation, v func(int) string) string {
				return fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":%q},{"op":"replace","value":{"title":%q,%q:%q}},{"op":"add","value":{"name.middleName":%q}}]}`,
					patchURN, v(3), v(1), entURN+":department", v(17), v(12))
			}},
		{"legacy disable: string boolean", EntraLegacy,
			func(t *testing.T, s *simulation) []byte { return patchBody(s.activeOp(false)) },
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`
			}},
		{"flag enable: boolean", EntraFlag,
			func(t *testing.T, s *simulation) []byte { return patchBody(s.activeOp(true)) },
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"active","value":true}]}`
			}},
		{"okta deactivate: path-less", Okta,
			func(t *testing.T, s *simulation) []byte { return patchBody(s.activeOp(false)) },
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","value":{"active":false}}]}`
			}},
		{"legacy manager: bare id at the URN path", EntraLegacy,
			func(t *testing.T, s *simulation) []byte { return s.managerPatch("id7", true) },
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"Add","path":"` + managerKey + `","value":"id7"}]}`
			}},
		{"flag manager change", EntraFlag,
			func(t *testing.T, s *simulation) []byte { return s.managerPatch("id7", false) },
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"` + managerKey + `","value":"id7"}]}`
			}},
		{"legacy rename", EntraLegacy,
			func(t *testing.T, s *simulation) []byte { return patchBody(s.renameOp("new@x")) },
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"Replace","path":"userName","value":"new@x"}]}`
			}},
		{"flag rename: path-less", EntraFlag,
			func(t *testing.T, s *simulation) []byte { return patchBody(s.renameOp("new@x")) },
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","value":{"userName":"new@x"}}]}`
			}},
		{"legacy member add and remove", EntraLegacy,
			func(t *testing.T, s *simulation) []byte {
				return patchBody(append(s.memberRemoveOps([]string{"id1", "id2"}), s.memberAddOp([]int32{3, 4}))...)
			},
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"id1"},{"value":"id2"}]},{"op":"Add","path":"members","value":[{"$ref":null,"value":"id3"},{"$ref":null,"value":"id4"}]}]}`
			}},
		{"flag member add and remove", EntraFlag,
			func(t *testing.T, s *simulation) []byte {
				return patchBody(append(s.memberRemoveOps([]string{"id1", "id2"}), s.memberAddOp([]int32{3}))...)
			},
			func(*simulation, func(int) string) string {
				return `{"schemas":["` + patchURN + `"],"Operations":[{"op":"remove","path":"members[value eq \"id1\"]"},{"op":"remove","path":"members[value eq \"id2\"]"},{"op":"add","path":"members","value":[{"value":"id3"}]}]}`
			}},
		{"okta group push: name re-sent, remove by filter, add with display", Okta,
			func(t *testing.T, s *simulation) []byte {
				s.groups = []groupModel{{id: "g1", nameGen: 1}}
				return patchBody(append([]obj{s.groupRenameOp(0)}, append(s.memberRemoveOps([]string{"id1"}), s.memberAddOp([]int32{3}))...)...)
			},
			func(s *simulation, v func(int) string) string {
				dn := s.userName(3, 1)
				if s.users[3].gens[0] > 0 {
					dn = s.value(0, 3, s.users[3].gens[0])
				}
				return fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace","value":{"id":"g1","displayName":%q}},{"op":"remove","path":"members[value eq \"id1\"]"},{"op":"add","path":"members","value":[{"value":"id3","display":%q}]}]}`,
					patchURN, s.groupName(0, 1), dn)
			}},
		{"legacy group rename", EntraLegacy,
			func(t *testing.T, s *simulation) []byte {
				s.groups = []groupModel{{id: "g1", nameGen: 2}}
				return patchBody(s.groupRenameOp(0))
			},
			func(s *simulation, _ func(int) string) string {
				return fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"Replace","path":"displayName","value":%q}]}`, patchURN, s.groupName(0, 2))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSim(tc.mode, 8)
			for a := range attrs {
				s.users[0].gens[a] = 1
			}
			v := func(a int) string { return s.value(a, 0, 1) }
			got := decode(t, tc.body(t, s))
			want := decode(t, []byte(tc.want(s, v)))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestUserResource checks the POST and PUT bodies: the whole mapping,
// Entra's meta and roles, Okta's password, groups and locale, and the
// manager as an object only in PUT.
func TestUserResource(t *testing.T) {
	for _, tc := range []struct {
		mode       Mode
		put        bool
		has, hasnt []string
	}{
		{EntraLegacy, false, []string{`"meta":{"resourceType":"User"}`, `"roles":[]`, `"active":true`, `"emails":[{"primary":true,"type":"work","value":`, `"` + entURN + `":{`}, []string{"password", "manager", `"id"`}},
		{Okta, false, []string{`"password":"`, `"groups":[]`, `"locale":"en-US"`, `"externalId":"00u`}, []string{"meta", "manager", `"id"`}},
		{Okta, true, []string{`"id":"id9"`, `"manager":{"value":"id0"}`, `"locale":"en-US"`}, []string{"password", "groups"}},
	} {
		s := testSim(tc.mode, 20)
		u := &s.users[9]
		for a := range attrs {
			u.gens[a] = 1
		}
		u.manager, u.mgrSet = 0, true
		body := string(s.userResource(9, tc.put))
		decode(t, []byte(body))
		for _, h := range tc.has {
			if !strings.Contains(body, h) {
				t.Errorf("%s put=%t: body lacks %s:\n%s", tc.mode, tc.put, h, body)
			}
		}
		for _, h := range tc.hasnt {
			if strings.Contains(body, h) {
				t.Errorf("%s put=%t: body has %s:\n%s", tc.mode, tc.put, h, body)
			}
		}
		// Every attribute of the mapping reads back from the body.
		var doc map[string]any
		json.Unmarshal([]byte(body), &doc)
		for a := range attrs {
			v, found, dups := attrValue(doc, a)
			if !found || dups > 1 || v != s.value(a, 9, 1) {
				t.Errorf("%s put=%t: %s = %v (found %t, %d of its type)", tc.mode, tc.put, attrs[a].path, v, found, dups)
			}
		}
	}
}

// TestLookupEncoding checks the filter encodings: Entra with +, Okta with
// %20 and paging.
func TestLookupEncoding(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		got  func(s *simulation) string
		want string
	}{
		{EntraLegacy, func(s *simulation) string { return s.userLookupPath(`a.b@x.example`) }, `/Users?filter=userName+eq+%22a.b%40x.example%22`},
		{Okta, func(s *simulation) string { return s.userLookupPath(`a.b+c@x.example`) }, `/Users?filter=userName%20eq%20%22a.b%2Bc%40x.example%22&startIndex=1&count=100`},
		{EntraFlag, func(s *simulation) string { return s.groupLookupPath(`R&D "core"`) }, `/Groups?excludedAttributes=members&filter=displayName+eq+%22R%26D+%5C%22core%5C%22%22`},
		{Okta, func(s *simulation) string { return s.groupLookupPath(`Sales`) }, `/Groups?filter=displayName%20eq%20%22Sales%22&startIndex=1&count=100`},
		{EntraLegacy, func(s *simulation) string { return s.referencePath("u1", "m1") }, `/Users?filter=id+eq+%22u1%22+and+manager+eq+%22m1%22&attributes=id`},
	} {
		if got := tc.got(testSim(tc.mode, 1)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.mode, got, tc.want)
		}
	}
}
