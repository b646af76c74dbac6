package idpsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseJSON checks the simulator's parser options: nesting up to
// maxParseDepth, and a repeated key kept as encoding/json keeps it.
func TestParseJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    any
		wantErr bool
	}{
		{strings.Repeat(`[`, maxParseDepth) + strings.Repeat(`]`, maxParseDepth), nested(maxParseDepth), false},
		{strings.Repeat(`[`, maxParseDepth+1) + strings.Repeat(`]`, maxParseDepth+1), nil, true},
		{`{"a":1,"a":2}`, map[string]any{"a": json.Number("2")}, false},
		{`{} {}`, nil, true},
	}
	for _, tt := range tests {
		got, err := parseJSON([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("%.20q: error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		// reflect.DeepEqual first: cmp.Diff is exponential in the nesting
		// of slices.
		if !reflect.DeepEqual(tt.want, got) {
			t.Errorf("%.20q: got %v, want %v", tt.in, got, tt.want)
		}
	}
}

// stdParse decodes b as parseJSON promises to: encoding/json's Decoder
// with UseNumber, nothing but white space after the value.
func stdParse(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

// parseSeeds are inputs where a hand-written decoder goes wrong.
var parseSeeds = []string{
	`{"schemas":["urn:x"],"totalResults":1,"Resources":[{"id":"a","active":true,"manager":null}]}`,
	`"\u00e9\ud83d\ude00 \ud800 \udc00x \ud800\u0041 \ud800\ud800\udc00 \/\b\f\n\r\t"`,
	"\"a\xffb\xc3\xa9\xed\xa0\x80c\"", `"\u12"`, `"\x"`, "\"a\x01\"", `"unterminated`,
	`-0`, `0.5e-3`, `1E+2`, `01`, `1.`, `-`, `.5`, `1e`, `-01`, `2.0e`, `1ee`,
	`[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1 2]`, `tru`, `nul`, `falsey`, ` [ ] `, `{}`, ``, ` `,
	`{"a":{"b":[{"c":[]}]}}`, `"\u0000"`, `{"":""}`, `[] x`,
}

// TestParseJSONLikeEncodingJSON compares parseJSON with encoding/json on
// inputs that exercise every branch.
func TestParseJSONLikeEncodingJSON(t *testing.T) {
	for _, in := range parseSeeds {
		compareParse(t, []byte(in))
	}
}

// FuzzParseJSON compares parseJSON with encoding/json: the same value, or
// both an error. Only nesting beyond maxParseDepth may differ.
func FuzzParseJSON(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(compareParse)
}

func compareParse(t *testing.T, b []byte) {
	got, err := parseJSON(b)
	want, stdErr := stdParse(b)
	if err != nil && strings.Contains(err.Error(), "nested too deeply") {
		return
	}
	if (err != nil) != (stdErr != nil) {
		t.Fatalf("%q: parseJSON error %v, encoding/json error %v", b, err, stdErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: parseJSON %#v, encoding/json %#v", b, got, want)
	}
}

// FuzzAppendString checks that every string encodes to JSON that
// encoding/json decodes to the string (invalid UTF-8 as U+FFFD).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" backslash \\ \n\r\t\x01\x1f\x7f", "Zoë 😀", "a\xffb\xc3", "\u2028<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, b, err)
		}
		if want := string([]rune(s)); got != want {
			t.Fatalf("%q: decoded %q", s, got)
		}
	})
}

// nested returns n arrays nested in one another.
func nested(n int) any {
	v := []any{}
	for range n - 1 {
		v = []any{v}
	}
	return v
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
