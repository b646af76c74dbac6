package elimityscim_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// TestGroupPatch: the operations a group's Patch receives for the PATCH
// bodies identity providers send (U1 and U2 stand for two users' ids, G
// for the group's), and the members they leave.
func TestGroupPatch(t *testing.T) {
	tests := []struct {
		name    string
		ops     string
		want    []string // what Patch got; nil when it is not called
		members []string
	}{
		{"rename", `{"op":"Replace","path":"displayName","value":"Writers"}`,
			[]string{"replace displayName Writers"}, []string{"U1"}},
		{"add (Entra)", `{"op":"Add","path":"members","value":[{"$ref":null,"value":"U2"}]}`,
			[]string{"add members [map[value:U2]]"}, []string{"U1", "U2"}},
		{"legacy removal of listed members (Entra)", `{"op":"Remove","path":"members","value":[{"value":"U1"}]}`,
			[]string{`remove members[value eq "U1"] <nil>`}, nil},
		{"removal by value filter", `{"op":"remove","path":"members[value eq \"U1\" or value eq \"U2\"]"}`,
			[]string{`remove members[value eq "U1"] <nil>`, `remove members[value eq "U2"] <nil>`}, nil},
		{"removal by another filter", `{"op":"remove","path":"members[display pr or not (value eq \"U2\")]"}`,
			[]string{`remove members[display pr or not(value eq "U2")] <nil>`}, nil},
		{"replace members (Okta)", `{"op":"replace","path":"members","value":[{"value":"U2"}]}`,
			[]string{"replace members [map[value:U2]]"}, []string{"U2"}},
		{"remove all", `{"op":"remove","path":"members"}`,
			[]string{"remove members <nil>"}, nil},
		{"rename re-sending id and members (Okta)", `{"op":"replace","value":{"id":"G","displayName":"Writers","members":[{"value":"U2"}]}}`,
			[]string{"replace displayName Writers", "replace members [map[value:U2]]"}, []string{"U2"}},
		{"unchanged name and an add: only the add", `{"op":"replace","value":{"displayName":"Readers"}},{"op":"add","path":"members","value":[{"value":"U2","display":"Grace"}]}`,
			[]string{"add members [map[display:Grace value:U2]]"}, []string{"U1", "U2"}},
		{"remove externalId", `{"op":"remove","path":"externalId"}`,
			[]string{"remove externalId <nil>"}, []string{"U1"}},
		{"nothing to do", `{"op":"replace","path":"displayName","value":"Readers"}`, nil, []string{"U1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemory()
			h := e2e.Serve(t, server(t, scim.Config{}, m.types()...), token)
			u1 := h.CreateUser(e2e.UserBody("ada@example.com"))
			u2 := h.CreateUser(e2e.UserBody("grace@example.com"))
			gid := h.CreateGroup(`{"displayName":"Readers","externalId":"e-1","members":[{"value":"` + u1 + `"}]}`)
			ids := strings.NewReplacer("U1", u1, "U2", u2, `"G"`, `"`+gid+`"`)
			m.mu.Lock()
			m.patches = nil
			m.mu.Unlock()
			h.Must(204, "PATCH", "/Groups/"+gid, e2e.PatchBody(ids.Replace(tc.ops)))
			var want [][]string
			if tc.want != nil {
				want = [][]string{strings.Split(ids.Replace(strings.Join(tc.want, "\n")), "\n")}
			}
			m.mu.Lock()
			got := m.patches
			m.mu.Unlock()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Patch got (-want +got):\n%s", diff)
			}
			var wantMembers []string
			for _, id := range tc.members {
				wantMembers = append(wantMembers, ids.Replace(id))
			}
			if diff := cmp.Diff(wantMembers, e2e.MemberIDs(h.Must(200, "GET", "/Groups/"+gid, "").Body), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGroupPatchErrors: the handler's refusal answers, a missing group is
// 404, and nothing changes.
func TestGroupPatchErrors(t *testing.T) {
	m := newMemory()
	h := e2e.Serve(t, server(t, scim.Config{}, m.types()...), token)
	u1 := h.CreateUser(e2e.UserBody("ada@example.com"))
	gid := h.CreateGroup(`{"displayName":"Readers","members":[{"value":"` + u1 + `"}]}`)
	r := h.Do("PATCH", "/Groups/"+gid, e2e.PatchBody(`{"op":"replace","path":"displayName","value":"Writers"},{"op":"add","path":"members","value":[{"value":"nobody"}]}`))
	if r.Status != 400 || r.Body["scimType"] != "invalidValue" {
		t.Errorf("unknown member: %d %s", r.Status, r.Raw)
	}
	g := h.Must(200, "GET", "/Groups/"+gid, "").Body
	if g["displayName"] != "Readers" || len(e2e.MemberIDs(g)) != 1 {
		t.Errorf("a refused PATCH changed the group: %v", g)
	}
	h.Must(404, "PATCH", "/Groups/nope", e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"`+u1+`"}]}`))
	h.Must(404, "PATCH", "/Groups/nope", e2e.PatchBody(`{"op":"replace","path":"displayName","value":"X"}`))
}
