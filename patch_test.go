package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

const (
	ptUserID    = "2819c223-7f76-453a-919d-413861904646"
	ptManagerID = "26118915-6090-4610-87e4-49d8ca9f808d"
	ptGroupID   = "e9e30dba-f08f-4109-8486-d5c6a331660a"
)

// ptUserJSON is a realistic stored User in its canonical doc form.
const ptUserJSON = `{
	"id": "` + ptUserID + `",
	"externalId": "701984",
	"userName": "bjensen@example.com",
	"name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
	"displayName": "Babs Jensen",
	"title": "Tour Guide",
	"preferredLanguage": "en-US",
	"active": true,
	"emails": [
		{"value": "bjensen@example.com", "type": "work", "primary": true},
		{"value": "babs@jensen.org", "type": "home"}
	],
	"phoneNumbers": [
		{"value": "555-555-5555", "type": "work"},
		{"value": "555-555-4444", "type": "mobile"}
	],
	"addresses": [
		{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA",
		 "postalCode": "91608", "country": "USA", "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": true}
	],
	"groups": [{"value": "` + ptGroupID + `", "display": "Tour Guides", "type": "direct"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
		"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
		"division": "Theme Park", "department": "Tour Operations",
		"manager": {"value": "` + ptManagerID + `", "$ref": "../Users/` + ptManagerID + `", "displayName": "John Smith"}
	},
	"meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z",
		"version": "W/\"3694e05e9dff591\"", "location": "https://example.com/v2/Users/` + ptUserID + `"}
}`

const ptGroupJSON = `{
	"id": "` + ptGroupID + `",
	"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
	"displayName": "Tour Guides",
	"meta": {"resourceType": "Group", "created": "2010-01-23T04:56:22Z", "version": "W/\"1\""}
}`

