package scim

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestFoldUserName(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"alice@example.com", "alice@example.com"},
		{"Alice@Example.COM", "alice@example.com"},
		{"ALICE", "alice"},
		{"a1-_.+Z", "a1-_.+z"},
		{"\u212Aelvin", "kelvin"},        // KELVIN SIGN folds with k
		{"\u017Fam", "sam"},              // LATIN SMALL LETTER LONG S folds with s
		{"JOSÉ", "josé"},                 // É and é share an orbit
		{"ΣΊΣΥΦΟΣ", "σίσυφοσ"},           // Σ, σ and ς share an orbit
		{"σίσυφος", "σίσυφοσ"},           // final sigma folds with σ
		{"İstanbul", "İstanbul"},         // dotted capital I has an orbit of its own
		{"ıI", "ıi"},                     // so does dotless small i
		{"STRASSE", "strasse"},           // no full folding: ß stays ß
		{"straße", "straße"},             // (EqualFold does not equate ß and ss)
		{"\xff\xfe", "\uFFFD\uFFFD"},     // invalid bytes decode as U+FFFD
		{"a\xffB", "a\uFFFDb"},           // in the middle too
		{"日本語", "日本語"},                   // no case
		{"\u1E9E", "ß"},                  // capital sharp s folds with ß
		{"\U00010400", "\U00010428"},     // Deseret, outside the BMP
		{"ǅ", "ǆ"},                       // title-case digraph: orbit Ǆ ǅ ǆ
		{"\u0130\u0131", "\u0130\u0131"}, // both singletons
	}
	for _, tt := range tests {
		if got := FoldUserName(tt.in); got != tt.want {
			t.Errorf("FoldUserName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFoldUserNameMatchesEqualFold(t *testing.T) {
	pairs := []struct {
		a, b string
	}{
		{"alice", "ALICE"},
		{"alice", "alicf"},
		{"alice", "alic"},
		{"kelvin", "\u212Aelvin"},
		{"ß", "ss"},
		{"ß", "\u1E9E"},
		{"İ", "i"},
		{"İ", "I"},
		{"ı", "i"},
		{"ς", "Σ"},
		{"\xff", "\uFFFD"},
		{"\xff", "\xfe"},
		{"", ""},
		{"a", ""},
		{"ǅ", "Ǆ"},
	}
	for _, p := range pairs {
		want := strings.EqualFold(p.a, p.b)
		if got := FoldUserName(p.a) == FoldUserName(p.b); got != want {
			t.Errorf("Fold(%q) == Fold(%q) is %v; EqualFold says %v", p.a, p.b, got, want)
		}
	}
}

// TestFoldUserNameEveryRune checks the key of every rune: it is in the
// rune's simple folding orbit and the same for every member of the orbit,
// which together make key equality the same relation as EqualFold.
func TestFoldUserNameEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		key := FoldUserName(string(r))
		if !strings.EqualFold(string(r), key) || utf8.RuneCountInString(key) != 1 {
			t.Fatalf("FoldUserName(%U) = %+q, not one rune of its orbit", r, key)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if got := FoldUserName(string(f)); got != key {
				t.Fatalf("FoldUserName(%U) = %+q but FoldUserName(%U) = %+q in the same orbit", f, got, r, key)
			}
		}
	}
}

func FuzzFoldUserName(f *testing.F) {
	for _, s := range []string{"", "a", "A", "\u212A", "k", "ß", "ss", "İ", "i", "\xff", "\uFFFD", "ς", "σ", "Σ", "ǅ"} {
		f.Add(s, strings.ToUpper(s))
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := FoldUserName(a) == FoldUserName(b), strings.EqualFold(a, b); got != want {
			t.Errorf("Fold(%q)=%q, Fold(%q)=%q: equal=%v, EqualFold=%v", a, FoldUserName(a), b, FoldUserName(b), got, want)
		}
		// The key is itself a fixed point and equal under EqualFold.
		k := FoldUserName(a)
		if FoldUserName(k) != k || !strings.EqualFold(k, a) {
			t.Errorf("Fold(%q) = %q is not a stable key", a, k)
		}
	})
}

func BenchmarkFoldUserName(b *testing.B) {
	for _, s := range []string{"alice@example.com", "Alice@Example.com", "José.Núñez@example.com"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				FoldUserName(s)
			}
		})
	}
}
