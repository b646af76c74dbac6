package scimtest

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/internal/e2e"
)

// RunEntra replays Microsoft Entra ID's provisioning as subtests of t, each
// against a new Target from newTarget: the Juno Journey attribute mapping
// round trip, Test Connection, user PATCH bodies in the legacy and
// aadOptscim062020 forms, every enterprise manager shape, the group
// lifecycle with member changes, 100 concurrent member adds to one group,
// soft deletion (active false) and pagination.
//
// The endpoint must serve Users with the enterprise extension and Groups,
// fill a user's groups and drop deleted users from their groups. A group
// PATCH may answer 204 No Content (what Entra's own examples show) or 200
// with the group (RFC 7644 section 3.5.2 allows both, and Entra accepts
// both).
func RunEntra(t *testing.T, newTarget func(t *testing.T) Target) {
	start := func(t *testing.T) *e2e.Client {
		tg := newTarget(t)
		return e2e.Serve(t, tg.Handler, tg.Token)
	}
	for _, flow := range []struct {
		name string
		run  func(*testing.T, func(*testing.T) *e2e.Client)
	}{
		{"JunoJourneyRoundTrip", junoJourneyRoundTrip},
		{"TestConnection", entraTestConnection},
		{"UserPatchForms", entraUserPatchForms},
		{"ManagerForms", entraManagerForms},
		{"GroupLifecycle", entraGroupLifecycle},
		{"ParallelGroupAdds", parallelGroupAdds},
		{"DeactivatedUsersStayVisible", deactivatedUsersStayVisible},
		{"Pagination", pagination},
	} {
		t.Run(flow.name, func(t *testing.T) { flow.run(t, start) })
	}
}

// junoJourneyRoundTrip creates a user with every mapped attribute, sets
// the manager the way Entra does, and checks everything reads back exactly.
func junoJourneyRoundTrip(t *testing.T, start func(*testing.T) *e2e.Client) {
	h := start(t)
	mgr := h.CreateUser(e2e.UserBody("boss@contoso.com"))
	id := h.CreateUser(e2e.JunoUser)
	h.Must(200, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+mgr+`"}]}`)

	got := h.Must(200, "GET", "/Users/"+id, "").Body
	want := map[string]any{
		"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
		"userName":   "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
		"active":     true, "displayName": "Ada Lovelace", "title": "Analyst", "preferredLanguage": "en-GB",
		"emails": []any{map[string]any{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@contoso.com"}},
		"addresses": []any{map[string]any{"type": "work", "country": "GB", "region": "Greater London", "locality": "London",
			"postalCode": "W1 1AA", "formatted": "1 Main St\nLondon W1 1AA", "streetAddress": "1 Main St"}},
		"name": map[string]any{"givenName": "Ada", "familyName": "Lovelace", "middleName": "King", "formatted": "Ada King Lovelace"},
		"phoneNumbers": []any{map[string]any{"type": "work", "value": "+44 (20) 7946 0000"},
			map[string]any{"type": "mobile", "value": "07700 900000"}, map[string]any{"type": "fax", "value": "020 7946 0001"}},
		e2e.EnterpriseURN: map[string]any{"department": "Engineering", "employeeNumber": "E-1815", "costCenter": "CC-42",
			"division": "R&D", "organization": "Analytical Engines Ltd", "manager": map[string]any{"value": mgr}},
	}
	for k, v := range want {
		if diff := cmp.Diff(v, withoutFalsePrimary(got[k])); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	if got["id"] != id || e2e.Path(got, "meta", "resourceType") != "User" || e2e.Path(got, "meta", "location") != h.Base+"/Users/"+id {
		t.Errorf("id/meta wrong: %v", got)
	}
	if diff := cmp.Diff([]any{"urn:ietf:params:scim:schemas:core:2.0:User", e2e.EnterpriseURN}, got["schemas"]); diff != "" {
		t.Errorf("schemas (-want +got):\n%s", diff)
	}
	if _, ok := got["password"]; ok {
		t.Error("password returned")
	}
}

// withoutFalsePrimary drops "primary": false from the elements of a
// multi-valued attribute: it says what leaving primary out says (RFC 7643
// section 2.4), and an endpoint may keep either.
func withoutFalsePrimary(v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(list))
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && m["primary"] == false {
			m = maps.Clone(m)
			delete(m, "primary")
			e = m
		}
		out[i] = e
	}
	return out
}

// entraTestConnection replays Entra's Test Connection queries.
func entraTestConnection(t *testing.T, start func(*testing.T) *e2e.Client) {
	h := start(t)
	for _, p := range []string{
		"/Users?filter=userName+eq+%22cf4d78e8-1c7d-4b1b-9d3a-0cbd1a2b3c4d%22",
		"/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
		"/Groups?excludedAttributes=members&filter=displayName+eq+%22cf4d78e8%22",
		"/Users?aadOptscim062020&filter=userName+eq+%22x%22",
	} {
		r := h.DoAs(h.Token, "GET", p, "", map[string]string{"User-Agent": ""})
		want := map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
			"totalResults": 0.0, "Resources": []any{}, "startIndex": 1.0, "itemsPerPage": 0.0}
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", p, r.Status, r.Raw)
		}
		if diff := cmp.Diff(want, r.Body); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}
}

