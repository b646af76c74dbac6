package scim

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
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
		{"\u212Aelvin", "kelvin"},                    // KELVIN SIGN folds with k
		{"\u017Fam", "sam"},                          // LATIN SMALL LETTER LONG S folds with s
		{"JOSÉ", "jos\u00e9"},                        // É and é share an orbit
		{"jose\u0301@y", "jos\u00e9@y"},              // NFD composes
		{"JOSE\u0301@Y", "jos\u00e9@y"},              // after folding
		{"\uff46\uff55\uff4c\uff4c@y", "full@y"},     // fullwidth is ordinary width
		{"\uff26\uff35\uff2c\uff2c@y", "full@y"},     // fullwidth capitals too
		{"\uff76\uff9e", "\u30ac"},                   // halfwidth katakana ka + voiced mark is ガ
		{"ΣΊΣΥΦΟΣ", "σίσυφοσ"},                       // Σ, σ and ς share an orbit
		{"σίσυφος", "σίσυφοσ"},                       // final sigma folds with σ
		{"İstanbul", "İstanbul"},                     // dotted capital I has an orbit of its own
		{"ıI", "ıi"},                                 // so does dotless small i
		{"STRASSE", "strasse"},                       // no full folding: ß stays ß
		{"straße", "straße"},                         // (EqualFold does not equate ß and ss)
		{"\xff\xfe", "\uFFFD\uFFFD"},                 // invalid bytes decode as U+FFFD
		{"a\xffB", "a\uFFFDb"},                       // in the middle too
		{"日本語", "日本語"},                               // no case
		{"\u1E9E", "ß"},                              // capital sharp s folds with ß
		{"\U00010400", "\U00010428"},                 // Deseret, outside the BMP
		{"ǅ", "ǆ"},                                   // title-case digraph: orbit Ǆ ǅ ǆ
		{"\u0130\u0131", "\u0130\u0131"},             // both singletons
		{"Jane Doe", "jane doe"},                     // inner spaces stay
		{"\u00c5ngstr\u00f6m", "\u00e5ngstr\u00f6m"}, // precomposed stays composed
		{"\u212Bngstrom", "\u00e5ngstrom"},           // ANGSTROM SIGN is Å
	}
	for _, tt := range tests {
		if got := FoldUserName(tt.in); got != tt.want {
			t.Errorf("FoldUserName(%+q) = %+q, want %+q", tt.in, got, tt.want)
		}
	}
}

func TestFoldUserNameCollisions(t *testing.T) {
	pairs := []struct {
		a, b string
		same bool
	}{
		{"alice", "ALICE", true},
		{"alice", "alicf", false},
		{"alice", "alic", false},
		{"kelvin", "\u212Aelvin", true},
		{"sam", "\u017Fam", true},
		{"ß", "ss", false},
		{"ß", "\u1E9E", true},
		{"İ", "i", false},
		{"ı", "i", false},
		{"ς", "Σ", true},
		{"jos\u00e9@y", "jose\u0301@y", true},
		{"full@y", "\uff46\uff55\uff4c\uff4c@y", true},
		{"a b", "a\u3000b", true}, // ideographic space is a space
		{"a b", "ab", false},
		{"\xff", "\uFFFD", true},
		{"", "", true},
		{"a", "", false},
	}
	for _, p := range pairs {
		if got := FoldUserName(p.a) == FoldUserName(p.b); got != p.same {
			t.Errorf("FoldUserName(%+q) == FoldUserName(%+q) is %v, want %v", p.a, p.b, got, p.same)
		}
	}
}

// TestFoldUserNameEveryRune checks the key of every rune: it is the same
// for every member of the rune's simple folding orbit (so EqualFold names
// imply equal keys) and it is a fixed point.
func TestFoldUserNameEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		key := FoldUserName(string(r))
		if FoldUserName(key) != key {
			t.Fatalf("FoldUserName(%U) = %+q is not a fixed point", r, key)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if got := FoldUserName(string(f)); got != key {
				t.Fatalf("FoldUserName(%U) = %+q but FoldUserName(%U) = %+q in the same orbit", f, got, r, key)
			}
		}
	}
}

