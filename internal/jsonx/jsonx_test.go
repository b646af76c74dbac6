package jsonx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/internal/jsonx"
	"github.com/scimkit/scim/internal/jsonx/jsonxtest"
)

// stdDecode decodes as encoding/json with UseNumber, rejecting trailing
// data: the behaviour jsonx.Parse must match.
func stdDecode(b []byte) (any, error) {
	if !json.Valid(b) {
		return nil, errors.New("invalid JSON")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// scanStream reads b as a stream of values with jsonx.ParsePrefix, as the old
// check does, and returns the kind of the first error.
func scanStream(b []byte) error {
	for {
		i := 0
		for i < len(b) && strings.IndexByte(" \t\r\n", b[i]) >= 0 {
			i++
		}
		if i == len(b) {
			return nil
		}
		_, n, err := jsonx.ParsePrefix(b, jsonx.Options{RejectDuplicateKeys: true})
		if err != nil {
			return kind(err)
		}
		b = b[n:]
	}
}

// kind returns the sentinel a jsonx error wraps.
func kind(err error) error {
	var e *jsonx.Error
	if !errors.As(err, &e) {
		return err
	}
	return e.Kind
}

var jsonCases = []string{
	// Known keys (returned without allocating), the same names escaped,
	// cut short, extended, and a key whose first quote is escaped.
	`{"value":1,"valu\u0065":2,"valu":3,"values":4,"value\"":5,"\"value":6,"type":{"value":[{"type":7}]}}`,
	`{"userName":"a","username":"b","USERNAME":"c"}`, `{"value`, `{"value"`, `{"value":`, `{"value\`,
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12`, `-3.5e+10`, `1E3`, `0.25`,
	`""`, `"plain"`, `"Zoë Müller"`, `"São Paulo\nline"`, `"esc \" \\ \/ \b \f \n \r \t"`,
	`"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`,
	`"\ud83d\ud83d\ude00"`, `"\ud83d\u12"`, `"\ud83d\"`, `"\ud83d\n"`,
	"\"bad \xff utf8\"", "\"bad \xc3 mid\"", "\"surrogate \xed\xa0\x80 in UTF-8\"", "\"\xff\\n\xfe\"",
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[],"startIndex":1,"itemsPerPage":0}`,
	`{"a":1,"a":2}`, ` { "k" : [ 1 , { "n" : null } ] } `, `{"a":1,"A":2}`, `{"a":{"a":{"a":1}}}`,
	`{"a":1,"\u0061":2}`, "{\"\xff\":1,\"\xfe\":2}", `{"":1,"":2}`, `{"a":1,"a":tru}`, `{"a":[1,2,3],"b":[],"c":[{}]}`,
	`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":3}`,
	`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":{"k18":1}}`,
	`{"members":[{"value":"1","$ref":"http://x/Users/1","type":"User"}],"manager":{"value":"m"}}`,
	// Errors.
	``, ` `, `{`, `[`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{a:1}`, `tru`, `nul`, `01`, `1.`, `.5`,
	`-`, `1e`, `+1`, `"unterminated`, "\"ctl \x01\"", `"\x"`, `"\u12"`, `{} {}`, `{}x`, `"a"b`, `[01]`, `[1"a"]`,
	`{"a":1}{"b":2,"b":3}`, `{"a":1} [`, `1 2 3`, "\ufeff{}", `{"a":1 "b":2}`, `{,}`, `[,1]`, `{"a"::1}`,
	`[` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 71),
}

// TestParse compares jsonx.Parse with encoding/json, and its duplicate
// detection with the old check, on valid and invalid inputs.
func TestParse(t *testing.T) {
	for _, in := range jsonCases {
		checkParse(t, []byte(in))
	}
}

