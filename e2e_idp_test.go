package scim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim/internal/e2e"
)

// TestOktaUserLifecycle replays Okta's provisioning: lookup with paging
// parameters, create with password, GET then PUT, path-less deactivate.
func TestOktaUserLifecycle(t *testing.T) {
	h := newHarness(t)
	hdr := map[string]string{"Content-Type": "application/json", "Accept": "application/scim+json; charset=utf-8", "User-Agent": "Okta SCIM Client 1.0.0"}
	r := h.DoAs(tokenA, "GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", "", hdr)
	if r.Status != 200 || r.Body["totalResults"] != 0.0 {
		t.Fatalf("lookup: %d %s", r.Status, r.Raw)
	}
	create := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
	  "name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
	  "displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],
	  "password":"1mz050nq","active":true}`
	r = h.DoAs(tokenA, "POST", "/Users", create, hdr)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := r.Body["id"].(string)
	if strings.Contains(r.Raw, "1mz050nq") || strings.Contains(h.logs.String(), "1mz050nq") {
		t.Error("password echoed or logged")
	}
	// A duplicate create is 409 uniqueness (compared case-insensitively).
	dup := h.DoAs(tokenA, "POST", "/Users", strings.Replace(create, "test.user@okta.local\",\n", "TEST.USER@okta.local\",\n", 1), hdr)
	if dup.Status != 409 || dup.Body["scimType"] != "uniqueness" || dup.Body["status"] != "409" {
		t.Errorf("duplicate: %d %s", dup.Status, dup.Raw)
	}
	// GET then PUT of the whole object.
	u := h.Must(200, "GET", "/Users/"+id, "").Body
	u["displayName"] = "Test U. User"
	u["name"].(map[string]any)["middleName"] = "U"
	r = h.DoAs(tokenA, "PUT", "/Users/"+id, mustJSON(t, u), hdr)
	if r.Status != 200 || r.Body["displayName"] != "Test U. User" || e2e.Path(r.Body, "name", "middleName") != "U" {
		t.Fatalf("put: %d %s", r.Status, r.Raw)
	}
	// Path-less deactivate.
	r = h.DoAs(tokenA, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, hdr)
	if r.Status != 200 || r.Body["active"] != false {
		t.Fatalf("deactivate: %d %s", r.Status, r.Raw)
	}
	// Upper-cased lookup still finds the (inactive) user.
	r = h.Must(200, "GET", "/Users?filter=userName%20eq%20%22TEST.USER%40OKTA.LOCAL%22&startIndex=1&count=100", "")
	if r.Body["totalResults"] != 1.0 {
		t.Errorf("case-insensitive lookup: %s", r.Raw)
	}
	// Import: paging over everything.
	r = h.Must(200, "GET", "/Users?startIndex=1&count=2", "")
	if r.Body["totalResults"] != 1.0 || r.Body["itemsPerPage"] != 1.0 {
		t.Errorf("import: %s", r.Raw)
	}
}

// TestOktaGroupPush replays Okta's Group Push.
func TestOktaGroupPush(t *testing.T) {
	h := newHarness(t)
	u1 := h.CreateUser(e2e.UserBody("o1@okta.local"))
	u2 := h.CreateUser(e2e.UserBody("o2@okta.local"))
	u3 := h.CreateUser(e2e.UserBody("o3@okta.local"))
	gid := h.CreateGroup(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`)
	// Rename re-sending id, plus member changes in one request.
	h.Must(204, "PATCH", "/Groups/"+gid, e2e.PatchBody(fmt.Sprintf(`{"op":"replace","value":{"id":"%s","displayName":"Test SCIMv2 renamed"}},
	  {"op":"add","path":"members","value":[{"value":"%s","display":"o1@okta.local"},{"value":"%s","display":"o2@okta.local"}]}`, gid, u1, u2)))
	h.Must(204, "PATCH", "/Groups/"+gid, e2e.PatchBody(fmt.Sprintf(`{"op":"replace","value":{"id":"%s","displayName":"Test SCIMv2 renamed"}},
	  {"op":"remove","path":"members[value eq \"%s\"]"},{"op":"add","path":"members","value":[{"value":"%s","display":"o3@okta.local"}]}`, gid, u1, u3)))
	g := h.Must(200, "GET", "/Groups/"+gid, "").Body
	if g["displayName"] != "Test SCIMv2 renamed" {
		t.Errorf("displayName = %v", g["displayName"])
	}
	if diff := cmp.Diff([]string{u2, u3}, e2e.MemberIDs(g)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	// Whole-list replace.
	h.Must(204, "PATCH", "/Groups/"+gid, e2e.PatchBody(fmt.Sprintf(`{"op":"replace","path":"members","value":[{"value":"%s"}]}`, u1)))
	if diff := cmp.Diff([]string{u1}, e2e.MemberIDs(h.Must(200, "GET", "/Groups/"+gid, "").Body)); diff != "" {
		t.Errorf("after replace (-want +got):\n%s", diff)
	}
	h.Must(204, "DELETE", "/Groups/"+gid, "")
}

