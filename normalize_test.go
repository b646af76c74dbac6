package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/schema"
)

const ntEnterprise = schema.EnterpriseUserURN

// ntDecode decodes a JSON object as the server does: numbers as
// json.Number.
func ntDecode(t testing.TB, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// ntWantError checks that err is a *Error with the given status and
// scimType.
func ntWantError(t *testing.T, err error, status int, scimType string) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *scim.Error %d %s", err, err, status, scimType)
	}
	if se.Status != status || se.ScimType != scimType {
		t.Fatalf("error = %d %q (%s), want %d %q", se.Status, se.ScimType, se.Detail, status, scimType)
	}
}

func TestNormalize(t *testing.T) {
	user, group := schema.User(), schema.Group()
	tests := []struct {
		name string
		rt   *schema.ResourceType
		body string
		want string
	}{
		{
			name: "entra user POST",
			rt:   user,
			body: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
				"userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
				"active": true,
				"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
				"meta": {"resourceType": "User"},
				"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
				"roles": [],
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Retail", "employeeNumber": "42", "manager": "26118915-6090"}
			}`,
			want: `{
				"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
				"userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
				"active": true,
				"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
				"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Retail", "employeeNumber": "42", "manager": {"value": "26118915-6090"}}
			}`,
		},
		{
			name: "entra older POST with top-level nulls",
			rt:   user,
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u@x","addresses":null,"phoneNumbers":null,"title":null,"active":"True","name":{"givenName":null,"familyName":"F"}}`,
			want: `{"userName":"u@x","active":true,"name":{"familyName":"F"}}`,
		},
		{
			name: "entra group POST with the Microsoft schema URI",
			rt:   group,
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
				"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`,
			want: `{"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName"}`,
		},
		{
			name: "okta POST with password, groups and locale",
			rt:   user,
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
				"name":{"givenName":"Test","familyName":"User"},
				"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
				"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7",
				"groups":[],"password":"1mz050nq","active":true}`,
			want: `{"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},
				"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
				"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","active":true}`,
		},
		{
			name: "okta group push POST",
			rt:   group,
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`,
			want: `{"displayName":"Test SCIMv2"}`,
		},
		{
			name: "group POST with members keeps display and type, drops null $ref",
			rt:   group,
			body: `{"displayName":"G","members":[{"value":"u1","display":"User One","$ref":null,"type":"User"},{"value":"u2"}]}`,
			want: `{"displayName":"G","members":[{"value":"u1","display":"User One","type":"User"},{"value":"u2"}]}`,
		},
		{
			name: "onelogin POST with the SCIM 1.0 schema URN",
			rt:   user,
			body: `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"jdoe","name":{"givenName":"J","familyName":"Doe"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m1"}}}`,
			want: `{"userName":"jdoe","name":{"givenName":"J","familyName":"Doe"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m1"}}}`,
		},
		{
			name: "keys in any case become canonical, extension URN too",
			rt:   user,
			body: `{"USERNAME":"u","Name":{"GIVENNAME":"g"},"Emails":[{"VALUE":"a@b","Type":"work","PRIMARY":"true"}],
				"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"EmployeeNumber":"7"}}`,
			want: `{"userName":"u","name":{"givenName":"g"},"emails":[{"value":"a@b","type":"work","primary":true}],
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7"}}`,
		},
		{
			name: "readOnly dropped: id, meta, groups, manager.displayName",
			rt:   user,
			body: `{"id":"client-chosen","userName":"u","meta":{"created":"2020-01-01T00:00:00Z"},"groups":[{"value":"g1"}],
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m","displayName":"Boss","$ref":"../Users/m"}}}`,
			want: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m","$ref":"../Users/m"}}}`,
		},
		{
			name: "unknown attributes and schema sections ignored",
			rt:   user,
			body: `{"userName":"u","favouriteColour":"blue","urn:example:custom:2.0:User":{"x":1},"name":{"nickname":"n","givenName":"g"}}`,
			want: `{"userName":"u","name":{"givenName":"g"}}`,
		},
		{
			name: "legacy single-value wrappers unwrapped",
			rt:   user,
			body: `{"userName":[{"$ref":null,"value":"u"}],"title":[{"value":"Boss"}],"active":[{"value":"False"}],
				"name":{"givenName":[{"$ref":null,"value":"G"}]}}`,
			want: `{"userName":"u","title":"Boss","active":false,"name":{"givenName":"G"}}`,
		},
		{
			name: "manager as a wrapped list keeps its $ref",
			rt:   user,
			body: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"$ref":"https://idp/Users/m1","value":"m1"}]}}`,
			want: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"$ref":"https://idp/Users/m1","value":"m1"}}}`,
		},
		{
			name: "manager empty forms are absent",
			rt:   user,
			body: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"","department":null,"division":"D"}}`,
			want: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"division":"D"}}`,
		},
		{
			name: "manager {} and an extension left empty",
			rt:   user,
			body: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{}}}`,
			want: `{"userName":"u"}`,
		},
		{
			name: "manager null and [] are absent",
			rt:   user,
			body: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[],"costCenter":null}}`,
			want: `{"userName":"u"}`,
		},
		{
			name: "a single object for a multi-valued complex attribute is a list",
			rt:   user,
			body: `{"userName":"u","emails":{"value":"a@b","type":"work"}}`,
			want: `{"userName":"u","emails":[{"value":"a@b","type":"work"}]}`,
		},
		{
			name: "null and empty elements dropped",
			rt:   user,
			body: `{"userName":"u","emails":[null,{"value":null},{"value":"a@b"},{}],"phoneNumbers":[{"value":""}]}`,
			want: `{"userName":"u","emails":[{"value":"a@b"}]}`,
		},
		{
			name: "string booleans in any case",
			rt:   user,
			body: `{"userName":"u","active":"fAlSe","emails":[{"value":"a@b","primary":"TRUE"}]}`,
			want: `{"userName":"u","active":false,"emails":[{"value":"a@b","primary":true}]}`,
		},
		{
			name: "a false primary is absent",
			rt:   user,
			body: `{"userName":"u","emails":[{"value":"a@b","primary":false}],"addresses":[{"type":"work","primary":"False"}]}`,
			want: `{"userName":"u","emails":[{"value":"a@b"}],"addresses":[{"type":"work"}]}`,
		},
		{
			name: "schemas only",
			rt:   group,
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"SCHEMAS":[]}`,
			want: `{}`,
		},
		{
			name: "binary x509 value, with PEM line breaks",
			rt:   user,
			body: `{"userName":"u","x509Certificates":[{"value":"TUlJREFE\r\nQ0NBZVln"}]}`,
			want: `{"userName":"u","x509Certificates":[{"value":"TUlJREFE\r\nQ0NBZVln"}]}`,
		},
		{
			name: "long displayName within the limit, newlines allowed outside userName",
			rt:   user,
			body: `{"userName":"u","displayName":"` + strings.Repeat("x", maxStringBytes) + `","addresses":[{"formatted":"1 Main St\nSpringfield"}]}`,
			want: `{"userName":"u","displayName":"` + strings.Repeat("x", maxStringBytes) + `","addresses":[{"formatted":"1 Main St\nSpringfield"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ntDecode(t, tt.body)
			before := ntDecode(t, tt.body)
			got, err := normalize(tt.rt, body)
			if err != nil {
				t.Fatalf("normalize: %v", err)
			}
			if diff := cmp.Diff(ntDecode(t, tt.want), got); diff != "" {
				t.Errorf("normalize (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, body); diff != "" {
				t.Errorf("normalize changed its input (-before +after):\n%s", diff)
			}
			again, err := normalize(tt.rt, got)
			if err != nil {
				t.Fatalf("normalize of its own output: %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("normalize is not idempotent (-once +twice):\n%s", diff)
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	user, group := schema.User(), schema.Group()
	tests := []struct {
		name     string
		rt       *schema.ResourceType
		body     string
		scimType string
		detail   string // a fragment the detail must contain
	}{
		{"case duplicate keys", user, `{"userName":"a","USERNAME":"b"}`, InvalidSyntax, `"userName"`},
		{"case duplicate readOnly keys", user, `{"userName":"a","id":"1","ID":"2"}`, InvalidSyntax, `"id"`},
		{"case duplicate sub-attributes", user, `{"userName":"a","name":{"givenName":"x","GivenName":"y"}}`, InvalidSyntax, `"name.givenName"`},
		{"case duplicate extension keys", user, `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{},"URN:ietf:params:scim:schemas:extension:enterprise:2.0:User":{}}`, InvalidSyntax, "enterprise"},
		{"case duplicate extension attributes", user, `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"a","Department":"b"}}`, InvalidSyntax, "department"},
		{"object for boolean", user, `{"userName":"a","active":{}}`, InvalidValue, `"active"`},
		{"number for boolean", user, `{"userName":"a","active":1}`, InvalidValue, `"active"`},
		{"other string for boolean", user, `{"userName":"a","active":"yes"}`, InvalidValue, `"active"`},
		{"number for string", user, `{"userName":42}`, InvalidValue, `"userName"`},
		{"bool for string", user, `{"userName":"a","title":true}`, InvalidValue, `"title"`},
		{"string for multi-valued complex", user, `{"userName":"a","emails":"x"}`, InvalidValue, `"emails"`},
		{"string elements for multi-valued complex", user, `{"userName":"a","emails":["x"]}`, InvalidValue, `"emails"`},
		{"string for complex", user, `{"userName":"a","name":"Barbara"}`, InvalidValue, `"name"`},
		{"list of two for single-valued", user, `{"userName":"a","title":[{"value":"x"},{"value":"y"}]}`, InvalidValue, `"title"`},
		{"list of strings for single-valued", user, `{"userName":"a","title":["x"]}`, InvalidValue, `"title"`},
		{"wrapper with other keys", user, `{"userName":"a","title":[{"value":"x","type":"work"}]}`, InvalidValue, `"title"`},
		{"object nested in a sub-attribute", user, `{"userName":"a","name":{"givenName":{"first":"x"}}}`, InvalidValue, `"name.givenName"`},
		{"object nested in an element", user, `{"userName":"a","emails":[{"value":{"a":"b"}}]}`, InvalidValue, `"emails.value"`},
		{"list nested in an element's sub-attribute", user, `{"userName":"a","emails":[{"value":[1,2]}]}`, InvalidValue, `"emails.value"`},
		{"manager as a number", user, `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":5}}`, InvalidValue, "manager"},
		{"extension not an object", user, `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`, InvalidValue, "enterprise"},
		{"string too long", user, `{"userName":"a","displayName":"` + strings.Repeat("x", maxStringBytes+1) + `"}`, InvalidValue, `"displayName"`},
		{"NUL in userName", user, `{"userName":"a\u0000b"}`, InvalidValue, `"userName"`},
		{"NUL anywhere", user, `{"userName":"a","title":"x\u0000"}`, InvalidValue, `"title"`},
		{"control character in userName", user, `{"userName":"a\u0007b"}`, InvalidValue, `"userName"`},
		{"newline in userName", user, `{"userName":"a\nb"}`, InvalidValue, `"userName"`},
		{"bad base64", user, `{"userName":"a","x509Certificates":[{"value":"***"}]}`, InvalidValue, `"x509Certificates.value"`},
		{"members not a list", group, `{"displayName":"g","members":"u1"}`, InvalidValue, `"members"`},
		{"display name as object", group, `{"displayName":{"value":"g"}}`, InvalidValue, `"displayName"`},
		{"empty list for single-valued", user, `{"userName":"a","displayName":[]}`, InvalidValue, `"displayName"`},
		{"empty list for single-valued complex", user, `{"userName":"a","name":[]}`, InvalidValue, `"name"`},
		{"empty list for extension attribute", user, `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":[]}}`, InvalidValue, "costCenter"},
		{"empty list for sub-attribute", user, `{"userName":"a","name":{"givenName":[]}}`, InvalidValue, `"name.givenName"`},
		{"schemas naming Group on a user", user, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"a"}`, InvalidSyntax, schema.UserURN},
		{"schemas naming User on a group", group, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"g"}`, InvalidSyntax, schema.GroupURN},
		{"schemas naming both", user, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"a"}`, InvalidSyntax, schema.UserURN},
		{"schemas not a list", user, `{"schemas":"urn:ietf:params:scim:schemas:core:2.0:User","userName":"a"}`, InvalidSyntax, `"schemas"`},
		{"schemas with a number", user, `{"schemas":[1],"userName":"a"}`, InvalidSyntax, `"schemas"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := normalize(tt.rt, ntDecode(t, tt.body))
			ntWantError(t, err, http.StatusBadRequest, tt.scimType)
			if d := err.(*Error).Detail; !strings.Contains(d, tt.detail) {
				t.Errorf("detail %q does not name %s", d, tt.detail)
			}
			if strings.Contains(err.(*Error).Detail, "xxxxxxxx") {
				t.Errorf("detail echoes the input")
			}
		})
	}
}

// TestNormalizeInvalidUTF8 builds the body by hand: encoding/json would
// replace the bad bytes.
func TestNormalizeInvalidUTF8(t *testing.T) {
	_, err := normalize(schema.User(), map[string]any{"userName": "a\xffb"})
	ntWantError(t, err, http.StatusBadRequest, InvalidValue)
}

// TestNormalizeNumbers uses a custom extension, since the core schemas
// have no integer, decimal or dateTime attributes clients may write.
func TestNormalizeNumbers(t *testing.T) {
	rt := ntCustomUser()
	const ext = ntTestURN
	ok := []struct {
		name, in, want string
	}{
		{"integer", `{"level":3}`, `{"level":3}`},
		{"negative integer", `{"level":-3}`, `{"level":-3}`},
		{"decimal", `{"score":2.5}`, `{"score":2.5}`},
		{"decimal given as an integer", `{"score":2}`, `{"score":2}`},
		{"decimal with exponent", `{"score":1e3}`, `{"score":1e3}`},
		{"dateTime", `{"hired":"2008-01-23T04:56:22Z"}`, `{"hired":"2008-01-23T04:56:22Z"}`},
		{"dateTime with offset and fraction", `{"hired":"2008-01-23T04:56:22.123+02:00"}`, `{"hired":"2008-01-23T04:56:22.123+02:00"}`},
		{"multi-valued strings", `{"tags":["a",null,"","b"]}`, `{"tags":["a","b"]}`},
		{"readOnly extension attribute dropped", `{"badge":"b","level":1}`, `{"level":1}`},
		{"writeOnly extension attribute kept: only the core password is dropped", `{"pin":"1234"}`, `{"pin":"1234"}`},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalize(rt, ntDecode(t, `{"userName":"u","`+ext+`":`+tt.in+`}`))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ntDecode(t, `{"userName":"u","`+ext+`":`+tt.want+`}`), got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	bad := []struct{ name, in string }{
		{"fraction for integer", `{"level":1.5}`},
		{"exponent for integer", `{"level":1e2}`},
		{"string for integer", `{"level":"3"}`},
		{"integer out of range", `{"level":99999999999999999999}`},
		{"bool for decimal", `{"score":true}`},
		{"decimal out of range", `{"score":1e999}`},
		{"date only", `{"hired":"2008-01-23"}`},
		{"dateTime without zone", `{"hired":"2008-01-23T04:56:22"}`},
		{"number for dateTime", `{"hired":20080123}`},
		{"object in a multi-valued simple", `{"tags":[{"value":"a"}]}`},
		{"list in a multi-valued simple", `{"tags":[["a"]]}`},
		{"string for multi-valued simple", `{"tags":"a"}`},
		{"object for multi-valued simple", `{"tags":{"value":"a"}}`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := normalize(rt, ntDecode(t, `{"userName":"u","`+ext+`":`+tt.in+`}`))
			ntWantError(t, err, http.StatusBadRequest, InvalidValue)
		})
	}
	// Go numbers, as from a body decoded without UseNumber.
	got, err := normalize(rt, map[string]any{"userName": "u", ext: map[string]any{"level": float64(4), "score": 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"userName": "u", ext: map[string]any{"level": json.Number("4"), "score": json.Number("0.5")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

const ntTestURN = "urn:example:params:scim:schemas:extension:test:2.0:User"

// ntTestSchemaJSON is a custom extension with the types and
// characteristics the core schemas lack.
const ntTestSchemaJSON = `{
  "id": "` + ntTestURN + `", "name": "Test",
  "attributes": [
    {"name": "level", "type": "integer", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "score", "type": "decimal", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "hired", "type": "dateTime", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "tags", "type": "string", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "badge", "type": "string", "mutability": "readOnly", "returned": "default", "uniqueness": "none"},
    {"name": "pin", "type": "string", "mutability": "writeOnly", "returned": "never", "uniqueness": "none"},
    {"name": "costCode", "type": "string", "mutability": "immutable", "returned": "default", "uniqueness": "none"},
    {"name": "owner", "type": "complex", "mutability": "readWrite", "returned": "default", "uniqueness": "none",
     "subAttributes": [
       {"name": "value", "type": "string", "mutability": "immutable", "returned": "default", "uniqueness": "none"},
       {"name": "display", "type": "string", "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
     ]}
  ]
}`

// ntCustomUser is the User resource type with the enterprise extension
// and the test extension.
func ntCustomUser() *schema.ResourceType {
	s, err := schema.Parse([]byte(ntTestSchemaJSON))
	if err != nil {
		panic(err)
	}
	rt := schema.User()
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: s[0]})
	return rt
}

func TestValidate(t *testing.T) {
	user, group := schema.User(), schema.Group()
	tests := []struct {
		name     string
		rt       *schema.ResourceType
		old, doc string // old "" means a create
		scimType string // "" means valid
	}{
		{"user ok", user, "", `{"userName":"u"}`, ""},
		{"group ok", group, "", `{"displayName":"g"}`, ""},
		{"userName missing", user, "", `{"displayName":"d"}`, InvalidValue},
		{"userName blank", user, "", `{"userName":"  "}`, InvalidValue},
		{"group displayName missing", group, "", `{"externalId":"x"}`, InvalidValue},
		{"two primaries", user, "", `{"userName":"u","emails":[{"value":"a","primary":true},{"value":"b","primary":true}]}`, InvalidValue},
		{"one primary", user, "", `{"userName":"u","emails":[{"value":"a","primary":true},{"value":"b","primary":false}]}`, ""},
		{"wrong type in a stored doc", user, "", `{"userName":"u","active":"maybe"}`, InvalidValue},
		{"readOnly attributes are not checked", user, "", `{"userName":"u","id":"1","meta":{"created":"x"},"groups":[{"value":"g"}]}`, ""},
		{"replace keeps required", user, `{"userName":"u"}`, `{"userName":"v"}`, ""},
		{"replace drops required", user, `{"userName":"u"}`, `{"title":"t"}`, InvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var old map[string]any
			if tt.old != "" {
				old = ntDecode(t, tt.old)
			}
			err := validate(tt.rt, old, ntDecode(t, tt.doc))
			if tt.scimType == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			ntWantError(t, err, http.StatusBadRequest, tt.scimType)
		})
	}
}

func TestValidateRequiredExtension(t *testing.T) {
	rt := ntCustomUser()
	rt.Extensions[1].Required = true
	ntWantError(t, validate(rt, nil, ntDecode(t, `{"userName":"u"}`)), http.StatusBadRequest, InvalidValue)
	if err := validate(rt, nil, ntDecode(t, `{"userName":"u","`+ntTestURN+`":{"level":1}}`)); err != nil {
		t.Errorf("with the extension: %v", err)
	}
	// The enterprise extension is optional.
	if err := validate(rt, nil, ntDecode(t, `{"userName":"u","`+ntTestURN+`":{"level":1},"`+ntEnterprise+`":{}}`)); err != nil {
		t.Errorf("without the optional extension: %v", err)
	}
}

func TestValidateImmutable(t *testing.T) {
	rt := ntCustomUser()
	doc := func(s string) map[string]any { return ntDecode(t, `{"userName":"u","`+ntTestURN+`":`+s+`}`) }
	tests := []struct {
		name     string
		old, new string
		scimType string
	}{
		{"set while empty", `{"level":1}`, `{"costCode":"c1"}`, ""},
		{"unchanged", `{"costCode":"c1"}`, `{"costCode":"c1","level":2}`, ""},
		{"changed", `{"costCode":"c1"}`, `{"costCode":"c2"}`, Mutability},
		{"cleared", `{"costCode":"c1"}`, `{"level":2}`, Mutability},
		{"create ignores immutability", ``, `{"costCode":"c1"}`, ""},
		{"sub-attribute set while empty", `{"owner":{"display":"O"}}`, `{"owner":{"value":"o1","display":"O"}}`, ""},
		{"mutable sub-attribute changed", `{"owner":{"value":"o1","display":"O"}}`, `{"owner":{"value":"o1","display":"P"}}`, ""},
		{"immutable sub-attribute changed", `{"owner":{"value":"o1"}}`, `{"owner":{"value":"o2"}}`, Mutability},
		{"immutable sub-attribute cleared", `{"owner":{"value":"o1"}}`, `{"level":1}`, Mutability},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var old map[string]any
			if tt.old != "" {
				old = doc(tt.old)
			}
			err := validate(rt, old, doc(tt.new))
			if tt.scimType == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ntWantError(t, err, http.StatusBadRequest, tt.scimType)
		})
	}
}

func TestRejectDuplicateKeys(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}`, true},
		{`{}`, true},
		{`[]`, true},
		{`{"a":[],"b":{},"c":[[{"x":1}],{"y":[]}]}`, true},
		{`{"a":1,"A":2}`, true}, // case is normalize's concern
		{`{"a":1,"a":2}`, false},
		{`{"x":{"a":1,"b":2,"a":3}}`, false},
		{`{"x":[{"a":1},{"b":2,"b":3}]}`, false},
		{`{"a":1`, false},
		{`{"a":}`, false},
		{``, true}, // nothing to check; decoding reports the empty body
	}
	for _, tt := range tests {
		err := rejectDuplicateKeys([]byte(tt.body))
		if (err == nil) != tt.ok {
			t.Errorf("rejectDuplicateKeys(%s) = %v, want ok=%v", tt.body, err, tt.ok)
		}
		if err != nil {
			ntWantError(t, err, http.StatusBadRequest, InvalidSyntax)
		}
	}
	deep := bytes.Repeat([]byte("["), 20000)
	if err := rejectDuplicateKeys(deep); err == nil {
		t.Error("unterminated deep nesting accepted")
	}
}
