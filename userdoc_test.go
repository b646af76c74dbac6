package scim

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/internal/jsonx"
	"github.com/scimkit/scim/schema"
)

// udBodies are user request bodies in the shapes identity providers send.
var udBodies = []string{
	BenchUserJSON,
	// Entra: the Juno Journey mapping, legacy wrappers, string booleans.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	  "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
	  "active":true,"displayName":"Ada Lovelace","title":"Analyst","preferredLanguage":"en-GB",
	  "emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@contoso.com"}],
	  "addresses":[{"type":"work","country":"GB","region":"Greater London","locality":"London",
	    "postalCode":"W1 1AA","formatted":"1 Main St\nLondon W1 1AA","streetAddress":"1 Main St","primary":false}],
	  "name":{"givenName":"Ada","familyName":"Lovelace","middleName":"King","formatted":"Ada King Lovelace"},
	  "phoneNumbers":[{"type":"work","value":"+44 (20) 7946 0000"},{"type":"mobile","value":"07700 900000"},{"type":"fax","value":"020 7946 0001"}],
	  "meta":{"resourceType":"User"},"roles":[],
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering","employeeNumber":"E-1815",
	    "costCenter":"CC-42","division":"R&D","organization":"Analytical Engines Ltd"}}`,
	`{"userName":"u@contoso.com","active":"False","title":[{"$ref":null,"value":"Lead"}],"name":{"givenName":[{"value":"Augusta"}]},
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"$ref":"http://example.com/Users/m1","value":"m1"}]}}`,
	`{"USERNAME":"v@contoso.com","Active":"TRUE","Emails":{"Value":"v@contoso.com","Primary":"true"},
	  "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"Manager":{"value":"m2","displayName":"Boss"},"department":""}}`,
	// Okta: password, empty groups, locale.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
	  "name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
	  "displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],
	  "password":"1mz050nq","active":true}`,
	// OneLogin: a SCIM 1.0 schema URN and an empty manager.
	`{"schemas":["urn:scim:schemas:core:1.0","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	  "userName":"ol.user@example.com","name":{"givenName":"One","familyName":"Login"},
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":""}}`,
	// Every other attribute, and the custom test extension.
	`{"userName":"all","nickName":"n","profileUrl":"https://p/x","userType":"Employee","timezone":"Europe/London","active":false,
	  "ims":[{"value":"i","type":"xmpp"}],"photos":[{"value":"https://p/1.jpg","type":"photo","primary":true}],
	  "entitlements":[{"value":"e","display":"E"}],"roles":[{"value":"r","type":"t","primary":false}],
	  "x509Certificates":[{"value":"TUlJQ0lq"}],"name":{"honorificPrefix":"Dr","honorificSuffix":"III"},
	  "emails":[{"value":"a@x","type":"home"},null,{"value":"b@x","type":"work","primary":true}],
	  "id":"ignored","meta":{"version":"W/\"1\""},"groups":[{"value":"g"}],
	  "` + ntTestURN + `":{"level":3,"tags":["a"],"owner":{"value":"o"}}}`,
	`{"userName":"esc","displayName":"esc \"quoted\" <b>&amp; \u2028 \ud83d\ude00 Zoë"}`,
}

// udDocs are the documents userFromDoc must convert as a JSON round trip
// would: the bodies above after normalize and validate, stored users in
// their JSON form (what a PATCH starts from), and edge shapes.
func udDocs(t *testing.T) map[string]map[string]any {
	t.Helper()
	docs := map[string]map[string]any{}
	rt := ntCustomUser()
	for i, s := range udBodies {
		body, err := jsonx.Parse([]byte(s), bodyJSON)
		if err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		doc, err := normalize(rt, body.(map[string]any))
		if err == nil {
			err = validate(rt, nil, doc)
		}
		if err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		docs["body "+string(rune('A'+i))] = doc
	}
	var full User
	var n int
	fill(reflect.ValueOf(&full).Elem(), &n)
	f := false
	docs["stored full"] = UserDoc(&full)
	docs["stored zero"] = UserDoc(&User{})
	docs["stored empty parts"] = UserDoc(&User{UserName: "u", Active: &f, Name: &Name{}, Enterprise: &EnterpriseUser{Manager: &Manager{}},
		Emails: []MultiValue{{}}, Addresses: []Address{{}}, Groups: []GroupRef{{}}})
	docs["nulls and empties"] = map[string]any{"userName": nil, "name": nil, "active": nil, "emails": []any{}, "addresses": []any{nil},
		"meta": map[string]any{"created": nil}, schema.EnterpriseUserURN: map[string]any{"manager": nil}}
	docs["invalid UTF-8 in server-kept strings"] = map[string]any{"userName": "u",
		"meta": map[string]any{"location": "http://h/\xff\xfe"}, "groups": []any{map[string]any{"display": "a\xc3"}}}
	docs["unknown and other-case keys ignored"] = map[string]any{"userName": "u", "schemas": []any{"x"}, "password": "p",
		"name": map[string]any{"nickName": "x"}, "urn:example:other": map[string]any{"userName": "x"}}
	docs["meta times"] = map[string]any{"meta": map[string]any{"created": "2026-01-02T03:04:05.123456789+01:00", "lastModified": "2026-01-02T03:04:05Z"}}
	return docs
}

// TestUserFromDoc checks userFromDoc against the JSON round trip, on
// documents the server converts and on ones of the wrong types, where both
// must fail.
func TestUserFromDoc(t *testing.T) {
	for name, doc := range udDocs(t) {
		t.Run(name, func(t *testing.T) { checkUserFromDoc(t, doc, true) })
	}
	wrong := []map[string]any{
		{"userName": json.Number("1")},
		{"active": "true"},
		{"name": "n"},
		{"name": map[string]any{"givenName": true}},
		{"emails": map[string]any{"value": "x"}},
		{"emails": []any{"x"}},
		{"emails": []any{map[string]any{"primary": "true"}}},
		{"addresses": []any{map[string]any{"primary": json.Number("1")}}},
		{schema.EnterpriseUserURN: []any{}},
		{schema.EnterpriseUserURN: map[string]any{"manager": "m"}},
		{schema.EnterpriseUserURN: map[string]any{"manager": map[string]any{"value": false}}},
		{"groups": []any{map[string]any{"value": []any{}}}},
		{"meta": map[string]any{"created": "yesterday"}},
		{"meta": map[string]any{"created": "10000-01-01T00:00:00Z"}},
		{"meta": map[string]any{"lastModified": json.Number("0")}},
		{"meta": "m"},
	}
	for _, doc := range wrong {
		checkUserFromDoc(t, doc, false)
	}
}

// checkUserFromDoc compares userFromDoc with jsonFromDoc on doc; ok says
// whether the conversion should succeed.
func checkUserFromDoc(t *testing.T, doc map[string]any, ok bool) {
	t.Helper()
	var want, got User
	werr := jsonFromDoc(doc, &want)
	gerr := userFromDoc(doc, &got)
	if (werr == nil) != ok || (gerr == nil) != ok {
		t.Fatalf("%v: round trip error %v, userFromDoc error %v, want success %v", doc, werr, gerr, ok)
	}
	if !ok {
		return
	}
	// cmp.Diff for the report; reflect.DeepEqual also compares time zones.
	if diff := cmp.Diff(want, got); diff != "" || !reflect.DeepEqual(want, got) {
		t.Fatalf("%v (-round trip +userFromDoc):\n%s", doc, diff)
	}
	var viaFromDoc User
	if err := fromDoc(doc, &viaFromDoc); err != nil || !reflect.DeepEqual(got, viaFromDoc) {
		t.Fatalf("fromDoc does not take userFromDoc: %v", err)
	}
}

// FuzzUserFromDoc reads arbitrary bodies as POST /Users does, and as a
// path-less PATCH replace of a stored user; whatever the server accepts,
// userFromDoc must convert as the JSON round trip does.
func FuzzUserFromDoc(f *testing.F) {
	for _, s := range udBodies {
		f.Add([]byte(s))
	}
	var full User
	var n int
	fill(reflect.ValueOf(&full).Elem(), &n)
	stored := UserDoc(&full)
	rts := []*schema.ResourceType{schema.User(), ntCustomUser()}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := jsonx.Parse(data, bodyJSON)
		body, isObj := v.(map[string]any)
		if err != nil || !isObj {
			return
		}
		for _, rt := range rts {
			if doc, err := normalize(rt, body); err == nil && validate(rt, nil, doc) == nil {
				checkUserFromDoc(t, doc, true)
			}
			if doc, err := ApplyPatch(rt, stored, []PatchOp{{Op: "replace", Value: data}}); err == nil {
				checkUserFromDoc(t, doc, true)
			}
		}
	})
}