// entraUserPatchForms replays Entra's incremental-cycle PATCH bodies in
// the legacy and aadOptscim062020 forms and checks the stored result.
func entraUserPatchForms(t *testing.T, start func(*testing.T) *e2e.Client) {
	tests := []struct {
		name  string
		start string // POST body; e2e.JunoUser when empty
		ops   string
		check map[string]any // dotted key -> expected value (nil = absent)
	}{
		{
			name: "legacy replace work email and family name",
			ops: `{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
			      {"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}`,
			check: map[string]any{"emails.0.value": "updatedEmail@microsoft.com", "emails.0.type": "work",
				"name.familyName": "updatedFamilyName", "name.givenName": "Ada"},
		},
		{
			name:  "legacy replace userName",
			ops:   `{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}`,
			check: map[string]any{"userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"},
		},
		{
			name:  "legacy disable with string boolean",
			ops:   `{"op":"Replace","path":"active","value":"False"}`,
			check: map[string]any{"active": false},
		},
		{
			name:  "flag disable with boolean",
			ops:   `{"op":"replace","path":"active","value":false}`,
			check: map[string]any{"active": false},
		},
		{
			name:  "legacy add nickName",
			ops:   `{"op":"Add","path":"nickName","value":"Babs"}`,
			check: map[string]any{"nickName": "Babs"},
		},
		{
			name: "flag path-less replace with dotted and URN keys",
			ops: `{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
			      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}},
			      {"op":"replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"}`,
			check: map[string]any{"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
				"name.middleName": "King", e2e.EnterpriseURN + ".employeeNumber": "Aklq", "emails.0.value": "new@contoso.com"},
		},
		{
			name:  "legacy add enterprise department",
			ops:   `{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Retail"}`,
			check: map[string]any{e2e.EnterpriseURN + ".department": "Retail", e2e.EnterpriseURN + ".costCenter": "CC-42"},
		},
		{
			name:  "customappsso dotted extension path",
			ops:   `{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department","value":"Sales"}`,
			check: map[string]any{e2e.EnterpriseURN + ".department": "Sales"},
		},
		{
			name:  "create-on-missing work address formatted",
			start: e2e.UserBody("bare@contoso.com"),
			ops: `{"op":"Replace","path":"emails[type eq \"work\"].value","value":"w@contoso.com"},
			      {"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"Columbus"},
			      {"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555-0100"},
			      {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Retail"}`,
			check: map[string]any{"emails.0.value": "w@contoso.com", "emails.0.type": "work",
				"addresses.0.formatted": "Columbus", "addresses.0.type": "work",
				"phoneNumbers.0.value": "555-0100", "phoneNumbers.0.type": "mobile", e2e.EnterpriseURN + ".department": "Retail"},
		},
		{
			name:  "legacy single-value wrapping",
			ops:   `{"op":"Replace","path":"name.givenName","value":[{"$ref":null,"value":"Augusta"}]}`,
			check: map[string]any{"name.givenName": "Augusta"},
		},
		{
			name:  "null update clears with empty string and null",
			ops:   `{"op":"Replace","path":"title","value":""},{"op":"Replace","path":"preferredLanguage","value":null}`,
			check: map[string]any{"title": nil, "preferredLanguage": nil, "displayName": "Ada Lovelace"},
		},
		{
			name:  "empty Operations is a no-op",
			ops:   ``,
			check: map[string]any{"displayName": "Ada Lovelace"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t)
			start := tc.start
			if start == "" {
				start = e2e.JunoUser
			}
			id := h.CreateUser(start)
			r := h.Do("PATCH", "/Users/"+id, e2e.PatchBody(tc.ops))
			if r.Status != 200 && r.Status != 204 {
				t.Fatalf("PATCH: %d %s", r.Status, r.Raw)
			}
			got := h.Must(200, "GET", "/Users/"+id, "").Body
			if r.Status == 200 {
				if diff := cmp.Diff(got, r.Body); diff != "" {
					t.Errorf("PATCH response differs from GET (-get +patch):\n%s", diff)
				}
			}
			checkPaths(t, got, tc.check)
		})
	}
}