func checkParse(t *testing.T, in []byte) {
	t.Helper()
	want, werr := stdDecode(in)
	got, gerr := jsonx.Parse(in, jsonx.Options{})
	if (werr != nil) != (gerr != nil) {
		if !errors.Is(gerr, jsonx.ErrTooDeep) {
			t.Fatalf("%q: encoding/json error %v, jsonx.Parse error %v", in, werr, gerr)
		}
	}
	// reflect.DeepEqual first: cmp.Diff is exponential in the nesting of
	// slices, which the fuzzer finds quickly.
	if werr == nil && gerr == nil && !reflect.DeepEqual(want, got) {
		t.Errorf("%q (-encoding/json +jsonx.Parse):\n%s", in, cmp.Diff(want, got))
	}
	if gerr != nil && kind(gerr) != jsonx.ErrSyntax && kind(gerr) != jsonx.ErrTrailingData && kind(gerr) != jsonx.ErrTooDeep {
		t.Errorf("%q: error %v of kind %v", in, gerr, kind(gerr))
	}

	old := jsonxtest.OldRejectDuplicateKeys(in)
	if stream := scanStream(in); stream != old && stream != jsonx.ErrTooDeep {
		t.Errorf("%q: stream scan %v, old duplicate check %v", in, stream, old)
	}
	_, derr := jsonx.Parse(in, jsonx.Options{RejectDuplicateKeys: true})
	switch {
	case errors.Is(derr, jsonx.ErrTooDeep):
	case werr == nil && (old == jsonx.ErrDuplicateKey) != errors.Is(derr, jsonx.ErrDuplicateKey):
		t.Errorf("%q: jsonx.Parse rejecting duplicates %v, old check %v", in, derr, old)
	case old == nil && werr == nil && derr != nil:
		t.Errorf("%q: jsonx.Parse rejecting duplicates %v on valid JSON", in, derr)
	}
}

// FuzzParse checks jsonx.Parse against encoding/json and the old duplicate
// check on arbitrary input.
func FuzzParse(f *testing.F) {
	for _, in := range jsonCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkParse(t, in)
		checkParseString(t, in)
	})
}

// checkParseString holds ParseString to Parse: a string it decodes is
// the one Parse gives for the bytes it took, and a string value Parse
// accepts is one ParseString decodes whole.
func checkParseString(t *testing.T, in []byte) {
	t.Helper()
	for _, o := range []jsonx.Options{{}, {RejectInvalidUTF8: true}} {
		s, n, err := jsonx.ParseString(in, o)
		if err == nil {
			if v, perr := jsonx.Parse(in[:n], o); perr != nil || v != s {
				t.Fatalf("ParseString(%q) = %q in %d bytes; Parse of those: %q, %v", in, s, n, v, perr)
			}
		}
		if v, perr := jsonx.Parse(in, o); perr == nil && len(in) > 0 && in[0] == '"' {
			if err != nil || v != s {
				t.Fatalf("Parse(%q) = %q; ParseString: %q, %v", in, v, s, err)
			}
		}
	}
}

