package scim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEntityTag(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"", ""},
		{"3", `W/"3"`},
		{`W/"3"`, `W/"3"`},
		{`"abc"`, `"abc"`},
		{`a"b c`, `W/"a_b_c"`},
		{"\x7f\x00x", `W/"__x"`},
	} {
		if got := entityTag(tc.version); got != tc.want {
			t.Errorf("entityTag(%q) = %q, want %q", tc.version, got, tc.want)
		}
		if got := entityTag(entityTag(tc.version)); got != tc.want {
			t.Errorf("entityTag is not idempotent on %q: %q", tc.version, got)
		}
	}
}

func TestParseETags(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want *etagSet // nil: malformed
	}{
		{`*`, &etagSet{any: true}},
		{` * `, &etagSet{any: true}},
		{`W/"3"`, &etagSet{tags: []string{"3"}}},
		{`"3"`, &etagSet{tags: []string{"3"}}},
		{`3`, &etagSet{tags: []string{"3"}}},
		{`W/"1", "2" ,3,,`, &etagSet{tags: []string{"1", "2", "3"}}},
		{`"a,b"`, &etagSet{tags: []string{"a,b"}}},
		{`""`, &etagSet{tags: []string{""}}},
		{``, nil},
		{` , `, nil},
		{`W/"3`, nil},
		{`"3"x`, nil},
		{`*, "3"`, nil},
		{"\"a\x01\"", nil},
		{`3"`, nil},
		{strings.Repeat(`"1",`, maxETags+1), nil},
	} {
		got, ok := parseETags(tc.in)
		if !ok {
			got = nil
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(etagSet{})); diff != "" {
			t.Errorf("parseETags(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestETagSetMatches(t *testing.T) {
	list, _ := parseETags(`W/"1", "7"`)
	star, _ := parseETags(`*`)
	for _, tc := range []struct {
		set     *etagSet
		version string
		want    bool
	}{
		{nil, "", true},
		{nil, "5", true},
		{star, "", true},
		{star, "5", true},
		{list, "1", true},
		{list, "7", true},
		{list, `W/"7"`, true},
		{list, "5", false},
		{list, "", false},
	} {
		if got := tc.set.matches(tc.version); got != tc.want {
			t.Errorf("%+v.matches(%q) = %v, want %v", tc.set, tc.version, got, tc.want)
		}
	}
}

// FuzzParseETags checks that any header parses or is refused without a
// panic, and that what parses is tags made of etagc characters, matched
// by the versions they name.
func FuzzParseETags(f *testing.F) {
	for _, s := range []string{`*`, `W/"3"`, `"a", W/"b"`, `3`, `W/"`, `"x"y`, `, ,`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parseETags(s)
		if !ok {
			return
		}
		if p.any != (len(p.tags) == 0) || len(p.tags) > maxETags {
			t.Fatalf("parseETags(%q) = %+v", s, p)
		}
		for _, tag := range p.tags {
			if !etagChars(tag) {
				t.Fatalf("parseETags(%q): tag %q has characters outside etagc", s, tag)
			}
			if tag != "" && !p.matches(tag) {
				t.Fatalf("parseETags(%q): version %q does not match its own tag", s, tag)
			}
		}
	})
}
