package scim_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/scimkit/scim/internal/e2e"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestErrors checks status, scimType and the Error schema for bad requests,
// and that a failed write leaves the resource unchanged.
func TestErrors(t *testing.T) {
	h := newHarness(t)
	uid := h.CreateUser(e2e.JunoUser)
	gid := h.CreateGroup(`{"displayName":"G"}`)
	h.CreateUser(e2e.UserBody("taken@contoso.com"))
	before := h.Must(200, "GET", "/Users/"+uid, "").Raw

	tests := []struct {
		name         string
		token        string
		method, path string
		body         string
		hdr          map[string]string
		status       int
		scimType     string
	}{
		{"no token", "-", "GET", "/Users", "", nil, 401, ""},
		{"wrong token", "nope", "GET", "/Users", "", nil, 401, ""},
		{"unknown user", "", "GET", "/Users/does-not-exist", "", nil, 404, ""},
		{"unknown group", "", "GET", "/Groups/does-not-exist", "", nil, 404, ""},
		{"user id under Groups", "", "GET", "/Groups/" + uid, "", nil, 404, ""},
		{"unknown endpoint", "", "GET", "/Widgets", "", nil, 404, ""},
		{"bulk without Operations", "", "POST", "/Bulk", `{}`, nil, 400, "invalidSyntax"},
		{"PATCH on collection", "", "PATCH", "/Users", e2e.PatchBody(""), nil, 405, ""},
		{"POST on resource", "", "POST", "/Users/" + uid, e2e.UserBody("x"), nil, 405, ""},
		{"duplicate userName other case", "", "POST", "/Users", e2e.UserBody("TAKEN@contoso.com"), nil, 409, "uniqueness"},
		{"rename onto taken userName", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"userName","value":"Taken@Contoso.com"}`), nil, 409, "uniqueness"},
		{"missing userName", "", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`, nil, 400, "invalidValue"},
		{"not JSON", "", "POST", "/Users", `{"userName":`, nil, 400, "invalidSyntax"},
		{"JSON array", "", "POST", "/Users", `[]`, nil, 400, "invalidSyntax"},
		{"duplicate key", "", "POST", "/Users", `{"userName":"d1@x","userName":"d2@x"}`, nil, 400, "invalidSyntax"},
		{"keys differing in case", "", "POST", "/Users", `{"userName":"d1@x","USERNAME":"d2@x"}`, nil, 400, "invalidSyntax"},
		{"PATCH duplicate key", "", "PATCH", "/Users/" + uid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"a","value":"b"}]}`, nil, 400, "invalidSyntax"},
		{"PATCH body empty", "", "PATCH", "/Users/" + uid, ` `, nil, 400, "invalidSyntax"},

		{"deep JSON", "", "POST", "/Users", strings.Repeat("[", 100000), nil, 400, "invalidSyntax"},
		{"text/plain", "", "POST", "/Users", e2e.UserBody("x"), map[string]string{"Content-Type": "text/plain"}, 415, ""},
		{"body too large", "", "POST", "/Users", `{"userName":"` + strings.Repeat("a", 2<<20) + `"}`, nil, 413, ""},
		{"wrong type", "", "POST", "/Users", `{"userName":"w@x","active":{}}`, nil, 400, "invalidValue"},
		{"emails as string", "", "POST", "/Users", `{"userName":"w@x","emails":"x"}`, nil, 400, "invalidValue"},
		{"bad filter", "", "GET", "/Users?filter=userName+eq", "", nil, 400, "invalidFilter"},
		{"unknown operator", "", "GET", "/Users?filter=userName+xx+%22a%22", "", nil, 400, "invalidFilter"},
		{"unknown attribute", "", "GET", "/Users?filter=shoeSize+eq+%22a%22", "", nil, 400, "invalidFilter"},
		{"deep filter", "", "GET", "/Users?filter=" + strings.Repeat("%28", 10000) + "userName+pr" + strings.Repeat("%29", 10000), "", nil, 400, "invalidFilter"},
		{"password filter", "", "GET", "/Users?filter=password+eq+%22x%22", "", nil, 403, "sensitive"},
		{"password filter in search", "", "POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"password eq \"x\""}`, nil, 400, "invalidFilter"},
		{"bad count", "", "GET", "/Users?count=abc", "", nil, 400, "invalidValue"},
		{"PATCH without schemas", "", "PATCH", "/Users/" + uid, `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`, nil, 400, "invalidSyntax"},
		{"PATCH move", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"move","path":"title","value":"x"}`), nil, 400, "invalidSyntax"},
		{"PATCH bad path", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"name..givenName","value":"x"}`), nil, 400, "invalidPath"},
		{"PATCH unknown attribute", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"foo.bar","value":"x"}`), nil, 400, "invalidPath"},
		{"PATCH remove without path", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"remove"}`), nil, 400, "noTarget"},
		{"PATCH replace unmatched or-filter", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"emails[type eq \"home\" or type eq \"other\"].display","value":"x"}`), nil, 400, "noTarget"},
		{"PATCH replace unmatched value filter", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"ims[value eq \"nobody\"].display","value":"x"}`), nil, 400, "noTarget"},
		{"PATCH remove userName", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"remove","path":"userName"}`), nil, 400, "mutability"},
		{"PATCH replace id", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"id","value":"x"}`), nil, 400, "mutability"},
		{"PATCH groups", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"add","path":"groups","value":[{"value":"` + gid + `"}]}`), nil, 400, "mutability"},
		{"PATCH atomic", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"displayName","value":"Changed"},{"op":"replace","path":"nope","value":"x"}`), nil, 400, "invalidPath"},
		{"PATCH wrong value type", "", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"active","value":"maybe"}`), nil, 400, "invalidValue"},
		{"group unknown member", "", "PATCH", "/Groups/" + gid, e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"` + uid + `"},{"value":"no-such-user"}]}`), nil, 400, "invalidValue"},
		{"group remove displayName", "", "PATCH", "/Groups/" + gid, e2e.PatchBody(`{"op":"remove","path":"displayName"}`), nil, 400, "mutability"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := tokenA
			switch tc.token {
			case "-":
				tok = ""
			case "":
			default:
				tok = tc.token
			}
			hdr := map[string]string{}
			if tc.body != "" {
				hdr["Content-Type"] = "application/scim+json"
			}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			r := h.DoAs(tok, tc.method, tc.path, tc.body, hdr)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d\n%.300s", r.Status, tc.status, r.Raw)
			}
			if r.Body["status"] != fmt.Sprint(tc.status) {
				t.Errorf("body status %v, want %q", r.Body["status"], fmt.Sprint(tc.status))
			}
			if st, _ := r.Body["scimType"].(string); st != tc.scimType {
				t.Errorf("scimType %q, want %q", st, tc.scimType)
			}
			if s := e2e.Path(r.Body, "schemas", 0); s != "urn:ietf:params:scim:api:messages:2.0:Error" {
				t.Errorf("schemas = %v", r.Body["schemas"])
			}
			if d, _ := r.Body["detail"].(string); d == "" || len(d) > 300 {
				t.Errorf("detail %q: want a short helpful message", d)
			}
			if tc.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if after := h.Must(200, "GET", "/Users/"+uid, "").Raw; after != before {
		t.Errorf("failed requests changed the user:\nbefore %s\nafter  %s", before, after)
	}
	if g := h.Must(200, "GET", "/Groups/"+gid, "").Body; len(e2e.MemberIDs(g)) != 0 || g["displayName"] != "G" {
		t.Errorf("failed requests changed the group: %v", g)
	}
	for _, secret := range []string{tokenA, tokenB, "nope"} {
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("log contains a token")
		}
	}
}