// checkPaths checks dotted paths; the enterprise URN counts as one key.
func checkPaths(t *testing.T, doc map[string]any, want map[string]any) {
	t.Helper()
	for p, v := range want {
		var keys []any
		rest := p
		if len(p) > len(e2e.EnterpriseURN) && p[:len(e2e.EnterpriseURN)] == e2e.EnterpriseURN {
			keys = append(keys, e2e.EnterpriseURN)
			rest = p[len(e2e.EnterpriseURN)+1:]
		}
		for _, k := range strings.Split(rest, ".") {
			var n int
			if _, err := fmt.Sscanf(k, "%d", &n); err == nil {
				keys = append(keys, n)
			} else {
				keys = append(keys, k)
			}
		}
		if diff := cmp.Diff(v, e2e.Path(doc, keys...)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}
}

// entraManagerForms covers every manager shape Entra has sent.
func entraManagerForms(t *testing.T, start func(*testing.T) *e2e.Client) {
	tests := []struct {
		name string
		ops  string // %s is the manager id
		want any    // manager after the PATCH
	}{
		{"string via URN path", `{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"%s"}`, "obj"},
		{"replace string", `{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"%s"}`, "obj"},
		{"legacy list with path manager", `{"op":"Add","path":"manager","value":[{"$ref":"http://example.com/Users/%[1]s","value":"%[1]s"}]}`, "obj"},
		{"path-less URN key", `{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"%s"}}`, "obj"},
		{"object", `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"%s"}}`, "obj"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t)
			mgr := h.CreateUser(e2e.UserBody("mgr@contoso.com"))
			id := h.CreateUser(e2e.JunoUser)
			h.Must(200, "PATCH", "/Users/"+id, e2e.PatchBody(fmt.Sprintf(tc.ops, mgr)))
			got := e2e.Path(h.Must(200, "GET", "/Users/"+id, "").Body, e2e.EnterpriseURN, "manager", "value")
			if got != mgr {
				t.Fatalf("manager.value = %v, want %s", got, mgr)
			}
			// Entra's reference check filter finds it.
			r := h.Must(200, "GET", fmt.Sprintf("/Users?filter=id+eq+%%22%s%%22+and+manager+eq+%%22%s%%22&attributes=id", id, mgr), "")
			if r.Body["totalResults"] != 1.0 {
				t.Errorf("id eq and manager eq: %s", r.Raw)
			}
		})
	}
	removals := []string{
		`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`,
		`{"op":"remove","path":"manager[value eq \"%s\"]"}`,
		`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}`,
		`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":null}`,
		`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{}}`,
	}
	for _, op := range removals {
		t.Run("remove "+op, func(t *testing.T) {
			h := start(t)
			mgr := h.CreateUser(e2e.UserBody("mgr@contoso.com"))
			id := h.CreateUser(e2e.JunoUser)
			h.Must(200, "PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+mgr+`"}`))
			op := op
			if strings.Contains(op, "%s") {
				op = fmt.Sprintf(op, mgr)
			}
			h.Must(200, "PATCH", "/Users/"+id, e2e.PatchBody(op))
			got := h.Must(200, "GET", "/Users/"+id, "").Body
			if m := e2e.Path(got, e2e.EnterpriseURN, "manager"); m != nil {
				t.Errorf("manager still set: %v", m)
			}
			if e2e.Path(got, e2e.EnterpriseURN, "department") != "Engineering" {
				t.Errorf("other enterprise attributes lost: %v", got[e2e.EnterpriseURN])
			}
		})
	}
}

// entraGroupLifecycle replays Entra's group provisioning.
func entraGroupLifecycle(t *testing.T, start func(*testing.T) *e2e.Client) {
	h := start(t)
	var users []string
	for i := range 4 {
		users = append(users, h.CreateUser(e2e.UserBody(fmt.Sprintf("u%d@contoso.com", i))))
	}
	r := h.Must(201, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
	  "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`)
	gid := r.Body["id"].(string)
	if diff := cmp.Diff([]any{}, r.Body["members"]); diff != "" {
		t.Errorf("new group members (-want +got):\n%s", diff)
	}
	// Lookup with excludedAttributes=members.
	l := h.Must(200, "GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22", "")
	if l.Body["totalResults"] != 1.0 || e2e.Path(l.Body, "Resources", 0, "members") != nil {
		t.Errorf("group lookup: %s", l.Raw)
	}
	// Legacy add of several members, $ref null.
	add := e2e.PatchBody(fmt.Sprintf(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"%s"},{"$ref":null,"value":"%s"},{"$ref":null,"value":"%s"}]}`, users[0], users[1], users[2]))
	patchGroup(t, h, gid, add)
	// Retried add is idempotent.
	patchGroup(t, h, gid, add)
	// Legacy removal lists one member: only it goes.
	patchGroup(t, h, gid, e2e.PatchBody(`{"op":"Remove","path":"members","value":[{"value":"`+users[0]+`"}]}`))
	// Flag-form removal.
	patchGroup(t, h, gid, e2e.PatchBody(`{"op":"remove","path":"members[value eq \"`+users[1]+`\"]"}`))
	// Removing an absent member succeeds.
	patchGroup(t, h, gid, e2e.PatchBody(`{"op":"remove","path":"members[value eq \"`+users[3]+`\"]"}`))
	g := h.Must(200, "GET", "/Groups/"+gid, "").Body
	if diff := cmp.Diff([]string{users[2]}, e2e.MemberIDs(g)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if ref := e2e.Path(g, "members", 0, "$ref"); ref != h.Base+"/Users/"+users[2] {
		t.Errorf("member $ref = %v", ref)
	}
	if g2 := h.Must(200, "GET", "/Groups/"+gid+"?excludedAttributes=members", "").Body; g2["members"] != nil {
		t.Errorf("excludedAttributes=members still lists members")
	}
	// The user shows the group.
	u := h.Must(200, "GET", "/Users/"+users[2], "").Body
	if e2e.Path(u, "groups", 0, "value") != gid {
		t.Errorf("user groups: %v", u["groups"])
	}
	// Rename.
	patchGroup(t, h, gid, e2e.PatchBody(`{"op":"Replace","path":"displayName","value":"Renamed"}`))
	if n := h.Must(200, "GET", "/Groups/"+gid, "").Body["displayName"]; n != "Renamed" {
		t.Errorf("displayName = %v", n)
	}
	// Deleting a user removes it from the group.
	h.Must(204, "DELETE", "/Users/"+users[2], "")
	h.Must(404, "GET", "/Users/"+users[2], "")
	if g := h.Must(200, "GET", "/Groups/"+gid, "").Body; len(e2e.MemberIDs(g)) != 0 {
		t.Errorf("deleted user still a member: %v", g["members"])
	}
	h.Must(204, "DELETE", "/Groups/"+gid, "")
	h.Must(404, "GET", "/Groups/"+gid, "")
	h.Must(404, "DELETE", "/Groups/"+gid, "")
}

// parallelGroupAdds sends 100 member adds at once, as Entra does.
func parallelGroupAdds(t *testing.T, start func(*testing.T) *e2e.Client) {
	h := start(t)
	gid := h.CreateGroup(`{"displayName":"All"}`)
	var ids []string
	for i := range 100 {
		ids = append(ids, h.CreateUser(e2e.UserBody(fmt.Sprintf("p%d@contoso.com", i))))
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(ids))
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.Do("PATCH", "/Groups/"+gid, e2e.PatchBody(`{"op":"Add","path":"members","value":[{"value":"`+id+`"}]}`))
			if !groupPatched(r, gid) {
				errs <- fmt.Sprintf("%d %s", r.Status, r.Raw)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	got := e2e.MemberIDs(h.Must(200, "GET", "/Groups/"+gid, "").Body)
	sort.Strings(got)
	sort.Strings(ids)
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

// deactivatedUsersStayVisible: Entra and Okta soft-delete with active=false.
func deactivatedUsersStayVisible(t *testing.T, start func(*testing.T) *e2e.Client) {
	h := start(t)
	id := h.CreateUser(e2e.UserBody("soft@contoso.com"))
	h.Must(200, "PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"Replace","path":"active","value":"False"}`))
	if a := h.Must(200, "GET", "/Users/"+id, "").Body["active"]; a != false {
		t.Errorf("active = %v", a)
	}
	r := h.Must(200, "GET", "/Users?filter=userName+eq+%22SOFT%40contoso.com%22", "")
	if r.Body["totalResults"] != 1.0 || e2e.Path(r.Body, "Resources", 0, "active") != false {
		t.Errorf("filter: %s", r.Raw)
	}
	h.Must(200, "PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"Replace","path":"active","value":"True"}`))
	if a := h.Must(200, "GET", "/Users/"+id, "").Body["active"]; a != true {
		t.Errorf("re-enabled active = %v", a)
	}
}

