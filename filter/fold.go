package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold returns the case-folded form Match compares attributes that are not
// caseExact by: Fold(a) == Fold(b) exactly when strings.EqualFold(a, b).
// Match uses it for co, sw, ew and the ordering operators (the core
// userName compares by FoldIdentity instead), so a store
// that compiles filters to its own engine can fold stored values and
// literals the same way.
//
// Each rune becomes one fixed member of its Unicode simple case folding
// orbit (the runes unicode.SimpleFold cycles through): the lower-case form
// of the orbit's smallest rune when that is in the orbit, else the
// smallest rune, so ASCII folds to lower case. Invalid UTF-8 bytes fold to
// U+FFFD, as strings.EqualFold decodes them.
func Fold(s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return foldUnicode(s)
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if !upper {
		return s // no allocation for the common case
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func foldUnicode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	lo := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		lo = min(lo, f)
	}
	if l := unicode.ToLower(lo); l != lo && inOrbit(lo, l) {
		return l
	}
	return lo
}

// inOrbit reports whether t is in the simple folding orbit of r.
func inOrbit(r, t rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f == t {
			return true
		}
	}
	return false
}