func TestParseString(t *testing.T) {
	for _, in := range append(jsonCases, `"a\u0026b"x`, `"\ud800"`, "\"\xff\"", `"`, `"a`, `x`, ``) {
		checkParseString(t, []byte(in))
	}
	s, n, err := jsonx.ParseString([]byte(`"R\u0026D","x"`), jsonx.Options{})
	if s != "R&D" || n != 10 || err != nil {
		t.Errorf(`ParseString("R\u0026D",...) = %q, %d, %v`, s, n, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		opts   jsonx.Options
		kind   error
		offset int
	}{
		{`{"a":1,"a":2}`, jsonx.Options{RejectDuplicateKeys: true}, jsonx.ErrDuplicateKey, 7},
		{`{"a":1,"a":tru}`, jsonx.Options{RejectDuplicateKeys: true}, jsonx.ErrDuplicateKey, 7},
		{`{"a":1,"a":2}`, jsonx.Options{}, nil, 0},
		{`{"value":1,"value":2}`, jsonx.Options{RejectDuplicateKeys: true}, jsonx.ErrDuplicateKey, 11},
		{`{"value":1,"valu\u0065":2}`, jsonx.Options{RejectDuplicateKeys: true}, jsonx.ErrDuplicateKey, 11},
		{`{"x":[{"a":1},{"b":2,"b":3}]}`, jsonx.Options{RejectDuplicateKeys: true}, jsonx.ErrDuplicateKey, 21},
		{`{}x`, jsonx.Options{}, jsonx.ErrTrailingData, 2},
		{`{} {}`, jsonx.Options{}, jsonx.ErrTrailingData, 3},
		{`{"a":}`, jsonx.Options{}, jsonx.ErrSyntax, 5},
		{`[[1]]`, jsonx.Options{MaxDepth: 2}, nil, 0},
		{`[[[1]]]`, jsonx.Options{MaxDepth: 2}, jsonx.ErrTooDeep, 2},
		{`{"a":{"b":{}}}`, jsonx.Options{MaxDepth: 2}, jsonx.ErrTooDeep, 10},
		{`[{"a":1,"a":[[[`, jsonx.Options{MaxDepth: 3, RejectDuplicateKeys: true}, jsonx.ErrDuplicateKey, 8},
		{`[[[` + `{"a":1,"a":2}`, jsonx.Options{MaxDepth: 3, RejectDuplicateKeys: true}, jsonx.ErrTooDeep, 3},
		{strings.Repeat(`[`, 1e6), jsonx.Options{}, jsonx.ErrTooDeep, jsonx.DefaultMaxDepth},
		{strings.Repeat(`[`, 1e6), jsonx.Options{MaxDepth: 64}, jsonx.ErrTooDeep, 64},
		{strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat(`}`, 64), jsonx.Options{MaxDepth: 64}, nil, 0},
		{strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat(`}`, 65), jsonx.Options{MaxDepth: 64}, jsonx.ErrTooDeep, 64 * 5},
	}
	for _, tt := range tests {
		_, err := jsonx.Parse([]byte(tt.in), tt.opts)
		if tt.kind == nil {
			if err != nil {
				t.Errorf("%.40q: %v", tt.in, err)
			}
			continue
		}
		var e *jsonx.Error
		if !errors.As(err, &e) || !errors.Is(err, tt.kind) || e.Offset != tt.offset {
			t.Errorf("%.40q: got %v (%#v), want %v at offset %d", tt.in, err, e, tt.kind, tt.offset)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in   string
		want any
		n    int
	}{
		{` {"a":1} {"b":2}`, map[string]any{"a": json.Number("1")}, 8},
		{`01`, json.Number("0"), 1},
		{`-01`, json.Number("-0"), 2},
		{`truefalse`, true, 4},
		{`"a"b`, "a", 3},
		{"\t[]\n", []any{}, 3},
	}
	for _, tt := range tests {
		v, n, err := jsonx.ParsePrefix([]byte(tt.in), jsonx.Options{})
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, v); diff != "" || n != tt.n {
			t.Errorf("%q: n=%d, want %d; value (-want +got):\n%s", tt.in, n, tt.n, diff)
		}
	}
}

// TestAppendString checks that encoding/json decodes what jsonx.AppendString
// writes to the string it was given, or for invalid UTF-8 to the string
// encoding/json itself would write.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "a\"b\\c", "\x00\x01\x1f\x7f", "\n\r\t\b\f", "<a href='x'>&amp;</a>",
		"Zoë Nguyễn 中文 😀", "\u2028\u2029", "a\xffb\xc3", "\xed\xa0\x80"} {
		checkAppendString(t, s)
	}
}

func checkAppendString(t *testing.T, s string) {
	t.Helper()
	b := jsonx.AppendString(nil, s)
	var got string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%q -> %q: %v", s, b, err)
	}
	want, _ := json.Marshal(s)
	var wantS string
	if err := json.Unmarshal(want, &wantS); err != nil {
		t.Fatal(err)
	}
	if got != wantS {
		t.Fatalf("%q: got %q want %q", s, got, wantS)
	}
	if bytes.ContainsAny(b, "\u2028\u2029") {
		t.Fatalf("%q -> %q: U+2028 or U+2029 left unescaped", s, b)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(checkAppendString)
}

