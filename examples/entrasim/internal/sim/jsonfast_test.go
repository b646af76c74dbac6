package sim

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stdDecode decodes as encoding/json with UseNumber, rejecting trailing
// data: the behaviour parseJSON must match.
func stdDecode(b []byte) (any, error) {
	if !json.Valid(b) {
		return nil, errNotObject
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

var jsonCases = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12`, `-3.5e+10`, `1E3`, `0.25`,
	`""`, `"plain"`, `"Zoë Müller"`, `"São Paulo\nline"`, `"esc \" \\ \/ \b \f \n \r \t"`,
	`"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`,
	"\"bad \xff utf8\"", "\"bad \xc3 mid\"",
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[],"startIndex":1,"itemsPerPage":0}`,
	`{"a":1,"a":2}`, ` { "k" : [ 1 , { "n" : null } ] } `,
	`{"members":[{"value":"1","$ref":"http://x/Users/1","type":"User"}],"manager":{"value":"m"}}`,
	// Errors.
	``, ` `, `{`, `[`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{a:1}`, `tru`, `nul`, `01`, `1.`, `.5`,
	`-`, `1e`, `+1`, `"unterminated`, "\"ctl \x01\"", `"\x"`, `"\u12"`, `"\ud83d\u12"`, `{} {}`, `{}x`, `"a"b`,
	`[` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 71),
}

// TestParseJSON compares parseJSON with encoding/json on valid and invalid
// inputs.
func TestParseJSON(t *testing.T) {
	for _, in := range jsonCases {
		checkParse(t, []byte(in))
	}
}

func checkParse(t *testing.T, in []byte) {
	t.Helper()
	want, werr := stdDecode(in)
	got, gerr := parseJSON(in)
	if bytes.Count(in, []byte("[")) > maxParseDepth && werr == nil {
		// encoding/json allows deeper nesting; parseJSON's bound is
		// deliberate.
		if gerr == nil {
			t.Errorf("%q: nesting beyond %d accepted", in, maxParseDepth)
		}
		return
	}
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%q: encoding/json error %v, parseJSON error %v", in, werr, gerr)
	}
	// reflect.DeepEqual first: cmp.Diff is exponential in the nesting of
	// slices, which the fuzzer finds quickly.
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Errorf("%q (-encoding/json +parseJSON):\n%s", in, cmp.Diff(want, got))
	}
}

// FuzzParseJSON checks parseJSON against encoding/json on arbitrary input.
func FuzzParseJSON(f *testing.F) {
	for _, in := range jsonCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkParse(t, in) })
}

// TestAppendJSON compares appendJSON with encoding/json: both encodings
// must decode to the same value.
func TestAppendJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"scalars", obj{{"s", "x"}, {"t", true}, {"f", false}, {"n", nil}, {"i", 42}, {"neg", -7}}},
		{"escapes", obj{{"q\"k", "quote \" backslash \\ newline \n tab \t cr \r ctl \x01 \x1f del \x7f"}}},
		{"unicode", obj{{"name", "Zoë Nguyễn 中文 😀"}, {"bad", "a\xffb\xc3"}}},
		{"html", obj{{"h", "<a href='x'>&amp;</a>"}}},
		{"nested", obj{{"Operations", []obj{{{"op", "add"}, {"value", []obj{{{"$ref", nil}, {"value", "1"}}}}}}}, {"schemas", []string{patchURN}}, {"e", []any{}}}},
		{"fallback", obj{{"m", map[string]int{"a": 1}}, {"f", 1.5}}},
		{"empty", obj{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := appendJSON(nil, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			std, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatalf("appendJSON produced invalid JSON %s: %v", got, err)
			}
			if err := json.Unmarshal(std, &b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(b, a); diff != "" {
				t.Errorf("decoded (-encoding/json +appendJSON):\n%s", diff)
			}
		})
	}
}

// TestObjOrder checks that obj keeps its keys in order, so bodies read like
// the IdP's.
func TestObjOrder(t *testing.T) {
	b, err := json.Marshal(obj{{"schemas", []string{userURN}}, {"b", 1}, {"a", 2}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"schemas":["` + userURN + `"],"b":1,"a":2}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

var benchUser = []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"a3682335-536e-4028-ad6c-0c84d0acf997","externalId":"0b7e6a4d-1c2f-4e8a-9a55-2f0f3c1d8e21","active":true,"addresses":[{"country":"DE","formatted":"12 Leopoldstraße\n80802 München","locality":"München","postalCode":"80802","region":"Bayern","streetAddress":"12 Leopoldstraße","type":"work"}],"displayName":"Zoë Müller","emails":[{"primary":true,"type":"work","value":"zoe.mueller42@contoso.example"}],"name":{"familyName":"Müller","formatted":"Zoë Müller","givenName":"Zoë"},"phoneNumbers":[{"type":"work","value":"+1 425-555-0100 ext. 123"},{"type":"mobile","value":"+49 170 1234567"}],"preferredLanguage":"de-DE","title":"Engineer","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"CC-0042","department":"Engineering","division":"Cloud","employeeNumber":"0012345","manager":{"value":"b18b2eee-bf26-4021-b9fe-c60b4f59a5eb"},"organization":"Contoso Ltd."},"userName":"zoe.mueller.42@contoso.example","meta":{"created":"2026-11-25T20:14:50.949075632Z","lastModified":"2026-11-25T20:14:50.949075632Z","location":"http://127.0.0.1:18081/scim/v2/Users/a3682335-536e-4028-ad6c-0c84d0acf997","resourceType":"User","version":"1"}}`)

func BenchmarkParseJSON(b *testing.B) {
	b.SetBytes(int64(len(benchUser)))
	for b.Loop() {
		if _, err := parseJSON(benchUser); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodingJSON(b *testing.B) {
	b.SetBytes(int64(len(benchUser)))
	for b.Loop() {
		if _, err := stdDecode(benchUser); err != nil {
			b.Fatal(err)
		}
	}
}
