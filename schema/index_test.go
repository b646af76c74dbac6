package schema

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// wide returns a literal schema with n string attributes a0..a(n-1) and a
// complex "badge" with n sub-attributes s0..s(n-1).
func wide(n int) *Schema {
	s := &Schema{ID: "urn:example:wide"}
	badge := &Attribute{Name: "badge", Type: Complex}
	for i := range n {
		s.Attributes = append(s.Attributes, &Attribute{Name: fmt.Sprintf("a%dX", i)})
		badge.SubAttributes = append(badge.SubAttributes, &Attribute{Name: fmt.Sprintf("s%dY", i)})
	}
	s.Attributes = append(s.Attributes, badge)
	return s
}

// TestLiteralLookup: a Schema built as a literal answers Attr and Sub
// without any constructor, case-insensitively, on both sides of linearMax.
func TestLiteralLookup(t *testing.T) {
	for _, n := range []int{1, linearMax - 1, linearMax, linearMax + 1, 40} {
		s := wide(n)
		tests := []struct {
			attr, sub string
			want      string // "" for nil
		}{
			{"a0X", "", "a0X"},
			{"A0x", "", "a0X"},
			{fmt.Sprintf("a%dx", n-1), "", fmt.Sprintf("a%dX", n-1)},
			{fmt.Sprintf("a%dX", n), "", ""},
			{"BADGE", "", "badge"},
			{"badge", "S0y", "s0Y"},
			{"badge", fmt.Sprintf("s%dy", n-1), fmt.Sprintf("s%dY", n-1)},
			{"badge", fmt.Sprintf("s%dY", n), ""},
			{"badge", "", "badge"},
			{"", "", ""},
			{"a0X\u00e9", "", ""},
			{strings.Repeat("a", maxKey+1), "", ""},
			{"nope", "value", ""},
		}
		for _, tc := range tests {
			a := s.Attr(tc.attr)
			if tc.sub != "" {
				a = a.Sub(tc.sub)
			}
			got := ""
			if a != nil {
				got = a.Name
			}
			if got != tc.want {
				t.Errorf("n=%d: Attr(%q).Sub(%q) = %q, want %q", n, tc.attr, tc.sub, got, tc.want)
			}
		}
	}
}

// TestLookupUnicodeFold: lookups fold as strings.EqualFold does whichever
// way the list is searched (the Kelvin sign folds to k).
func TestLookupUnicodeFold(t *testing.T) {
	for _, n := range []int{2, 40} {
		s := wide(n)
		s.Attributes = append(s.Attributes, &Attribute{Name: "kind"})
		if a := s.Attr("\u212aind"); a == nil || a.Name != "kind" {
			t.Errorf("n=%d: Attr(Kelvin sign + ind) = %v, want kind", n, a)
		}
	}
}

// TestLookupAfterCopy: a copied Schema whose Attributes were replaced
// finds its own attributes, not those of the list it was copied from.
func TestLookupAfterCopy(t *testing.T) {
	orig := wide(20)
	if orig.Attr("a3x") == nil {
		t.Fatal("a3x missing")
	}
	cp := *orig
	cp.Attributes = append([]*Attribute{{Name: "extra"}}, orig.Attributes[:5]...)
	if cp.Attr("extra") == nil || cp.Attr("a10x") != nil {
		t.Errorf("copy: extra %v, a10x %v; want found, nil", cp.Attr("extra"), cp.Attr("a10x"))
	}
	cp.Attributes = append(cp.Attributes, wide(20).Attributes...)
	if cp.Attr("a10x") == nil {
		t.Error("copy grown again: a10x not found")
	}
	if orig.Attr("extra") != nil || orig.Attr("a10x") == nil {
		t.Error("the original changed with its copy")
	}
}

// TestLookupDuplicate: with a name twice (which Validate refuses) the
// first wins, whichever way the list is searched.
func TestLookupDuplicate(t *testing.T) {
	for _, n := range []int{2, 40} {
		s := wide(n)
		first, second := &Attribute{Name: "dup", Description: "1"}, &Attribute{Name: "DUP", Description: "2"}
		s.Attributes = append(s.Attributes, first, second)
		if got := s.Attr("Dup"); got != first {
			t.Errorf("n=%d: Attr(Dup) = %+v, want the first", n, got)
		}
	}
}

// TestLookupConcurrent: the first lookups race to build the index; run
// with -race.
func TestLookupConcurrent(t *testing.T) {
	s := wide(30)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 30 {
				name := fmt.Sprintf("A%dx", (i+g)%30)
				if a := s.Attr(name); a == nil {
					t.Errorf("Attr(%q) = nil", name)
				}
				if s.Attr("badge").Sub(fmt.Sprintf("S%dy", i)) == nil {
					t.Errorf("Sub(s%dy) = nil", i)
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkAttr: lookups on the request path, a map for the core User's
// 21 attributes and a scan for the four of emails.
func BenchmarkAttr(b *testing.B) {
	u := CoreUser()
	names := []string{"userName", "DISPLAYNAME", "emails", "title", "active", "addresses", "nope"}
	b.Run("core User", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			u.Attr(names[i%len(names)])
		}
	})
	emails := u.Attr("emails")
	subs := []string{"value", "TYPE", "primary", "display", "nope"}
	b.Run("emails sub", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			emails.Sub(subs[i%len(subs)])
		}
	})
}