// TestOneLoginAndJumpCloud covers their shapes: a SCIM 1.0 schema URN, an
// empty User-Agent, Azure-like member lists, and create-then-delete checks.
func TestOneLoginAndJumpCloud(t *testing.T) {
	h := newHarness(t)
	r := h.DoAs(tokenA, "POST", "/Users", `{"schemas":["urn:scim:schemas:core:1.0","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	  "userName":"ol.user@example.com","name":{"givenName":"One","familyName":"Login"},
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":""}}`, map[string]string{"User-Agent": ""})
	if r.Status != 201 {
		t.Fatalf("OneLogin create: %d %s", r.Status, r.Raw)
	}
	uid := r.Body["id"].(string)
	gid := h.CreateGroup(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"JC group"}`)
	r = h.DoAs(tokenA, "PATCH", "/Groups/"+gid, e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}`), map[string]string{"User-Agent": ""})
	if r.Status != 204 {
		t.Fatalf("member add: %d %s", r.Status, r.Raw)
	}
	// JumpCloud's Test Connection deletes its test user and group.
	h.Must(204, "DELETE", "/Groups/"+gid, "")
	h.Must(204, "DELETE", "/Users/"+uid, "")
	h.Must(404, "GET", "/Users/"+uid, "")
	if r := h.Must(200, "GET", "/Users?filter=userName+eq+%22ol.user%40example.com%22", ""); r.Body["totalResults"] != 0.0 {
		t.Errorf("deleted user still listed: %s", r.Raw)
	}
	// Re-creating the same userName after delete works.
	h.Must(201, "POST", "/Users", e2e.UserBody("ol.user@example.com"))
}

// TestTenantIsolation: another tenant's ids answer exactly like unknown ids.
func TestTenantIsolation(t *testing.T) {
	h := newHarness(t)
	uid := h.CreateUser(e2e.UserBody("iso@a.example"))
	gid := h.CreateGroup(`{"displayName":"A group"}`)
	unknown := h.DoAs(tokenB, "GET", "/Users/00000000-0000-4000-8000-000000000000", "", nil)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/Users/" + uid, ""},
		{"PUT", "/Users/" + uid, e2e.UserBody("stolen@b.example")},
		{"PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"active","value":false}`)},
		{"DELETE", "/Users/" + uid, ""},
		{"GET", "/Groups/" + gid, ""},
		{"PATCH", "/Groups/" + gid, e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"x"}]}`)},
		{"DELETE", "/Groups/" + gid, ""},
	} {
		r := h.DoAs(tokenB, tc.method, tc.path, tc.body, nil)
		if r.Status != 404 || r.Body["detail"] != unknown.Body["detail"] {
			t.Errorf("tenant b %s %s: %d %s", tc.method, tc.path, r.Status, r.Raw)
		}
	}
	if r := h.DoAs(tokenB, "GET", "/Users?filter=userName+eq+%22iso%40a.example%22", "", nil); r.Body["totalResults"] != 0.0 {
		t.Errorf("tenant b sees a's user: %s", r.Raw)
	}
	// Same userName in tenant b is fine; a member from tenant a is not.
	r := h.DoAs(tokenB, "POST", "/Users", e2e.UserBody("iso@a.example"), nil)
	if r.Status != 201 {
		t.Fatalf("tenant b create: %d %s", r.Status, r.Raw)
	}
	bg := h.DoAs(tokenB, "POST", "/Groups", `{"displayName":"B group"}`, nil).Body["id"].(string)
	r = h.DoAs(tokenB, "PATCH", "/Groups/"+bg, e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}`), nil)
	if r.Status != 400 || r.Body["scimType"] != "invalidValue" {
		t.Errorf("cross-tenant member: %d %s", r.Status, r.Raw)
	}
	if a := h.Must(200, "GET", "/Users/"+uid, "").Body; a["active"] != true {
		t.Errorf("tenant a user changed: %v", a)
	}
}
