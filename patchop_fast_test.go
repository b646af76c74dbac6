package scim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkFastParsePatch holds parsePatchBody to what the server did before
// it: the nesting bound, then ParsePatch, then decodeValue of each value.
func checkFastParsePatch(t *testing.T, body []byte) {
	t.Helper()
	ops, vals, err := parsePatchBody(body)
	var wantOps []PatchOp
	var wantErr error
	if jsonDepth(body) > maxJSONDepth {
		wantErr = errTooDeep()
	} else {
		wantOps, wantErr = ParsePatch(body)
	}
	if diff := cmp.Diff(errString(wantErr), errString(err)); diff != "" {
		t.Fatalf("error for %q (-ParsePatch +parsePatchBody):\n%s", body, diff)
	}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Fatalf("operations of %q (-ParsePatch +parsePatchBody):\n%s", body, diff)
	}
	if vals == nil {
		return
	}
	for i, op := range ops {
		want, err := decodeValue(op.Value)
		if err != nil {
			t.Fatalf("value %d of %q: %v", i, body, err)
		}
		if diff := cmp.Diff(want, vals[i]); diff != "" {
			t.Fatalf("value %d of %q (-decodeValue +parsed):\n%s", i, body, diff)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	b, _ := json.Marshal(err)
	return err.Error() + string(b)
}

func TestParsePatchBodyMatchesParsePatch(t *testing.T) {
	const pop = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	bodies := []string{
		ptOps(`{"op":"Replace","path":"active","value":"False"}`),
		` {` + pop + ` , "Operations" : [ { "op" : "add" , "path" : "title" , "value" : { "a" : [ 1 , "x\"]}" , null , true ] } } ] } `,
		`{"\u0073chemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"\u006fp":"remove","path":"title"}]}`,
		`{` + pop + `,"Operations":[{"op":"add","VALUE":-1.5e3},{"op":"replace","value":null},{"op":"remove"}]}`,
		`{` + pop + `,"Operations":[{"op":"add","value":"a","Value":"b"}]}`,
		`{` + pop + `,"Operations":[{"op":"add","value":{"x":1,"x":2}}]}`,
		`{` + pop + `,"Operations":[{"op":"add","value":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}]}`,
		`{` + pop + `,"Operations":[{"op":"add","value":"\ud800"}]}`,
		`{` + pop + `,"Operations":[]} {}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp",1],"Operations":[]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp",null],"Operations":[]}`,
		`{` + pop + `,"Operations":[{"op":"add","path":null,"value":[{"value":"u1","$ref":null}]}]}`,
		`{` + pop + `,"Operations":[{"op":"add","path":7}]}`,
		`[]`, `null`, `{}`, `{"Operations":[]}`,
	}
	for _, b := range bodies {
		checkFastParsePatch(t, []byte(b))
	}
	if _, vals, _ := parsePatchBody([]byte(bodies[0])); vals == nil {
		t.Error("Entra's disable was not parsed in one pass")
	}
}

// FuzzParsePatchBody holds the server's one-pass PATCH parse to
// ParsePatch and decodeValue on any body.
func FuzzParsePatchBody(f *testing.F) {
	f.Add([]byte(ptOps(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y.z"}`)))
	f.Add([]byte(ptOps(`{"op":"add","value":{"displayName":"a","members":[{"value":"u"}]}}`, `{"op":"remove","path":"title"}`)))
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":"\u00e9\\\""}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFastParsePatch(t, body)
	})
}