// benchUser is a fully mapped user as a server returns it.
var benchUser = []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"a3682335-536e-4028-ad6c-0c84d0acf997","externalId":"0b7e6a4d-1c2f-4e8a-9a55-2f0f3c1d8e21","active":true,"addresses":[{"country":"DE","formatted":"12 Leopoldstraße\n80802 München","locality":"München","postalCode":"80802","region":"Bayern","streetAddress":"12 Leopoldstraße","type":"work"}],"displayName":"Zoë Müller","emails":[{"primary":true,"type":"work","value":"zoe.mueller42@contoso.example"}],"name":{"familyName":"Müller","formatted":"Zoë Müller","givenName":"Zoë"},"phoneNumbers":[{"type":"work","value":"+1 425-555-0100 ext. 123"},{"type":"mobile","value":"+49 170 1234567"}],"preferredLanguage":"de-DE","title":"Engineer","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"CC-0042","department":"Engineering","division":"Cloud","employeeNumber":"0012345","manager":{"value":"b18b2eee-bf26-4021-b9fe-c60b4f59a5eb"},"organization":"Contoso Ltd."},"userName":"zoe.mueller.42@contoso.example","meta":{"created":"2026-11-25T20:14:50.949075632Z","lastModified":"2026-11-25T20:14:50.949075632Z","location":"http://127.0.0.1:18081/scim/v2/Users/a3682335-536e-4028-ad6c-0c84d0acf997","resourceType":"User","version":"1"}}`)

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name  string
		parse func([]byte) (any, error)
	}{
		{"jsonx", func(in []byte) (any, error) { return jsonx.Parse(in, jsonx.Options{}) }},
		{"jsonx-dups", func(in []byte) (any, error) {
			return jsonx.Parse(in, jsonx.Options{MaxDepth: 32, RejectDuplicateKeys: true})
		}},
		{"encoding-json", func(in []byte) (any, error) {
			d := json.NewDecoder(bytes.NewReader(in))
			d.UseNumber()
			var v any
			return v, d.Decode(&v)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(benchUser)))
			for b.Loop() {
				if _, err := bc.parse(benchUser); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRejectInvalidUTF8 checks that with RejectInvalidUTF8 every string
// encoding/json would repair with U+FFFD is an error at its offset, and
// that valid strings, U+FFFD itself included, still parse.
func TestRejectInvalidUTF8(t *testing.T) {
	strict := jsonx.Options{RejectInvalidUTF8: true}
	for _, tt := range []struct {
		in     string
		offset int // -1: parses
	}{
		{`"plain"`, -1},
		{`"Zoë \u00e9 \ud83d\ude00 \ufffd �"`, -1},
		{`{"userName":"jose\u0301@y"}`, -1},
		{"\"bad\xffutf8\"", 4},
		{"{\"userName\":\"coll\xfex@y\"}", 17},
		{"[\"ok\",\"\x80\"]", 7},
		{"\"esc \\n then \xc3\"", 13},  // after an escape
		{"\"truncated \xe2\x82\"", 11}, // a cut multi-byte sequence
		{"\"overlong \xc0\xaf\"", 10},
		{"\"surrogate \xed\xa0\x80\"", 11}, // UTF-8 of a surrogate
		{`"lone \ud83d"`, 6},
		{`"lone \ud83d then x"`, 6},
		{`"low first \ude00\ud83d"`, 11},
		{`"pair broken \ud83d\u0041"`, 13},
	} {
		_, err := jsonx.Parse([]byte(tt.in), strict)
		if tt.offset < 0 {
			if err != nil {
				t.Errorf("Parse(%+q): %v, want success", tt.in, err)
			}
			continue
		}
		var e *jsonx.Error
		if !errors.As(err, &e) || e.Kind != jsonx.ErrInvalidUTF8 || e.Offset != tt.offset {
			t.Errorf("Parse(%+q) = %v, want ErrInvalidUTF8 at offset %d", tt.in, err, tt.offset)
		}
		// Without the option it is encoding/json's repair.
		if _, err := jsonx.Parse([]byte(tt.in), jsonx.Options{}); err != nil {
			t.Errorf("Parse(%+q) without RejectInvalidUTF8: %v", tt.in, err)
		}
	}
}