// TestDiscovery checks the discovery endpoints against the real schema.
func TestDiscovery(t *testing.T) {
	h := newHarness(t)
	spc := h.Must(200, "GET", "/ServiceProviderConfig", "").Body
	if e2e.Path(spc, "patch", "supported") != true || e2e.Path(spc, "bulk", "supported") != true ||
		e2e.Path(spc, "filter", "supported") != true || e2e.Path(spc, "filter", "maxResults") != 1000.0 {
		t.Errorf("ServiceProviderConfig: %v", spc)
	}
	rts := h.Must(200, "GET", "/ResourceTypes", "").Body
	if rts["totalResults"] != 2.0 {
		t.Errorf("ResourceTypes: %v", rts)
	}
	ut := h.Must(200, "GET", "/resourcetypes/User", "").Body
	if ut["endpoint"] != "/Users" || e2e.Path(ut, "schemaExtensions", 0, "schema") != e2e.EnterpriseURN {
		t.Errorf("User resource type: %v", ut)
	}
	sch := h.Must(200, "GET", "/Schemas", "").Body
	names := map[string]bool{}
	for _, s := range sch["Resources"].([]any) {
		id := e2e.Path(s, "id").(string)
		for _, a := range e2e.Path(s, "attributes").([]any) {
			names[strings.ToLower(id+":"+e2e.Path(a, "name").(string))] = true
			if subs, ok := e2e.Path(a, "subAttributes").([]any); ok {
				for _, sa := range subs {
					names[strings.ToLower(id+":"+e2e.Path(a, "name").(string)+"."+e2e.Path(sa, "name").(string))] = true
				}
			}
		}
	}
	core := "urn:ietf:params:scim:schemas:core:2.0:user:"
	for _, n := range []string{core + "username", core + "active", core + "emails.value", core + "addresses.postalcode",
		core + "name.middlename", core + "phonenumbers.type", core + "preferredlanguage", core + "title",
		strings.ToLower(e2e.EnterpriseURN) + ":manager", strings.ToLower(e2e.EnterpriseURN) + ":costcenter",
		"urn:ietf:params:scim:schemas:core:2.0:group:members.value"} {
		if !names[n] {
			t.Errorf("/Schemas lacks %s", n)
		}
	}
	if s := h.Must(200, "GET", "/Schemas/"+e2e.EnterpriseURN, "").Body; s["id"] != e2e.EnterpriseURN {
		t.Errorf("schema by URN: %v", s)
	}
	h.Must(403, "GET", "/Schemas?filter=id+pr", "")
}

