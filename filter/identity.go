package filter

import (
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// FoldIdentity returns the comparison key of a user name: Fold after
// mapping fullwidth and halfwidth forms to their ordinary forms, in
// Unicode Normalization Form C. It is the comparison of the PRECIS
// UsernameCaseMapped profile (RFC 8265: width mapping, case mapping,
// NFC) with Unicode simple case folding as the case mapping, so that the
// Kelvin sign, long s and final sigma fold as Fold folds them.
//
// FoldIdentity(a) == FoldIdentity(b) whenever Fold(a) == Fold(b), and
// also for canonically equivalent forms (NFC "é" and "e" U+0301) and
// width variants ("ｆｕｌｌ" and "full"). The key is a fixed point:
// FoldIdentity(FoldIdentity(s)) == FoldIdentity(s). Match compares the
// core userName attribute by it, for every operator.
func FoldIdentity(s string) string {
	k := Fold(s)
	if isASCII(k) {
		return k // no width forms, nothing to compose
	}
	for range 4 { // one round is enough for all but contrived inputs
		n := norm.NFC.String(Fold(width.Fold.String(k)))
		if n == k {
			break
		}
		k = n
	}
	return k
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