// ptOps wraps operations in a PATCH request body.
func ptOps(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

func ptEnt(d map[string]any) map[string]any {
	m, _ := d[ntEnterprise].(map[string]any)
	if m == nil {
		m = map[string]any{}
		d[ntEnterprise] = m
	}
	return m
}

func ptElem(d map[string]any, attr string, i int) map[string]any {
	return d[attr].([]any)[i].(map[string]any)
}

type ptCase struct {
	name  string
	rt    *schema.ResourceType // nil: User
	start func(d map[string]any)
	body  string
	// Either the expected result, as an edit of the starting doc,
	want func(d map[string]any)
	// or the expected error.
	status   int
	scimType string
}

func (tt ptCase) run(t *testing.T) {
	t.Helper()
	rt := tt.rt
	base := ptUserJSON
	if rt == nil {
		rt = schema.User()
	} else if rt.ID == "Group" {
		base = ptGroupJSON
	}
	doc := ntDecode(t, base)
	if tt.start != nil {
		tt.start(doc)
	}
	orig := deepCopyMap(doc)
	ops, err := ParsePatch([]byte(tt.body))
	var got map[string]any
	if err == nil {
		got, err = ApplyPatch(rt, doc, ops)
	}
	if diff := cmp.Diff(orig, doc); diff != "" {
		t.Errorf("ApplyPatch changed its input (-before +after):\n%s", diff)
	}
	if tt.want == nil {
		ntWantError(t, err, tt.status, tt.scimType)
		if got != nil {
			t.Errorf("ApplyPatch returned a doc with its error")
		}
		return
	}
	if err != nil {
		t.Fatalf("PATCH failed: %v", err)
	}
	want := deepCopyMap(orig)
	tt.want(want)
	pruneEmpty(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// TestPatchIdPDialects replays every PATCH body of azure.md.
func TestPatchIdPDialects(t *testing.T) {
	tests := []ptCase{
		// Entra, default (legacy) behaviour.
		{
			name: "entra replace work email and family name",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
				{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`,
			want: func(d map[string]any) {
				ptElem(d, "emails", 0)["value"] = "updatedEmail@microsoft.com"
				d["name"].(map[string]any)["familyName"] = "updatedFamilyName"
			},
		},
		{
			name: "entra replace userName",
			body: `{"Operations":[{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}],
				"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			want: func(d map[string]any) { d["userName"] = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" },
		},
		{
			name:  "entra add department",
			start: func(d map[string]any) { delete(ptEnt(d), "department") },
			body:  ptOps(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Retail"}`),
			want:  func(d map[string]any) { ptEnt(d)["department"] = "Retail" },
		},
		{
			name:  "entra add department to a user without the extension",
			start: func(d map[string]any) { delete(d, ntEnterprise) },
			body:  ptOps(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Retail"}`),
			want:  func(d map[string]any) { d[ntEnterprise] = map[string]any{"department": "Retail"} },
		},
		{
			name:  "entra laravel #34: work email, work address, department",
			start: func(d map[string]any) { delete(ptEnt(d), "department") },
			body: ptOps(
				`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"}`,
				`{"op":"Replace","path":"addresses[type eq \"work\"].formatted","value":"1 Microsoft Way"}`,
				`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}`),
			want: func(d map[string]any) {
				ptElem(d, "emails", 0)["value"] = "new@contoso.com"
				ptElem(d, "addresses", 0)["formatted"] = "1 Microsoft Way"
				ptEnt(d)["department"] = "Sales"
			},
		},
		{
			name:  "entra add work address on a user without addresses creates it",
			start: func(d map[string]any) { delete(d, "addresses") },
			body:  ptOps(`{"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"Columbus"}`),
			want: func(d map[string]any) {
				d["addresses"] = []any{map[string]any{"type": "work", "formatted": "Columbus"}}
			},
		},
		{
			name:  "entra replace work email on a user without emails creates it",
			start: func(d map[string]any) { delete(d, "emails") },
			body:  ptOps(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"a@contoso.com"}`),
			want: func(d map[string]any) {
				d["emails"] = []any{map[string]any{"type": "work", "value": "a@contoso.com"}}
			},
		},
		{
			name: "entra phone numbers: fax created, mobile replaced, work postal code added",
			body: ptOps(
				`{"op":"Add","path":"phoneNumbers[type eq \"fax\"].value","value":"555-555-0000"}`,
				`{"op":"Replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"555-555-1111"}`,
				`{"op":"Add","path":"addresses[type eq \"work\"].postalCode","value":"91609"}`),
			want: func(d map[string]any) {
				ptElem(d, "phoneNumbers", 1)["value"] = "555-555-1111"
				d["phoneNumbers"] = append(d["phoneNumbers"].([]any), map[string]any{"type": "fax", "value": "555-555-0000"})
				ptElem(d, "addresses", 0)["postalCode"] = "91609"
			},
		},
		{
			name: "entra disable with a string boolean",
			body: ptOps(`{"op":"Replace","path":"active","value":"False"}`),
			want: func(d map[string]any) { d["active"] = false },
		},
		{
			name:  "entra re-enable with a string boolean",
			start: func(d map[string]any) { d["active"] = false },
			body:  ptOps(`{"op":"Replace","path":"active","value":"True"}`),
			want:  func(d map[string]any) { d["active"] = true },
		},
		{
			name: "entra add nickName",
			body: ptOps(`{"op":"Add","path":"nickName","value":"Babs"}`),
			want: func(d map[string]any) { d["nickName"] = "Babs" },
		},
		{
			name: "entra legacy one op per attribute",
			body: ptOps(
				`{"op":"Replace","path":"displayName","value":"Bjfe"}`,
				`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"bj@example.com"}`,
				`{"op":"Replace","path":"name.givenName","value":"Kkom"}`,
				`{"op":"Replace","path":"name.familyName","value":"Unua"}`,
				`{"op":"Replace","path":"externalId","value":"ext-1"}`,
				`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Aklq"}`),
			want: func(d map[string]any) {
				d["displayName"] = "Bjfe"
				ptElem(d, "emails", 0)["value"] = "bj@example.com"
				d["name"].(map[string]any)["givenName"] = "Kkom"
				d["name"].(map[string]any)["familyName"] = "Unua"
				d["externalId"] = "ext-1"
				ptEnt(d)["employeeNumber"] = "Aklq"
			},
		},
		{
			name: "entra legacy wrapped value",
			body: ptOps(`{"op":"Replace","path":"name.givenName","value":[{"$ref":null,"value":"Barb"}]}`),
			want: func(d map[string]any) { d["name"].(map[string]any)["givenName"] = "Barb" },
		},
		{
			name: "entra legacy extension path with a dot",
			body: ptOps(`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department","value":"Retail"}`),
			want: func(d map[string]any) { ptEnt(d)["department"] = "Retail" },
		},
		// Entra with aadOptscim062020.
		{
			name: "entra flag disable",
			body: ptOps(`{"op":"replace","path":"active","value":false}`),
			want: func(d map[string]any) { d["active"] = false },
		},
		{
			name: "entra flag add nickName",
			body: ptOps(`{"op":"add","path":"nickName","value":"Babs"}`),
			want: func(d map[string]any) { d["nickName"] = "Babs" },
		},
		{
			name: "entra flag path-less replace with dotted and URN keys",
			body: ptOps(
				`{"op":"replace","path":"emails[type eq \"work\"].value","value":"bj@example.com"}`,
				`{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
					"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}`),
			want: func(d map[string]any) {
				ptElem(d, "emails", 0)["value"] = "bj@example.com"
				d["displayName"] = "Bjfe"
				d["name"].(map[string]any)["givenName"] = "Kkom"
				d["name"].(map[string]any)["familyName"] = "Unua"
				ptEnt(d)["employeeNumber"] = "Aklq"
			},
		},
		// Entra manager forms.
		{
			name: "entra set manager as a bare id",
			body: ptOps(`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-2"}`),
			// A new manager: the old one's $ref and displayName go.
			want: func(d map[string]any) { ptEnt(d)["manager"] = map[string]any{"value": "m-2"} },
		},
		{
			name:  "entra add manager as a bare id",
			start: func(d map[string]any) { delete(ptEnt(d), "manager") },
			body:  ptOps(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-2"}`),
			want:  func(d map[string]any) { ptEnt(d)["manager"] = map[string]any{"value": "m-2"} },
		},
		{
			name: "entra re-sends the same manager: nothing changes",
			body: ptOps(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"` + ptManagerID + `"}`),
			want: func(d map[string]any) {},
		},
		{
			name: "entra example 5: manager path with a wrapped reference",
			body: ptOps(`{"op":"Add","path":"manager","value":[{"$ref":"http://example.com/Users/m-3","value":"m-3"}]}`),
			want: func(d map[string]any) {
				ptEnt(d)["manager"] = map[string]any{"$ref": "http://example.com/Users/m-3", "value": "m-3"}
			},
		},
		{
			name: "entra path-less manager key",
			body: ptOps(`{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m-4"}}`),
			want: func(d map[string]any) { ptEnt(d)["manager"] = map[string]any{"value": "m-4"} },
		},
		{
			name: "remove manager by path",
			body: ptOps(`{"op":"remove","path":"manager"}`),
			want: func(d map[string]any) { delete(ptEnt(d), "manager") },
		},
		{
			name: "remove manager by URN path",
			body: ptOps(`{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`),
			want: func(d map[string]any) { delete(ptEnt(d), "manager") },
		},
		{
			name: "remove manager by value filter",
			body: ptOps(`{"op":"remove","path":"manager[value eq \"` + ptManagerID + `\"]"}`),
			want: func(d map[string]any) { delete(ptEnt(d), "manager") },
		},
		{
			name: "remove manager by a value filter that does not match",
			body: ptOps(`{"op":"remove","path":"manager[value eq \"someone-else\"]"}`),
			want: func(d map[string]any) {},
		},
		{
			name:  "remove absent manager by value filter",
			start: func(d map[string]any) { delete(ptEnt(d), "manager") },
			body:  ptOps(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq \"x\"]"}`),
			want:  func(d map[string]any) {},
		},
		{
			name: "replace manager with an empty string",
			body: ptOps(`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}`),
			want: func(d map[string]any) { delete(ptEnt(d), "manager") },
		},
		{
			name: "replace manager with null",
			body: ptOps(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":null}`),
			want: func(d map[string]any) { delete(ptEnt(d), "manager") },
		},
		{
			name: "replace manager with {}",
			body: ptOps(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{}}`),
			want: func(d map[string]any) { delete(ptEnt(d), "manager") },
		},
		{
			name: "path-less replace of the manager with {}",
			body: ptOps(`{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{}}}}`),
			want: func(d map[string]any) { delete(ptEnt(d), "manager") },
		},
		// Entra validation suite.
		{
			name: "SCIM_Null_Update with empty strings",
			body: ptOps(`{"op":"replace","value":{"title":"","displayName":"","name.givenName":"","preferredLanguage":"",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":""}}`),
			want: func(d map[string]any) {
				delete(d, "title")
				delete(d, "displayName")
				delete(d["name"].(map[string]any), "givenName")
				delete(d, "preferredLanguage")
				delete(ptEnt(d), "department")
			},
		},
		{
			name: "SCIM_Null_Update with nulls",
			body: ptOps(`{"op":"Replace","path":"title","value":null}`, `{"op":"Add","path":"displayName","value":null}`,
				`{"op":"Replace","path":"emails[type eq \"work\"].value","value":null}`,
				`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":""}`),
			want: func(d map[string]any) {
				delete(d, "title")
				delete(d, "displayName")
				d["emails"] = d["emails"].([]any)[1:] // the work email lost its value
				delete(ptEnt(d), "costCenter")
			},
		},
		{
			name: "validator creates typed emails with mixed add and replace",
			body: ptOps(
				`{"op":"add","path":"emails[type eq \"other\"].value","value":"other@example.com"}`,
				`{"op":"replace","path":"emails[type eq \"other\"].display","value":"Other"}`,
				`{"op":"replace","path":"emails[type eq \"other\"].primary","value":true}`,
				`{"op":"replace","path":"emails[type eq \"home\"].display","value":"Home"}`),
			want: func(d map[string]any) {
				delete(ptElem(d, "emails", 0), "primary")
				ptElem(d, "emails", 1)["display"] = "Home"
				d["emails"] = append(d["emails"].([]any), map[string]any{"type": "other", "value": "other@example.com", "display": "Other", "primary": true})
			},
		},
		{
			name: "validator: empty Operations is a no-op",
			body: ptOps(),
			want: func(d map[string]any) {},
		},
		// Okta.
		{
			name: "okta deactivate",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
			want: func(d map[string]any) { d["active"] = false },
		},
		{
			name: "okta password sync is accepted and dropped",
			body: ptOps(`{"op":"replace","value":{"password":"t1meMa$heen"}}`),
			want: func(d map[string]any) {},
		},
		{
			name: "okta path-less replace re-sending the id",
			body: ptOps(`{"op":"replace","value":{"id":"` + ptUserID + `","displayName":"Barbara Jensen"}}`),
			want: func(d map[string]any) { d["displayName"] = "Barbara Jensen" },
		},
		{
			name: "okta group rename re-sending the id",
			rt:   schema.Group(),
			body: ptOps(`{"op":"replace","value":{"id":"` + ptGroupID + `","displayName":"Tour Guides EMEA"}}`),
			want: func(d map[string]any) { d["displayName"] = "Tour Guides EMEA" },
		},
		// Group attribute operations (members go through splitGroupPatch).
		{
			name: "entra group rename",
			rt:   schema.Group(),
			body: ptOps(`{"op":"Replace","path":"displayName","value":"Renamed"}`),
			want: func(d map[string]any) { d["displayName"] = "Renamed" },
		},
		{
			name:     "remove group displayName",
			rt:       schema.Group(),
			body:     ptOps(`{"op":"remove","path":"displayName"}`),
			status:   http.StatusBadRequest,
			scimType: Mutability,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// TestPatchSemantics covers RFC 7644 section 3.5.2 on the User schema.
func TestPatchSemantics(t *testing.T) {
	tests := []ptCase{
		{
			name: "add emails appends new values and skips equal ones",
			body: ptOps(`{"op":"add","path":"emails","value":[{"value":"babs@jensen.org","type":"home"},{"value":"b@x.org","type":"other"}]}`),
			want: func(d map[string]any) {
				d["emails"] = append(d["emails"].([]any), map[string]any{"value": "b@x.org", "type": "other"})
			},
		},
		{
			name: "add a primary email unsets the old primary",
			body: ptOps(`{"op":"add","path":"emails","value":[{"value":"b@x.org","type":"other","primary":true}]}`),
			want: func(d map[string]any) {
				delete(ptElem(d, "emails", 0), "primary")
				d["emails"] = append(d["emails"].([]any), map[string]any{"value": "b@x.org", "type": "other", "primary": true})
			},
		},
		{
			name: "add one object to a multi-valued attribute",
			body: ptOps(`{"op":"add","path":"emails","value":{"value":"b@x.org"}}`),
			want: func(d map[string]any) {
				d["emails"] = append(d["emails"].([]any), map[string]any{"value": "b@x.org"})
			},
		},
		{
			name: "add an empty list changes nothing",
			body: ptOps(`{"op":"add","path":"emails","value":[]}`),
			want: func(d map[string]any) {},
		},
		{
			name: "replace emails replaces the list",
			body: ptOps(`{"op":"replace","path":"emails","value":[{"value":"only@x.org","type":"work"}]}`),
			want: func(d map[string]any) { d["emails"] = []any{map[string]any{"value": "only@x.org", "type": "work"}} },
		},
		{
			name: "replace emails with an empty list clears it",
			body: ptOps(`{"op":"replace","path":"emails","value":[]}`),
			want: func(d map[string]any) { delete(d, "emails") },
		},
		{
			name: "add to a complex attribute merges",
			body: ptOps(`{"op":"add","path":"name","value":{"middleName":"Jane"}}`),
			want: func(d map[string]any) { d["name"].(map[string]any)["middleName"] = "Jane" },
		},
		{
			name: "replace a complex attribute leaves sub-attributes not given",
			body: ptOps(`{"op":"replace","path":"name","value":{"givenName":"Barb"}}`),
			want: func(d map[string]any) { d["name"].(map[string]any)["givenName"] = "Barb" },
		},
		{
			name: "path-less add: parent before its sub-attribute",
			body: ptOps(`{"op":"add","value":{"name.givenName":"B","name":{"givenName":"A","middleName":"M"}}}`),
			want: func(d map[string]any) {
				d["name"].(map[string]any)["givenName"] = "B"
				d["name"].(map[string]any)["middleName"] = "M"
			},
		},
		{
			name:  "add a sub-attribute of an absent complex attribute",
			start: func(d map[string]any) { delete(d, "name") },
			body:  ptOps(`{"op":"add","path":"name.givenName","value":"B"}`),
			want:  func(d map[string]any) { d["name"] = map[string]any{"givenName": "B"} },
		},
		{
			name: "remove a sub-attribute",
			body: ptOps(`{"op":"remove","path":"name.givenName"}`),
			want: func(d map[string]any) { delete(d["name"].(map[string]any), "givenName") },
		},
		{
			name:  "removing the last sub-attribute removes the attribute",
			start: func(d map[string]any) { d["name"] = map[string]any{"givenName": "B"} },
			body:  ptOps(`{"op":"remove","path":"name.givenName"}`),
			want:  func(d map[string]any) { delete(d, "name") },
		},
		{
			name: "remove a whole attribute",
			body: ptOps(`{"op":"remove","path":"phoneNumbers"}`),
			want: func(d map[string]any) { delete(d, "phoneNumbers") },
		},
		{
			name: "remove an absent attribute succeeds",
			body: ptOps(`{"op":"remove","path":"nickName"}`, `{"op":"remove","path":"ims[type eq \"aim\"]"}`, `{"op":"remove","path":"x509Certificates.value"}`),
			want: func(d map[string]any) {},
		},
		{
			name: "remove matching elements",
			body: ptOps(`{"op":"remove","path":"emails[type eq \"home\"]"}`),
			want: func(d map[string]any) { d["emails"] = d["emails"].([]any)[:1] },
		},
		{
			name: "remove with an or filter",
			body: ptOps(`{"op":"remove","path":"phoneNumbers[type eq \"work\" or type eq \"mobile\"]"}`),
			want: func(d map[string]any) { delete(d, "phoneNumbers") },
		},
		{
			name: "remove a sub-attribute of matching elements",
			body: ptOps(`{"op":"remove","path":"emails[type eq \"work\"].primary"}`),
			want: func(d map[string]any) { delete(ptElem(d, "emails", 0), "primary") },
		},
		{
			name: "replacing primary with false removes it",
			body: ptOps(`{"op":"replace","path":"emails[type eq \"work\"].primary","value":false},{"op":"add","path":"emails","value":[{"value":"c@x.org","primary":false}]}`),
			want: func(d map[string]any) {
				delete(ptElem(d, "emails", 0), "primary")
				d["emails"] = append(d["emails"].([]any), map[string]any{"value": "c@x.org"})
			},
		},
		{
			name: "an element reduced to type and primary goes",
			body: ptOps(`{"op":"remove","path":"emails[type eq \"work\"].value"}`),
			want: func(d map[string]any) { d["emails"] = d["emails"].([]any)[1:] },
		},
		{
			name: "remove with a value list removes only those values",
			body: ptOps(`{"op":"remove","path":"emails","value":[{"value":"babs@jensen.org"}]}`),
			want: func(d map[string]any) { d["emails"] = d["emails"].([]any)[:1] },
		},
		{
			name: "remove with a value list matches whole elements when no value is given",
			body: ptOps(`{"op":"remove","path":"emails","value":[{"type":"home"},{"value":"babs@jensen.org","type":"home"}]}`),
			want: func(d map[string]any) { d["emails"] = d["emails"].([]any)[:1] },
		},
		{
			name: "remove with a value list of no match",
			body: ptOps(`{"op":"remove","path":"emails","value":[{"type":"home"}]}`),
			want: func(d map[string]any) {},
		},
		{
			name: "replace a whole matching element",
			body: ptOps(`{"op":"replace","path":"addresses[type eq \"work\"]","value":{"type":"work","streetAddress":"911 Universal City Plaza","primary":true}}`),
			want: func(d map[string]any) {
				d["addresses"] = []any{map[string]any{"type": "work", "streetAddress": "911 Universal City Plaza", "primary": true}}
			},
		},
		{
			name: "add to matching elements merges",
			body: ptOps(`{"op":"add","path":"addresses[type eq \"work\"]","value":{"locality":"Burbank"}}`),
			want: func(d map[string]any) { ptElem(d, "addresses", 0)["locality"] = "Burbank" },
		},
		{
			name: "add an element for a filter that matches nothing",
			body: ptOps(`{"op":"add","path":"addresses[type eq \"home\"]","value":{"locality":"Burbank"}}`),
			want: func(d map[string]any) {
				d["addresses"] = append(d["addresses"].([]any), map[string]any{"type": "home", "locality": "Burbank"})
			},
		},
		{
			name: "create from an and of eq comparisons",
			body: ptOps(`{"op":"replace","path":"phoneNumbers[type eq \"fax\" and primary eq true].value","value":"555"}`),
			want: func(d map[string]any) {
				d["phoneNumbers"] = append(d["phoneNumbers"].([]any), map[string]any{"type": "fax", "primary": true, "value": "555"})
			},
		},
		{
			name: "replace primary with a string boolean moves primary",
			body: ptOps(`{"op":"replace","path":"emails[type eq \"home\"].primary","value":"True"}`),
			want: func(d map[string]any) {
				delete(ptElem(d, "emails", 0), "primary")
				ptElem(d, "emails", 1)["primary"] = true
			},
		},
		{
			name: "a sub-attribute without a filter applies to every element",
			body: ptOps(`{"op":"replace","path":"phoneNumbers.display","value":"call me"}`),
			want: func(d map[string]any) {
				ptElem(d, "phoneNumbers", 0)["display"] = "call me"
				ptElem(d, "phoneNumbers", 1)["display"] = "call me"
			},
		},
		{
			name: "an empty value for a matched sub-attribute with no match changes nothing",
			body: ptOps(`{"op":"replace","path":"emails[type eq \"other\"].value","value":""}`),
			want: func(d map[string]any) {},
		},
		{
			name: "case-insensitive path, filter and sub-attribute",
			body: ptOps(`{"op":"REPLACE","path":"EMAILS[TYPE EQ \"WORK\"].VALUE","value":"x@y.z"}`),
			want: func(d map[string]any) { ptElem(d, "emails", 0)["value"] = "x@y.z" },
		},
		{
			name: "add a whole extension merges its attributes",
			body: ptOps(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"division":"Studios","Organization":"NBC"}}`),
			want: func(d map[string]any) {
				ptEnt(d)["division"] = "Studios"
				ptEnt(d)["organization"] = "NBC"
			},
		},
		{
			name: "path-less extension object",
			body: ptOps(`{"op":"replace","value":{"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"costCenter":"1","manager":"m-9"}}}`),
			want: func(d map[string]any) {
				ptEnt(d)["costCenter"] = "1"
				ptEnt(d)["manager"] = map[string]any{"value": "m-9"}
			},
		},
		{
			name: "remove a whole extension",
			body: ptOps(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}`),
			want: func(d map[string]any) { delete(d, ntEnterprise) },
		},
		{
			name: "removing the last extension attribute removes the extension",
			start: func(d map[string]any) {
				d[ntEnterprise] = map[string]any{"department": "D"}
			},
			body: ptOps(`{"op":"remove","path":"department"}`),
			want: func(d map[string]any) { delete(d, ntEnterprise) },
		},
		{
			name: "change the manager's value by its sub-attribute path",
			body: ptOps(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m-5"}`),
			want: func(d map[string]any) { ptEnt(d)["manager"] = map[string]any{"value": "m-5"} },
		},
		{
			name: "schemas in a path-less value are ignored",
			body: ptOps(`{"op":"replace","value":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"title":"Boss"}}`),
			want: func(d map[string]any) { d["title"] = "Boss" },
		},
		{
			name: "operations apply in order",
			body: ptOps(`{"op":"replace","path":"title","value":"A"}`, `{"op":"remove","path":"title"}`, `{"op":"add","path":"title","value":"B"}`),
			want: func(d map[string]any) { d["title"] = "B" },
		},
		{
			name: "remove and re-add a primary email",
			body: ptOps(`{"op":"remove","path":"emails[primary eq true]"}`, `{"op":"add","path":"emails","value":[{"value":"new@x","primary":"true"}]}`),
			want: func(d map[string]any) {
				d["emails"] = []any{ptElem(d, "emails", 1), map[string]any{"value": "new@x", "primary": true}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestPatchErrors(t *testing.T) {
	const bad = http.StatusBadRequest
	tests := []ptCase{
		{name: "remove without a path", body: ptOps(`{"op":"remove"}`), scimType: NoTarget},
		{name: "replace a typed email that cannot exist", body: ptOps(`{"op":"replace","path":"emails[type eq \"nonexistent\"].value","value":"x"}`), scimType: NoTarget},
		{name: "replace with a non-eq filter that matches nothing", body: ptOps(`{"op":"replace","path":"emails[value co \"zzz\"].display","value":"x"}`), scimType: NoTarget},
		{name: "replace with an or filter that matches nothing", body: ptOps(`{"op":"replace","path":"emails[type eq \"other\" or type eq \"home\" and value eq \"q\"].value","value":"x"}`), scimType: NoTarget},
		{name: "no create without a type comparison", body: ptOps(`{"op":"replace","path":"ims[value eq \"nobody\"].display","value":"x"}`), scimType: NoTarget},
		{name: "no create from a value comparison", body: ptOps(`{"op":"add","path":"emails[value eq \"x@y\"].primary","value":true}`), scimType: NoTarget},
		{name: "create with conflicting eq comparisons", body: ptOps(`{"op":"add","path":"emails[type eq \"other\" and type eq \"home\"].value","value":"x"}`), scimType: NoTarget},
		{name: "a second manager", body: ptOps(`{"op":"replace","path":"manager[value eq \"other\"].value","value":"x"}`), scimType: NoTarget},
		{name: "double dot", body: ptOps(`{"op":"replace","path":"name..givenName","value":"x"}`), scimType: InvalidPath},
		{name: "incomplete filter", body: ptOps(`{"op":"replace","path":"emails[type eq]","value":"x"}`), scimType: InvalidPath},
		{name: "trailing dot", body: ptOps(`{"op":"replace","path":"name.","value":"x"}`), scimType: InvalidPath},
		{name: "unknown attribute", body: ptOps(`{"op":"add","path":"foo.bar","value":"x"}`), scimType: InvalidPath},
		{name: "unknown sub-attribute", body: ptOps(`{"op":"add","path":"name.nick","value":"x"}`), scimType: InvalidPath},
		{name: "unknown attribute in a filter", body: ptOps(`{"op":"remove","path":"emails[colour eq \"red\"]"}`), scimType: InvalidPath},
		{name: "filter on a simple attribute", body: ptOps(`{"op":"remove","path":"title[value eq \"x\"]"}`), scimType: InvalidPath},
		{name: "unknown path-less key", body: ptOps(`{"op":"add","value":{"title":"ok","x.y.z":1}}`), scimType: InvalidPath},
		{name: "poisoned path __proto__", body: ptOps(`{"op":"add","path":"__proto__.x","value":1}`), scimType: InvalidPath},
		{name: "poisoned path-less key constructor", body: ptOps(`{"op":"add","value":{"constructor":{"prototype":{}}}}`), scimType: InvalidPath},
		{name: "poisoned path toString", body: ptOps(`{"op":"replace","path":"toString","value":"x"}`), scimType: InvalidPath},
		{name: "poisoned path Schemas.Foo", body: ptOps(`{"op":"replace","path":"Schemas.Foo","value":"x"}`), scimType: InvalidPath},
		{name: "unknown attribute of the extension object", body: ptOps(`{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"salary":1}}}`), scimType: InvalidPath},
		{name: "core URN as a path", body: ptOps(`{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User","value":{"title":"x"}}`), scimType: InvalidPath},
		{name: "remove userName", body: ptOps(`{"op":"remove","path":"userName"}`), scimType: Mutability},
		{name: "replace userName with empty", body: ptOps(`{"op":"replace","path":"userName","value":""}`), scimType: Mutability},
		{name: "path-less userName null", body: ptOps(`{"op":"replace","value":{"userName":null}}`), scimType: Mutability},
		{name: "replace id", body: ptOps(`{"op":"replace","path":"id","value":"other"}`), scimType: Mutability},
		{name: "replace id with the same id by path", body: ptOps(`{"op":"replace","path":"id","value":"` + ptUserID + `"}`), scimType: Mutability},
		{name: "path-less different id", body: ptOps(`{"op":"replace","value":{"id":"other","displayName":"x"}}`), scimType: Mutability},
		{name: "replace meta.created", body: ptOps(`{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}`), scimType: Mutability},
		{name: "path-less meta", body: ptOps(`{"op":"replace","value":{"meta":{"version":"1"}}}`), scimType: Mutability},
		{name: "add groups", body: ptOps(`{"op":"add","path":"groups","value":[{"value":"g2"}]}`), scimType: Mutability},
		{name: "remove groups", body: ptOps(`{"op":"remove","path":"groups"}`), scimType: Mutability},
		{name: "replace manager displayName", body: ptOps(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}`), scimType: Mutability},
		{name: "object for a boolean", body: ptOps(`{"op":"replace","path":"active","value":{}}`), scimType: InvalidValue},
		{name: "other string for a boolean", body: ptOps(`{"op":"replace","path":"active","value":"no"}`), scimType: InvalidValue},
		{name: "string for emails", body: ptOps(`{"op":"add","path":"emails","value":"x"}`), scimType: InvalidValue},
		{name: "number for a string", body: ptOps(`{"op":"replace","path":"title","value":7}`), scimType: InvalidValue},
		{name: "object nested beyond the schema", body: ptOps(`{"op":"replace","path":"name","value":{"givenName":{"x":1}}}`), scimType: InvalidValue},
		{name: "object for a sub-attribute", body: ptOps(`{"op":"replace","path":"emails[type eq \"work\"].value","value":{"v":1}}`), scimType: InvalidValue},
		{name: "element not an object", body: ptOps(`{"op":"add","path":"emails[type eq \"work\"]","value":"x"}`), scimType: InvalidValue},
		{name: "path-less value not an object", body: ptOps(`{"op":"add","value":"x"}`), scimType: InvalidValue},
		{name: "path-less value absent", body: ptOps(`{"op":"replace"}`), scimType: InvalidValue},
		{name: "two primaries", body: ptOps(`{"op":"add","path":"emails","value":[{"value":"a","primary":true},{"value":"b","primary":true}]}`), scimType: InvalidValue},
		{name: "string too long", body: ptOps(`{"op":"replace","path":"title","value":"` + strings.Repeat("x", maxStringBytes+1) + `"}`), scimType: InvalidValue},
		{name: "control character in userName", body: ptOps(`{"op":"replace","path":"userName","value":"a\u0000b"}`), scimType: InvalidValue},
		{name: "path-less case duplicate keys", body: ptOps(`{"op":"replace","value":{"displayName":"a","DISPLAYNAME":"b"}}`), scimType: InvalidSyntax},
		{name: "path-less dotted case duplicates", body: ptOps(`{"op":"replace","value":{"name.givenName":"a","NAME.givenname":"b"}}`), scimType: InvalidSyntax},
		{name: "op move", body: ptOps(`{"op":"move","path":"title","value":"x"}`), scimType: InvalidSyntax},
		{name: "no PatchOp schema", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[]}`, scimType: InvalidSyntax},
		{name: "no Operations", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, scimType: InvalidSyntax},
	}
	for _, tt := range tests {
		tt.status = bad
		t.Run(tt.name, tt.run)
	}
}

// TestPatchCustomExtension uses the test extension: immutable attributes
// and the types the core schemas lack.
func TestPatchCustomExtension(t *testing.T) {
	rt := ntCustomUser()
	start := ntDecode(t, `{"userName":"u","`+ntTestURN+`":{"level":1}}`)
	set := ntDecode(t, `{"userName":"u","`+ntTestURN+`":{"costCode":"c1","owner":{"value":"o1","display":"O"},"level":1}}`)
	tagged := ntDecode(t, `{"userName":"u","`+ntTestURN+`":{"tags":["a","b"]}}`)
	tests := []struct {
		name     string
		doc      map[string]any
		ops      string
		want     string // the extension object, when no error
		scimType string
	}{
		{"set while empty", start, `{"op":"add","path":"costCode","value":"c1"}`, `{"costCode":"c1","level":1}`, ""},
		{"path-less set while empty", start, `{"op":"add","value":{"` + ntTestURN + `:owner":{"value":"o1"}}}`, `{"owner":{"value":"o1"},"level":1}`, ""},
		{"re-set to the same value", set, `{"op":"replace","path":"costCode","value":"c1"}`, `{"costCode":"c1","owner":{"value":"o1","display":"O"},"level":1}`, ""},
		{"change a mutable sub-attribute", set, `{"op":"replace","path":"owner.display","value":"P"}`, `{"costCode":"c1","owner":{"value":"o1","display":"P"},"level":1}`, ""},
		{"change", set, `{"op":"replace","path":"costCode","value":"c2"}`, "", Mutability},
		{"remove", set, `{"op":"remove","path":"costCode"}`, "", Mutability},
		{"clear with null", set, `{"op":"replace","path":"costCode","value":null}`, "", Mutability},
		{"change an immutable sub-attribute", set, `{"op":"replace","path":"owner.value","value":"o2"}`, "", Mutability},
		{"replace the complex attribute", set, `{"op":"replace","path":"owner","value":{"value":"o2"}}`, "", Mutability},
		{"remove the extension", set, `{"op":"remove","path":"` + ntTestURN + `"}`, "", Mutability},
		{"readOnly extension attribute", start, `{"op":"add","path":"badge","value":"b"}`, "", Mutability},
		{"integer", start, `{"op":"replace","path":"level","value":5}`, `{"level":5}`, ""},
		{"decimal for integer", start, `{"op":"replace","path":"level","value":5.5}`, "", InvalidValue},
		{"dateTime", start, `{"op":"add","path":"hired","value":"2024-02-29T12:00:00Z"}`, `{"level":1,"hired":"2024-02-29T12:00:00Z"}`, ""},
		{"bad dateTime", start, `{"op":"add","path":"hired","value":"yesterday"}`, "", InvalidValue},
		{"add to a multi-valued simple attribute", start, `{"op":"add","path":"tags","value":["a","b"]}`, `{"level":1,"tags":["a","b"]}`, ""},
		{"add to a multi-valued simple attribute skips equal values", tagged, `{"op":"add","path":"tags","value":["b","c"]}`, `{"tags":["a","b","c"]}`, ""},
		{"remove listed simple values", tagged, `{"op":"remove","path":"tags","value":["a","z"]}`, `{"tags":["b"]}`, ""},
		{"remove every listed simple value", tagged, `{"op":"remove","path":"tags","value":["a","b"]}`, ``, ""},
		{"replace the extension with null", tagged, `{"op":"replace","path":"` + ntTestURN + `","value":null}`, ``, ""},
		{"extension value not an object", tagged, `{"op":"replace","path":"` + ntTestURN + `","value":[1]}`, "", InvalidValue},
		{"extension keys in two cases", tagged, `{"op":"add","path":"` + ntTestURN + `","value":{"level":1,"LEVEL":2}}`, "", InvalidSyntax},
		{"writeOnly extension attribute is stored", start, `{"op":"add","path":"pin","value":"1234"}`, `{"level":1,"pin":"1234"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := ParsePatch([]byte(ptOps(tt.ops)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ApplyPatch(rt, tt.doc, ops)
			if tt.scimType != "" {
				ntWantError(t, err, http.StatusBadRequest, tt.scimType)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if tt.want != "" {
				want = ntDecode(t, tt.want)
			}
			if diff := cmp.Diff(want, got[ntTestURN]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPatchAtomic checks that a failing operation anywhere leaves no
// trace: no doc is returned and the input is untouched.
func TestPatchAtomic(t *testing.T) {
	valid := []string{
		`{"op":"replace","path":"displayName","value":"Changed"}`,
		`{"op":"add","path":"emails","value":[{"value":"new@x"}]}`,
		`{"op":"remove","path":"name.givenName"}`,
		`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-2"}`,
		`{"op":"add","path":"phoneNumbers[type eq \"fax\"].value","value":"1"}`,
	}
	invalid := []string{
		`{"op":"remove","path":"userName"}`,
		`{"op":"replace","path":"nope","value":1}`,
		`{"op":"replace","path":"active","value":[1,2]}`,
		`{"op":"remove"}`,
	}
	rt := schema.User()
	for _, bad := range invalid {
		for pos := 0; pos <= len(valid); pos++ {
			ops := append(append(append([]string{}, valid[:pos]...), bad), valid[pos:]...)
			doc := ntDecode(t, ptUserJSON)
			orig := deepCopyMap(doc)
			parsed, err := ParsePatch([]byte(ptOps(ops...)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ApplyPatch(rt, doc, parsed)
			var se *Error
			if !errorsAs(err, &se) || se.Status != http.StatusBadRequest {
				t.Errorf("%s at %d: err = %v, want a 400 *Error", bad, pos, err)
			}
			if got != nil {
				t.Errorf("%s at %d: a doc came back with the error", bad, pos)
			}
			if diff := cmp.Diff(orig, doc); diff != "" {
				t.Errorf("%s at %d: input changed (-before +after):\n%s", bad, pos, diff)
			}
			if se != nil && !strings.HasPrefix(se.Detail, fmt.Sprintf("Operation %d: ", pos+1)) {
				t.Errorf("%s at %d: detail %q does not name operation %d", bad, pos, se.Detail, pos+1)
			}
		}
	}
	// A successful PATCH does not alias the input either: editing the
	// result leaves the input alone.
	doc := ntDecode(t, ptUserJSON)
	orig := deepCopyMap(doc)
	parsed, _ := ParsePatch([]byte(ptOps(valid...)))
	got, err := ApplyPatch(rt, doc, parsed)
	if err != nil {
		t.Fatal(err)
	}
	ptElem(got, "emails", 0)["value"] = "mutated"
	ptEnt(got)["division"] = "mutated"
	if diff := cmp.Diff(orig, doc); diff != "" {
		t.Errorf("result aliases the input (-before +after):\n%s", diff)
	}
}

// TestPatchModes holds the Server's modes of applyPatch to what they
// may assume: patchStored does not type-check again what the operations
// leave as stored, patchShared shares it with the stored doc, and neither
// edits the stored doc, even where pruning reaches inside an extension.
func TestPatchModes(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	active := ptOps(`{"op":"replace","path":"active","value":"False"}`)
	tests := []struct {
		name string
		doc  func(map[string]any)
		ops  string
		// wantAny and wantStored: the error ApplyPatch and the Server's
		// modes give, "" for none.
		wantAny, wantStored string
		// copied: the top-level keys whose values the patchShared result
		// does not share with the stored doc; it shares the others.
		copied []string
	}{
		{name: "untouched attributes shared", ops: active},
		{name: "touched attribute copied", ops: ptOps(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"w@x"}`),
			copied: []string{"emails"}},
		{name: "extension attribute copies the extension", ops: ptOps(`{"op":"replace","path":"` + ent + `:department","value":"R"}`),
			copied: []string{ent}},
		{name: "extension with empties pruned on a copy", ops: active,
			doc:    func(d map[string]any) { ptEnt(d)["costCenter"] = nil; ptEnt(d)["x"] = []any{} },
			copied: []string{ent}},
		{name: "stored value not checked again", ops: active,
			doc:     func(d map[string]any) { d["title"] = []any{"not", "a", "string"} },
			wantAny: `Attribute "title"`},
		{name: "a touched value is checked", ops: ptOps(`{"op":"replace","path":"title","value":["x"]}`),
			wantAny: `Attribute "title"`, wantStored: `Attribute "title"`},
		{name: "required attribute still required", ops: active,
			doc:     func(d map[string]any) { d["userName"] = " " },
			wantAny: `"userName" is required`, wantStored: `"userName" is required`},
	}
	rt := schema.User()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := ntDecode(t, ptUserJSON)
			if tt.doc != nil {
				tt.doc(doc)
			}
			orig := deepCopyMap(doc)
			ops, err := ParsePatch([]byte(tt.ops))
			if err != nil {
				t.Fatal(err)
			}
			check := func(mode patchMode, want string) map[string]any {
				t.Helper()
				got, err := applyPatch(rt, doc, ops, nil, mode)
				if diff := cmp.Diff(orig, doc); diff != "" {
					t.Fatalf("mode %d changed the stored doc (-before +after):\n%s", mode, diff)
				}
				if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
					t.Fatalf("mode %d: err = %v, want %q", mode, err, want)
				}
				return got
			}
			anyGot := check(patchAny, tt.wantAny)
			stored := check(patchStored, tt.wantStored)
			shared := check(patchShared, tt.wantStored)
			if diff := cmp.Diff(stored, shared); diff != "" {
				t.Fatalf("patchShared and patchStored differ:\n%s", diff)
			}
			if tt.wantAny == "" {
				if diff := cmp.Diff(anyGot, shared); diff != "" {
					t.Fatalf("patchShared and ApplyPatch differ:\n%s", diff)
				}
			}
			if shared == nil {
				return
			}
			for k, v := range shared {
				rv, rd := reflect.ValueOf(v), reflect.ValueOf(doc[k])
				if rv.Kind() != reflect.Map && rv.Kind() != reflect.Slice {
					continue
				}
				same := rd.Kind() == rv.Kind() && rv.UnsafePointer() == rd.UnsafePointer()
				if want := !slices.Contains(tt.copied, k); same != want {
					t.Errorf("%q shared with the stored doc: %v, want %v", k, same, want)
				}
			}
			for _, v := range stored {
				// patchStored shares nothing: edit every copy.
				if m, ok := v.(map[string]any); ok {
					m["edited"] = true
				}
			}
			if diff := cmp.Diff(orig, doc); diff != "" {
				t.Fatalf("patchStored's result aliases the stored doc (-before +after):\n%s", diff)
			}
		})
	}
}

func TestPatchLimits(t *testing.T) {
	rt := schema.User()
	doc := ntDecode(t, ptUserJSON)
	ops := make([]PatchOp, MaxPatchOperations+1)
	for i := range ops {
		ops[i] = PatchOp{Op: "replace", Path: "title", Value: json.RawMessage(`"t"`)}
	}
	_, err := ApplyPatch(rt, doc, ops)
	ntWantError(t, err, http.StatusBadRequest, InvalidValue)
	if _, err := ApplyPatch(rt, doc, ops[:MaxPatchOperations]); err != nil {
		t.Errorf("%d operations: %v", MaxPatchOperations, err)
	}
	deep := strings.Repeat("(", 5000) + `type eq "work"` + strings.Repeat(")", 5000)
	_, err = ApplyPatch(rt, doc, []PatchOp{{Op: "remove", Path: "emails[" + deep + "]"}})
	ntWantError(t, err, http.StatusBadRequest, InvalidPath)
	_, err = ApplyPatch(rt, doc, []PatchOp{{Op: "replace", Path: strings.Repeat("a", 100000), Value: json.RawMessage(`1`)}})
	ntWantError(t, err, http.StatusBadRequest, InvalidPath)
	_, err = ApplyPatch(rt, doc, []PatchOp{{Op: "replace", Path: "title", Value: json.RawMessage(`"a" "b"`)}})
	ntWantError(t, err, http.StatusBadRequest, InvalidSyntax)
	_, err = ApplyPatch(rt, doc, []PatchOp{{Op: "copy", Path: "title"}})
	ntWantError(t, err, http.StatusBadRequest, InvalidSyntax)
	// A corrupt stored doc is refused, never a panic.
	corrupt := map[string]any{"userName": "u", "emails": []any{"x", 5, nil}, "name": "n", ntEnterprise: "e"}
	for _, op := range []PatchOp{
		{Op: "replace", Path: `emails[type eq "work"].value`, Value: json.RawMessage(`"a"`)},
		{Op: "remove", Path: `emails[type eq "work"]`},
		{Op: "add", Path: "emails", Value: json.RawMessage(`[{"value":"a"}]`)},
		{Op: "add", Path: "name.givenName", Value: json.RawMessage(`"g"`)},
		{Op: "remove", Path: "emails.value"},
	} {
		_, err = ApplyPatch(rt, corrupt, []PatchOp{op})
		ntWantError(t, err, http.StatusBadRequest, InvalidValue)
	}
	// A nil doc is patched like an empty one and then fails validation.
	_, err = ApplyPatch(rt, nil, []PatchOp{{Op: "add", Path: "title", Value: json.RawMessage(`"t"`)}})
	ntWantError(t, err, http.StatusBadRequest, InvalidValue)
}

func errorsAs(err error, target **Error) bool {
	se, ok := err.(*Error)
	if ok {
		*target = se
	}
	return ok
}

func TestParsePatch(t *testing.T) {
	const pop = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	tests := []struct {
		name     string
		body     string
		want     []PatchOp
		scimType string
	}{
		{
			name: "entra capitalised ops",
			body: `{` + pop + `,"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"}]},{"op":"Replace","path":"displayName","value":"x"},{"op":"Remove","path":"title"}]}`,
			want: []PatchOp{
				{Op: "add", Path: "members", Value: json.RawMessage(`[{"$ref":null,"value":"u1"}]`)},
				{Op: "replace", Path: "displayName", Value: json.RawMessage(`"x"`)},
				{Op: "remove", Path: "title"},
			},
		},
		{
			name: "keys in any case",
			body: `{"SCHEMAS":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"operations":[{"OP":"REPLACE","Path":"title","VALUE":"x"}]}`,
			want: []PatchOp{{Op: "replace", Path: "title", Value: json.RawMessage(`"x"`)}},
		},
		{
			name: "empty Operations",
			body: `{` + pop + `,"Operations":[]}`,
			want: []PatchOp{},
		},
		{
			name: "null path and value",
			body: `{` + pop + `,"Operations":[{"op":"replace","path":null,"value":null}]}`,
			want: []PatchOp{{Op: "replace", Value: json.RawMessage(`null`)}},
		},
		{
			name: "extra keys ignored",
			body: `{` + pop + `,"id":"x","Operations":[{"op":"add","path":"title","value":"t","comment":"hi"}]}`,
			want: []PatchOp{{Op: "add", Path: "title", Value: json.RawMessage(`"t"`)}},
		},
		{name: "not JSON", body: `{"Operations":`, scimType: InvalidSyntax},
		{name: "a list", body: `[]`, scimType: InvalidSyntax},
		{name: "null", body: `null`, scimType: InvalidSyntax},
		{name: "empty", body: ``, scimType: InvalidSyntax},
		{name: "trailing data", body: `{` + pop + `,"Operations":[]} {}`, scimType: InvalidSyntax},
		{name: "schemas missing", body: `{"Operations":[]}`, scimType: InvalidSyntax},
		{name: "schemas a string", body: `{"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[]}`, scimType: InvalidSyntax},
		{name: "wrong schema", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}`, scimType: InvalidSyntax},
		{name: "Operations missing", body: `{` + pop + `}`, scimType: InvalidSyntax},
		{name: "Operations null", body: `{` + pop + `,"Operations":null}`, scimType: InvalidSyntax},
		{name: "Operations an object", body: `{` + pop + `,"Operations":{"op":"add"}}`, scimType: InvalidSyntax},
		{name: "Operations twice in different case", body: `{` + pop + `,"Operations":[],"operations":[]}`, scimType: InvalidSyntax},
		{name: "Operations twice", body: `{` + pop + `,"Operations":[],"Operations":[{"op":"remove"}]}`, scimType: InvalidSyntax},
		{name: "operation not an object", body: `{` + pop + `,"Operations":["add"]}`, scimType: InvalidSyntax},
		{name: "operation null", body: `{` + pop + `,"Operations":[null]}`, scimType: InvalidSyntax},
		{name: "op missing", body: `{` + pop + `,"Operations":[{"path":"title"}]}`, scimType: InvalidSyntax},
		{name: "op move", body: `{` + pop + `,"Operations":[{"op":"move","path":"title"}]}`, scimType: InvalidSyntax},
		{name: "op a number", body: `{` + pop + `,"Operations":[{"op":1}]}`, scimType: InvalidSyntax},
		{name: "op twice in different case", body: `{` + pop + `,"Operations":[{"op":"add","Op":"remove","path":"title"}]}`, scimType: InvalidSyntax},
		{name: "path a number", body: `{` + pop + `,"Operations":[{"op":"remove","path":5}]}`, scimType: InvalidSyntax},
		{name: "duplicate key in a value", body: `{` + pop + `,"Operations":[{"op":"add","value":{"title":"a","title":"b"}}]}`, scimType: InvalidSyntax},
		{name: "too many operations", body: `{` + pop + `,"Operations":[` + strings.Repeat(`{"op":"remove","path":"title"},`, MaxPatchOperations) + `{"op":"remove","path":"title"}]}`, scimType: InvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePatch([]byte(tt.body))
			if tt.scimType != "" {
				ntWantError(t, err, http.StatusBadRequest, tt.scimType)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	many := `{` + pop + `,"Operations":[` + strings.TrimSuffix(strings.Repeat(`{"op":"remove","path":"title"},`, MaxPatchOperations), ",") + `]}`
	if ops, err := ParsePatch([]byte(many)); err != nil || len(ops) != MaxPatchOperations {
		t.Errorf("%d operations: %d, %v", MaxPatchOperations, len(ops), err)
	}
}

// ptMember is a compact way to write expected member deltas.
type ptMember struct {
	Kind    MemberOpKind
	Members []Member
	Filter  string // filter.String of the resolved filter
}

func ptMembers(ops []MemberOp) []ptMember {
	var out []ptMember
	for _, op := range ops {
		out = append(out, ptMember{Kind: op.Kind, Members: op.Members, Filter: filter.String(op.Filter)})
	}
	return out
}

func TestSplitGroupPatch(t *testing.T) {
	u := func(ids ...string) []Member {
		var ms []Member
		for _, id := range ids {
			ms = append(ms, Member{Value: id})
		}
		return ms
	}
	tests := []struct {
		name     string
		body     string    // a PATCH request body,
		ops      []PatchOp // or operations that bypass ParsePatch
		attrOps  []PatchOp
		members  []ptMember
		scimType string
	}{
		{
			name:    "entra add several members with null $ref",
			body:    ptOps(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"},{"$ref":null,"value":"u2"}]}`),
			members: []ptMember{{Kind: AddMembers, Members: u("u1", "u2")}},
		},
		{
			name:    "entra legacy remove removes only the listed members",
			body:    ptOps(`{"op":"Remove","path":"members","value":[{"value":"u1091"}]}`),
			members: []ptMember{{Kind: RemoveMembers, Members: u("u1091")}},
		},
		{
			name:    "entra flag remove by value filter",
			body:    ptOps(`{"op":"remove","path":"members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"}`),
			members: []ptMember{{Kind: RemoveMembers, Members: u("7f4bc1a3-285e-48ae-8202-5accb43efb0e")}},
		},
		{
			name: "okta remove and add in one request",
			body: ptOps(`{"op":"remove","path":"members[value eq \"00u1\"]"}`,
				`{"op":"add","path":"members","value":[{"value":"00u2","display":"user2@okta.local"}]}`),
			members: []ptMember{
				{Kind: RemoveMembers, Members: u("00u1")},
				{Kind: AddMembers, Members: []Member{{Value: "00u2", Display: "user2@okta.local"}}},
			},
		},
		{
			name: "okta rename re-sent with membership updates",
			body: ptOps(`{"op":"replace","value":{"id":"`+ptGroupID+`","displayName":"Renamed"}}`,
				`{"op":"add","path":"members","value":[{"value":"00u2","display":"u2"}]}`),
			attrOps: []PatchOp{{Op: "replace", Value: json.RawMessage(`{"id":"` + ptGroupID + `","displayName":"Renamed"}`)}},
			members: []ptMember{{Kind: AddMembers, Members: []Member{{Value: "00u2", Display: "u2"}}}},
		},
		{
			name:    "okta replace the whole list",
			body:    ptOps(`{"op":"replace","path":"members","value":[{"value":"a","display":"A"},{"value":"b","type":"User"}]}`),
			members: []ptMember{{Kind: ReplaceMembers, Members: []Member{{Value: "a", Display: "A"}, {Value: "b", Type: "User"}}}},
		},
		{
			name:    "replace with an empty list empties the group",
			body:    ptOps(`{"op":"replace","path":"members","value":[]}`),
			members: []ptMember{{Kind: RemoveAllMembers}},
		},
		{
			name:    "replace with null empties the group",
			body:    ptOps(`{"op":"replace","path":"members","value":null}`),
			members: []ptMember{{Kind: RemoveAllMembers}},
		},
		{
			name:    "replace with no value empties the group",
			body:    ptOps(`{"op":"replace","path":"members"}`),
			members: []ptMember{{Kind: RemoveAllMembers}},
		},
		{
			name:    "remove with no value empties the group",
			body:    ptOps(`{"op":"remove","path":"members"}`),
			members: []ptMember{{Kind: RemoveAllMembers}},
		},
		{
			name: "remove or add with an empty list changes nothing",
			body: ptOps(`{"op":"remove","path":"members","value":[]}`, `{"op":"add","path":"members","value":[]}`),
		},
		{
			name:    "jumpcloud add without a filter",
			body:    ptOps(`{"op":"add","path":"members","value":[{"value":"jc-uid"}]}`),
			members: []ptMember{{Kind: AddMembers, Members: u("jc-uid")}},
		},
		{
			name:    "onelogin remove by value list",
			body:    ptOps(`{"op":"remove","path":"members","value":[{"value":"ol-1"},{"value":"ol-2"}]}`),
			members: []ptMember{{Kind: RemoveMembers, Members: u("ol-1", "ol-2")}},
		},
		{
			name:    "or chain of value comparisons",
			body:    ptOps(`{"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or VALUE eq \"c\"]"}`),
			members: []ptMember{{Kind: RemoveMembers, Members: u("a", "b", "c")}},
		},
		{
			name:    "any other filter removes the matching members",
			body:    ptOps(`{"op":"remove","path":"members[display eq \"Bob\"]"}`),
			members: []ptMember{{Kind: RemoveMatchingMembers, Filter: `display eq "Bob"`}},
		},
		{
			name:    "an and filter is not a value list",
			body:    ptOps(`{"op":"remove","path":"members[value eq \"a\" and type eq \"User\"]"}`),
			members: []ptMember{{Kind: RemoveMatchingMembers, Filter: `value eq "a" and type eq "User"`}},
		},
		{
			name:    "an or chain with another comparison is a filter",
			body:    ptOps(`{"op":"remove","path":"members[value eq \"a\" or display sw \"B\"]"}`),
			members: []ptMember{{Kind: RemoveMatchingMembers, Filter: `value eq "a" or display sw "B"`}},
		},
		{
			name:    "path-less add with members",
			body:    ptOps(`{"op":"add","value":{"members":[{"value":"u1"}]}}`),
			members: []ptMember{{Kind: AddMembers, Members: u("u1")}},
		},
		{
			name:    "path-less replace splits members from the rest",
			body:    ptOps(`{"op":"Replace","value":{"displayName":"G","Members":[{"value":"u1"}]}}`),
			attrOps: []PatchOp{{Op: "replace", Value: json.RawMessage(`{"displayName":"G"}`)}},
			members: []ptMember{{Kind: ReplaceMembers, Members: u("u1")}},
		},
		{
			name:    "path-less replace with members null",
			body:    ptOps(`{"op":"replace","value":{"members":null}}`),
			members: []ptMember{{Kind: RemoveAllMembers}},
		},
		{
			name:    "URN-qualified members path",
			body:    ptOps(`{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members","value":[{"value":"u1"}]}`),
			members: []ptMember{{Kind: AddMembers, Members: u("u1")}},
		},
		{
			name:    "a single object is one member",
			body:    ptOps(`{"op":"add","path":"Members","value":{"value":"u1","display":"One"}}`),
			members: []ptMember{{Kind: AddMembers, Members: []Member{{Value: "u1", Display: "One"}}}},
		},
		{
			name:    "duplicates collapse to the first",
			body:    ptOps(`{"op":"add","path":"members","value":[{"value":"u1","display":"first"},{"value":"u2"},{"value":"u1","display":"second"}]}`),
			members: []ptMember{{Kind: AddMembers, Members: []Member{{Value: "u1", Display: "first"}, {Value: "u2"}}}},
		},
		{
			name: "other operations pass unchanged and in order",
			body: ptOps(`{"op":"Replace","path":"displayName","value":"A"}`, `{"op":"add","path":"members","value":[{"value":"u1"}]}`,
				`{"op":"Add","path":"externalId","value":"e"}`, `{"op":"remove"}`),
			attrOps: []PatchOp{
				{Op: "replace", Path: "displayName", Value: json.RawMessage(`"A"`)},
				{Op: "add", Path: "externalId", Value: json.RawMessage(`"e"`)},
				{Op: "remove"},
			},
			members: []ptMember{{Kind: AddMembers, Members: u("u1")}},
		},
		{name: "member without value", body: ptOps(`{"op":"add","path":"members","value":[{"display":"x"}]}`), scimType: InvalidValue},
		{name: "member with empty value", body: ptOps(`{"op":"add","path":"members","value":[{"value":""}]}`), scimType: InvalidValue},
		{name: "member with null value", body: ptOps(`{"op":"remove","path":"members","value":[{"value":null}]}`), scimType: InvalidValue},
		{name: "member with numeric value", body: ptOps(`{"op":"add","path":"members","value":[{"value":42}]}`), scimType: InvalidValue},
		{name: "member as a bare string", body: ptOps(`{"op":"add","path":"members","value":["u1"]}`), scimType: InvalidValue},
		{name: "members as a string", body: ptOps(`{"op":"add","path":"members","value":"u1"}`), scimType: InvalidValue},
		{name: "member display not a string", body: ptOps(`{"op":"add","path":"members","value":[{"value":"u1","display":{}}]}`), scimType: InvalidValue},
		{name: "change a member's display", body: ptOps(`{"op":"replace","path":"members[value eq \"u1\"].display","value":"x"}`), scimType: Mutability},
		{name: "remove a member's display", body: ptOps(`{"op":"remove","path":"members[value eq \"u1\"].display"}`), scimType: Mutability},
		{name: "replace a filtered member", body: ptOps(`{"op":"replace","path":"members[value eq \"u1\"]","value":{"value":"u2"}}`), scimType: Mutability},
		{name: "members.value", body: ptOps(`{"op":"remove","path":"members.value"}`), scimType: Mutability},
		{name: "unknown attribute in the member filter", body: ptOps(`{"op":"remove","path":"members[name eq \"x\"]"}`), scimType: InvalidPath},
		{name: "unparsable path", body: ptOps(`{"op":"remove","path":"members[value eq"}`), scimType: InvalidPath},
		{name: "unknown op passed directly", ops: []PatchOp{{Op: "move", Path: "members", Value: json.RawMessage(`[{"value":"u1"}]`)}}, scimType: InvalidSyntax},
		{name: "members twice in a path-less value", body: ptOps(`{"op":"add","value":{"members":[],"MEMBERS":[]}}`), scimType: InvalidSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := tt.ops
			if tt.body != "" {
				var err error
				if ops, err = ParsePatch([]byte(tt.body)); err != nil {
					t.Fatal(err)
				}
			}
			attrOps, memberOps, err := splitGroupPatch(ops)
			if tt.scimType != "" {
				ntWantError(t, err, http.StatusBadRequest, tt.scimType)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.attrOps, attrOps, cmp.Comparer(ptSameJSON)); diff != "" {
				t.Errorf("attribute ops (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.members, ptMembers(memberOps)); diff != "" {
				t.Errorf("member ops (-want +got):\n%s", diff)
			}
		})
	}
}

// ptSameJSON compares raw JSON values by meaning.
func ptSameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return cmp.Equal(x, y)
}

// TestGroupPatchPipeline runs the group path end to end: split, then the
// remaining operations through ApplyPatch, and the member filter through
// MatchMember.
func TestGroupPatchPipeline(t *testing.T) {
	rt := schema.Group()
	doc := ntDecode(t, ptGroupJSON)
	ops, err := ParsePatch([]byte(ptOps(
		`{"op":"replace","value":{"id":"`+ptGroupID+`","displayName":"Renamed","members":[{"value":"u1"}]}}`,
		`{"op":"remove","path":"members[display sw \"Temp\"]"}`,
		`{"op":"Add","path":"externalId","value":"ext-2"}`)))
	if err != nil {
		t.Fatal(err)
	}
	attrOps, memberOps, err := splitGroupPatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ApplyPatch(rt, doc, attrOps)
	if err != nil {
		t.Fatal(err)
	}
	want := ntDecode(t, ptGroupJSON)
	want["displayName"] = "Renamed"
	want["externalId"] = "ext-2"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group (-want +got):\n%s", diff)
	}
	if len(memberOps) != 2 || memberOps[1].Kind != RemoveMatchingMembers {
		t.Fatalf("member ops = %+v", memberOps)
	}
	f := memberOps[1].Filter
	if !MatchMember(f, Member{Value: "x", Display: "temp worker"}) || MatchMember(f, Member{Value: "y", Display: "Staff"}) {
		t.Errorf("member filter %s does not select by display", filter.String(f))
	}
}

func BenchmarkApplyPatch(b *testing.B) {
	rt := schema.User()
	doc := ntDecode(b, ptUserJSON)
	ops, err := ParsePatch([]byte(ptOps(
		`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"}`,
		`{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}`,
		`{"op":"Replace","path":"active","value":"False"}`,
		`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-2"}`,
		`{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}`)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyPatch(rt, doc, ops); err != nil {
			b.Fatal(err)
		}
	}
}
