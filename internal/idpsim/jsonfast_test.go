package idpsim

import (
	"encoding/json"
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
