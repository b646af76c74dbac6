package scim

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// FoldUserName returns the key on which userName uniqueness is enforced:
// FoldUserName(a) == FoldUserName(b) exactly when strings.EqualFold(a, b).
//
// Each rune is replaced by one fixed member of its Unicode simple case
// folding orbit (the runes unicode.SimpleFold cycles through): the lower
// case form of the orbit's smallest rune when that is in the orbit, else the
// smallest rune. ASCII therefore folds to lower case. Invalid UTF-8 bytes
// fold to U+FFFD, as strings.EqualFold decodes them.
//
// The bundled stores keep a unique index on this key per tenant; the SQL
// stores store it in its own column under a UNIQUE (tenant, key) constraint,
// so the database, not the process, enforces uniqueness. The key is stable
// for a given Unicode version of the Go release that computed it.
func FoldUserName(s string) string {
	// Fast path: ASCII without upper case is its own key, with no allocation.
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
		return s
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
	for _, r := range s { // invalid bytes arrive as utf8.RuneError
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune returns the representative of r's simple folding orbit. Any
// member works as long as it depends only on the orbit; this one keeps keys
// readable (lower case where the orbit has a natural lower-case form).
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