// pagination follows Microsoft's validation: 11 users, pages of 5.
func pagination(t *testing.T, start func(*testing.T) *e2e.Client) {
	h := start(t)
	want := map[string]bool{}
	for i := range 11 {
		want[h.CreateUser(e2e.UserBody(fmt.Sprintf("page%02d@contoso.com", i)))] = true
	}
	seen := map[string]bool{}
	for page := 0; page < 3; page++ {
		r := h.Must(200, "GET", fmt.Sprintf("/Users?startIndex=%d&count=5", page*5+1), "")
		if r.Body["startIndex"] != float64(page*5+1) || r.Body["totalResults"] != 11.0 {
			t.Errorf("page %d: %s", page, r.Raw)
		}
		res := r.Body["Resources"].([]any)
		if r.Body["itemsPerPage"] != float64(len(res)) {
			t.Errorf("itemsPerPage %v, %d resources", r.Body["itemsPerPage"], len(res))
		}
		for _, u := range res {
			id := e2e.Path(u, "id").(string)
			if seen[id] {
				t.Errorf("%s on two pages", id)
			}
			seen[id] = true
		}
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if r := h.Must(200, "GET", "/Users?count=0", ""); r.Body["totalResults"] != 11.0 || len(r.Body["Resources"].([]any)) != 0 {
		t.Errorf("count=0: %s", r.Raw)
	}
}

// patchGroup sends a group PATCH that must succeed.
func patchGroup(t *testing.T, h *e2e.Client, gid, body string) {
	t.Helper()
	if r := h.Do("PATCH", "/Groups/"+gid, body); !groupPatched(r, gid) {
		t.Fatalf("PATCH /Groups/%s: %d %s", gid, r.Status, r.Raw)
	}
}

// groupPatched reports whether r is a successful group PATCH's answer: 204
// with no body, or 200 with the group.
func groupPatched(r e2e.Resp, gid string) bool {
	return r.Status == 204 && r.Raw == "" || r.Status == 200 && r.Body["id"] == gid
}