func TestCheckUserName(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		// What Entra (UPNs, GUIDs), Okta and JumpCloud (emails, plain
		// names) and OneLogin (whatever its template maps) really send.
		{"alice@example.com", true},
		{"Alice.Smith@contoso.onmicrosoft.com", true},
		{"o'neil#!~^_-@contoso.com", true},
		{"user+tag@example.com", true},
		{"cf4d78e8-4a05-4c3f-a2dd-1c4f1b8e2f33", true},
		{"Test_User_8b6a3e6f-4a0e-4d1c-b2a5-7a0f0f0f0f0f@testuser.com", true},
		{"jdoe", true},
		{"Jane Doe", true},       // display-name-like, inner space
		{"Jane Q. Public", true}, // several userparts
		{"jos\u00e9.n\u00fa\u00f1ez@example.com", true},
		{"jose\u0301@y", true},               // NFD is mapped, not refused
		{"\uff46\uff55\uff4c\uff4c@y", true}, // so is fullwidth
		{"\u212Aelvin", true},
		{"\u017Fam", true}, // long s counts as s
		{"ΣΊΣΥΦΟΣ", true},
		{"\u05e9\u05dc\u05d5\u05dd@example.com", true}, // right-to-left local part
		{"日本語@example.jp", true},
		{"μ@example.com", true},
		{" alice", false},
		{"alice ", false},
		{"\u3000alice", false}, // ideographic space is a space
		{"a  b", false},
		{"a\tb", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"a\u0085b", false},
		{"a\u202eb", false}, // bidi override
		{"a\u200eb", false}, // left-to-right mark
		{"a\u2066b", false}, // bidi isolate
		{"a\u200bb", false}, // zero width space
		{"a\u200db", false}, // zero width joiner outside its context
		{"a\ufeffb", false}, // zero width no-break space
		{"a\u00adb", false}, // soft hyphen
		{"a\u00a0b", false}, // no-break space
		{"a\U0001F600", false},
		{"bad\xffutf8@y", false},
	}
	for _, tt := range tests {
		why := checkUserName(tt.in)
		if (why == "") != tt.ok {
			t.Errorf("checkUserName(%+q) = %q, want ok=%v", tt.in, why, tt.ok)
		}
		if why != "" && strings.Contains(why, tt.in) {
			t.Errorf("checkUserName(%+q) = %q quotes its input", tt.in, why)
		}
	}
}

func FuzzFoldUserName(f *testing.F) {
	for _, s := range []string{"", "a", "A", "\u212A", "k", "ß", "ss", "İ", "i", "\xff", "\uFFFD", "ς", "σ", "Σ", "ǅ",
		"jos\u00e9", "jose\u0301", "full", "\uff46\uff55\uff4c\uff4c", "\u017F", "a\u3000b", "\u0340", "\u1100\u1161\u11a8"} {
		f.Add(s, strings.ToUpper(s))
		f.Add(s, "\uff21"+s)
	}
	rt := schema.User()
	f.Fuzz(func(t *testing.T, a, b string) {
		ka, kb := FoldUserName(a), FoldUserName(b)
		if strings.EqualFold(a, b) && ka != kb {
			t.Errorf("EqualFold(%+q, %+q) but keys %+q and %+q differ", a, b, ka, kb)
		}
		if FoldUserName(ka) != ka {
			t.Errorf("FoldUserName(%+q) = %+q is not a fixed point", a, ka)
		}
		// A filter compares userName as the stores' keys do.
		e, err := filter.Parse("userName eq " + strconv.Quote(b))
		if err != nil || !utf8.ValidString(b) {
			return
		}
		if e, err = filter.Resolve(e, rt); err != nil {
			t.Fatal(err)
		}
		if got := MatchUser(e, &User{UserName: a}); got != (ka == kb) {
			t.Errorf("filter userName eq %+q on %+q: %v; keys %+q, %+q", b, a, got, ka, kb)
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