// TestProjection checks attributes and excludedAttributes.
func TestProjection(t *testing.T) {
	h := newHarness(t)
	id := h.CreateUser(e2e.JunoUser)
	r := h.Must(200, "GET", "/Users/"+id+"?attributes=userName,name.givenName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "")
	want := map[string]any{"schemas": r.Body["schemas"], "id": id,
		"userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
		"name":     map[string]any{"givenName": "Ada"}, e2e.EnterpriseURN: map[string]any{"department": "Engineering"}}
	if got := mustJSON(t, r.Body); got != mustJSON(t, want) {
		t.Errorf("attributes:\n got %s\nwant %s", got, mustJSON(t, want))
	}
	r = h.Must(200, "GET", "/Users/"+id+"?excludedAttributes=emails,name.familyName,id", "")
	if r.Body["emails"] != nil || e2e.Path(r.Body, "name", "familyName") != nil || r.Body["id"] != id || e2e.Path(r.Body, "name", "givenName") != "Ada" {
		t.Errorf("excludedAttributes: %s", r.Raw)
	}
	r = h.Must(200, "GET", "/Users?filter=userName+eq+%22test_user_ab6490ee-1e48-479e-a20b-2d77186b5dd1%40contoso.com%22&attributes=id", "")
	if e2e.Path(r.Body, "Resources", 0, "id") != id || e2e.Path(r.Body, "Resources", 0, "userName") != nil {
		t.Errorf("list attributes=id: %s", r.Raw)
	}
	// emails[type eq "work"].value eq filter, Entra's form.
	r = h.Must(200, "GET", "/Users?filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22test_user_fd0ea19b%40contoso.com%22", "")
	if r.Body["totalResults"] != 1.0 {
		t.Errorf("emails filter: %s", r.Raw)
	}
}
