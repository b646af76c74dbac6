package filter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Constructors that keep the expected trees readable.
func ap(name string) AttrPath                { return AttrPath{Name: name} }
func aps(name, sub string) AttrPath          { return AttrPath{Name: name, Sub: sub} }
func apu(uri, name string) AttrPath          { return AttrPath{URI: uri, Name: name} }
func cmpr(p AttrPath, op Op, v any) *Compare { return &Compare{Path: p, Op: op, Value: v} }
func eq(name string, v any) *Compare         { return cmpr(ap(name), Eq, v) }
func pr(name string) *Compare                { return cmpr(ap(name), Pr, nil) }
func and(l, r Expr) *And                     { return &And{Left: l, Right: r} }
func or(l, r Expr) *Or                       { return &Or{Left: l, Right: r} }
func not(x Expr) *Not                        { return &Not{X: x} }
func vp(p AttrPath, f Expr) *ValuePath       { return &ValuePath{Path: p, Filter: f} }

const (
	entURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	usrURN = "urn:ietf:params:scim:schemas:core:2.0:User"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Expr
	}{
		// What Entra, Okta and friends send.
		{`userName eq "alice@example.com"`, eq("userName", "alice@example.com")},
		{`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`, eq("externalId", "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")},
		{`DisplayName eq "Group One"`, eq("DisplayName", "Group One")},
		{`id eq "x" and manager eq "y"`, and(eq("id", "x"), eq("manager", "y"))},
		{`emails[type eq "work"].value eq "a@b.c"`,
			vp(ap("emails"), and(eq("type", "work"), eq("value", "a@b.c")))},
		{`emails[type eq "work"].value pr`, vp(ap("emails"), and(eq("type", "work"), pr("value")))},
		{`members[value eq "2819c223"]`, vp(ap("members"), eq("value", "2819c223"))},

		// Operators, keywords and literals, any case.
		{`title pr`, pr("title")},
		{`title PR`, pr("title")},
		{`userName EQ "a"`, eq("userName", "a")},
		{`a ne "x"`, cmpr(ap("a"), Ne, "x")},
		{`a co "x"`, cmpr(ap("a"), Co, "x")},
		{`a sw "x"`, cmpr(ap("a"), Sw, "x")},
		{`a Ew "x"`, cmpr(ap("a"), Ew, "x")},
		{`a gt 1`, cmpr(ap("a"), Gt, Number("1"))},
		{`a ge -1.5e+3`, cmpr(ap("a"), Ge, Number("-1.5e+3"))},
		{`a lt 0`, cmpr(ap("a"), Lt, Number("0"))},
		{`a le 2E-7`, cmpr(ap("a"), Le, Number("2E-7"))},
		{`active eq True`, eq("active", true)},
		{`active eq FALSE`, eq("active", false)},
		{`a eq Null`, eq("a", nil)},
		{`a pr And b pr`, and(pr("a"), pr("b"))},
		{`a pr OR b pr`, or(pr("a"), pr("b"))},
		{`NOT (a pr)`, not(pr("a"))},
		{`not(a pr)`, not(pr("a"))},

		// Precedence and associativity.
		{`a pr or b pr and c pr`, or(pr("a"), and(pr("b"), pr("c")))},
		{`a pr and b pr or c pr`, or(and(pr("a"), pr("b")), pr("c"))},
		{`a pr and b pr and c pr`, and(and(pr("a"), pr("b")), pr("c"))},
		{`a pr or b pr or c pr`, or(or(pr("a"), pr("b")), pr("c"))},
		{`a pr and (b pr or c pr)`, and(pr("a"), or(pr("b"), pr("c")))},
		{`a pr and (b pr and c pr)`, and(pr("a"), and(pr("b"), pr("c")))},
		{`((a pr))`, pr("a")},
		{`not (a pr) and b pr`, and(not(pr("a")), pr("b"))},
		{`not (not (a pr or b pr))`, not(not(or(pr("a"), pr("b"))))},

		// Whitespace: extra spaces, tabs, none next to quotes and brackets.
		{"  userName \t eq\t\"x\"  ", eq("userName", "x")},
		{`a eq "x"and b eq "y"`, and(eq("a", "x"), eq("b", "y"))},
		{`(a pr)or(b pr)`, or(pr("a"), pr("b"))},
		{`emails [ type eq "work" ]`, vp(ap("emails"), eq("type", "work"))},

		// Attribute paths.
		{`name.givenName eq "B"`, cmpr(aps("name", "givenName"), Eq, "B")},
		{`members.$ref pr`, cmpr(aps("members", "$ref"), Pr, nil)},
		{`$ref pr`, pr("$ref")},
		{`not pr`, pr("not")},
		{`and eq "x"`, eq("and", "x")},
		{`a-b_c9 pr`, pr("a-b_c9")},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, cmpr(aps("meta", "lastModified"), Gt, "2011-05-13T04:42:34Z")},
		{usrURN + `:userName eq "x"`, cmpr(apu(usrURN, "userName"), Eq, "x")},
		{usrURN + `:name.familyName pr`, cmpr(AttrPath{URI: usrURN, Name: "name", Sub: "familyName"}, Pr, nil)},
		{entURN + `:manager.value eq "m"`, cmpr(AttrPath{URI: entURN, Name: "manager", Sub: "value"}, Eq, "m")},
		{entURN + `:employeeNumber eq "7"`, cmpr(apu(entURN, "employeeNumber"), Eq, "7")},
		// Legacy forms: '.' before the attribute, a bare extension URN.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department eq "d"`,
			cmpr(AttrPath{URI: "urn:ietf:params:scim:schemas:extension:enterprise:2.0", Name: "User", Sub: "department"}, Eq, "d")},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value eq "d"`,
			cmpr(AttrPath{URI: "urn:ietf:params:scim:schemas:extension:enterprise:2.0", Name: "User", Sub: "manager.value"}, Eq, "d")},
		{entURN + ` pr`, cmpr(AttrPath{URI: "urn:ietf:params:scim:schemas:extension:enterprise:2.0", Name: "User"}, Pr, nil)},

		// Value filters of any shape.
		{`emails[type eq "work" and value co "@example.com" and primary eq true]`,
			vp(ap("emails"), and(and(eq("type", "work"), cmpr(ap("value"), Co, "@example.com")), eq("primary", true)))},
		{`emails[not (type eq "work") or (value pr and primary eq false)]`,
			vp(ap("emails"), or(not(eq("type", "work")), and(pr("value"), eq("primary", false))))},
		{`userType eq "Employee" and emails[type eq "work" or value ew ".org"]`,
			and(eq("userType", "Employee"), vp(ap("emails"), or(eq("type", "work"), cmpr(ap("value"), Ew, ".org"))))},
		{`emails[type eq "work" or type eq "home"].value eq "x"`,
			vp(ap("emails"), and(or(eq("type", "work"), eq("type", "home")), eq("value", "x")))},
		{`name.givenName[x pr]`, vp(aps("name", "givenName"), pr("x"))},

		// String literals.
		{`a eq ""`, eq("a", "")},
		{`a eq "Müller ü 日本"`, eq("a", "Müller ü 日本")},
		{`a eq "q\"b\\s\/ \b\f\n\r\t"`, eq("a", "q\"b\\s/ \b\f\n\r\t")},
		{`a eq "\u00fc\u00FC"`, eq("a", "üü")},
		{`a eq "\ud83d\ude00"`, eq("a", "😀")},
		{`a eq "\ufffd"`, eq("a", "\uFFFD")},
		{`a eq "a' OR '1'='1"`, eq("a", "a' OR '1'='1")},
		{`a eq "x\" or userName pr or \""`, eq("a", `x" or userName pr or "`)},
		{`a eq "(" and b eq ")"`, and(eq("a", "("), eq("b", ")"))},
		{`a eq "` + "\x7f" + `"`, eq("a", "\x7f")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			// The canonical text parses back to the same tree.
			again, err := Parse(String(got))
			if err != nil {
				t.Fatalf("Parse(String) of %q: %v", String(got), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip through %q (-first +second):\n%s", String(got), diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "a pr" + strings.Repeat(close, n)
	}
	tests := []struct {
		name string
		in   string
		lim  Limits
	}{
		{"empty", ``, Limits{}},
		{"blank", "  \t ", Limits{}},
		{"truncated", `userName eq`, Limits{}},
		{"no operator", `userName`, Limits{}},
		{"unknown operator", `userName xx "a"`, Limits{}},
		{"three-letter operator", `userName eqq "a"`, Limits{}},
		{"unterminated string", `userName eq "abc`, Limits{}},
		{"backslash at end", `userName eq "abc\`, Limits{}},
		{"unknown escape", `a eq "\x41"`, Limits{}},
		{"short unicode escape", `a eq "\u12"`, Limits{}},
		{"bad unicode escape", `a eq "\u12g4"`, Limits{}},
		{"lone high surrogate", `a eq "\ud83d"`, Limits{}},
		{"high surrogate then text", `a eq "\ud83dx"`, Limits{}},
		{"low surrogate first", `a eq "\ude00\ud83d\ude00"`, Limits{}},
		{"high surrogate then no low one", `a eq "\ud83d\u0041"`, Limits{}},
		{"invalid UTF-8", "a eq \"\xff\"", Limits{}},
		{"raw control in string", "a eq \"a\nb\"", Limits{}},
		{"raw tab in string", "a eq \"a\tb\"", Limits{}},
		{"unbalanced open", `(a pr`, Limits{}},
		{"unbalanced close", `a pr)`, Limits{}},
		{"empty parens", `()`, Limits{}},
		{"unclosed bracket", `emails[type eq "work"`, Limits{}},
		{"empty brackets", `emails[]`, Limits{}},
		{"nested brackets", `emails[type[value pr] pr]`, Limits{}},
		{"nested brackets in not", `a[not (b[c pr])]`, Limits{}},
		{"sub after bracket without op", `emails[type eq "work"].value`, Limits{}},
		{"bad sub after bracket", `emails[type pr].1x pr`, Limits{}},
		{"dangling and", `a pr and`, Limits{}},
		{"dangling or", `a pr or `, Limits{}},
		{"leading and", `and a pr`, Limits{}},
		{"glued keyword", `a pr andb pr`, Limits{}},
		{"not without parens", `not a pr`, Limits{}},
		{"bare value", `"x"`, Limits{}},
		{"unquoted value", `a eq x`, Limits{}},
		{"number leading zero", `a eq 01`, Limits{}},
		{"number plus", `a eq +1`, Limits{}},
		{"number dot", `a eq 1.`, Limits{}},
		{"number exp", `a eq 1e`, Limits{}},
		{"number trailing word", `a eq 1x`, Limits{}},
		{"two values", `a eq "x" "y"`, Limits{}},
		{"name starts with digit", `1a pr`, Limits{}},
		{"double dot", `name..givenName pr`, Limits{}},
		{"trailing dot", `name. pr`, Limits{}},
		{"sub of sub", `a.b.c pr`, Limits{}},
		{"empty URI segment", `urn::x:a pr`, Limits{}},
		{"empty URI", `:a pr`, Limits{}},
		{"URI without name", `urn:x: pr`, Limits{}},
		{"single quotes", `a eq 'x'`, Limits{}},
		{"non-ASCII name", `nämé pr`, Limits{}},
		{"newline between tokens", "a pr\nand b pr", Limits{}},
		{"NUL", "a pr\x00", Limits{}},
		{"invalid UTF-8", "a eq \"\xff\"", Limits{}},
		{"too long", `a eq "` + strings.Repeat("x", 8200) + `"`, Limits{}},
		{"too long custom", `userName eq "abcdef"`, Limits{MaxLength: 10}},
		{"too deep parens", deep("(", ")", 33), Limits{}},
		{"too deep custom", deep("(", ")", 3), Limits{MaxDepth: 2}},
		{"too deep not", strings.Repeat("not (", 33) + "a pr" + strings.Repeat(")", 33), Limits{}},
		{"too many terms", strings.Repeat("a pr or ", 256) + "a pr", Limits{}},
		{"too many terms custom", `a pr and b pr and c pr`, Limits{MaxTerms: 2}},
		{"too many terms in brackets", `e[a pr and b pr].c pr`, Limits{MaxTerms: 2}},
		{"100k parens", strings.Repeat("(", 100000), Limits{MaxLength: 1 << 20}},
		{"10k not", strings.Repeat("not (", 10000), Limits{MaxLength: 1 << 20}},
		{"10k brackets", strings.Repeat("a[", 10000), Limits{MaxLength: 1 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			e, err := ParseWith(tt.in, tt.lim)
			if err == nil {
				t.Fatalf("ParseWith(%q) = %v, want error", excerpt(tt.in), String(e))
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != Syntax {
				t.Fatalf("error %#v, want *Error of Kind Syntax", err)
			}
			if len(fe.Msg) > 120 {
				t.Errorf("message too long (%d bytes): %s", len(fe.Msg), fe.Msg)
			}
			if d := time.Since(start); d > 50*time.Millisecond {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestParseLimitsBoundary(t *testing.T) {
	// Exactly at each limit parses; one over fails.
	atDepth := strings.Repeat("(", 32) + "a pr" + strings.Repeat(")", 32)
	if _, err := Parse(atDepth); err != nil {
		t.Errorf("depth 32: %v", err)
	}
	mixed := strings.Repeat("not (", 15) + "e[(a pr)]" + strings.Repeat(")", 15)
	if _, err := ParseWith(mixed, Limits{MaxDepth: 17}); err != nil {
		t.Errorf("depth 17 of not, bracket and paren: %v", err)
	}
	if _, err := ParseWith(mixed, Limits{MaxDepth: 16}); err == nil {
		t.Errorf("depth 17 with MaxDepth 16 parsed")
	}
	atTerms := strings.Repeat("a pr or ", 255) + "a pr"
	if _, err := Parse(atTerms); err != nil {
		t.Errorf("256 terms: %v", err)
	}
	atLength := `a eq "` + strings.Repeat("x", DefaultMaxLength-7) + `"`
	if len(atLength) != DefaultMaxLength {
		t.Fatalf("test input is %d bytes", len(atLength))
	}
	if _, err := Parse(atLength); err != nil {
		t.Errorf("%d bytes: %v", DefaultMaxLength, err)
	}
}

func TestErrorMessagesAreShort(t *testing.T) {
	secret := strings.Repeat("S", 200)
	for _, in := range []string{
		`userName xx "` + secret + `"`,
		`userName eq "` + secret,
		secret + `..x pr`,
		`a pr ` + secret,
		`a eq "` + secret + `" ` + secret,
	} {
		_, err := Parse(in)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded", excerpt(in))
		}
		if n := strings.Count(err.Error(), "S"); n > maxExcerpt {
			t.Errorf("error echoes %d bytes of input: %v", n, err)
		}
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want Path
	}{
		{`userName`, Path{Attr: ap("userName")}},
		{`name.givenName`, Path{Attr: aps("name", "givenName")}},
		{` displayName `, Path{Attr: ap("displayName")}},
		{`members`, Path{Attr: ap("members")}},
		{entURN + `:manager`, Path{Attr: apu(entURN, "manager")}},
		{entURN + `:manager.value`, Path{Attr: AttrPath{URI: entURN, Name: "manager", Sub: "value"}}},
		{entURN, Path{Attr: AttrPath{URI: "urn:ietf:params:scim:schemas:extension:enterprise:2.0", Name: "User"}}},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
			Path{Attr: ap("members"), Filter: eq("value", "2819c223-7f76-453a-919d-413861904646")}},
		{`emails[type eq "work"].value`, Path{Attr: ap("emails"), Filter: eq("type", "work"), Sub: "value"}},
		{`addresses[type eq "work"].streetAddress`, Path{Attr: ap("addresses"), Filter: eq("type", "work"), Sub: "streetAddress"}},
		{`emails[type eq "work" and not (primary eq false)].display`,
			Path{Attr: ap("emails"), Filter: and(eq("type", "work"), not(eq("primary", false))), Sub: "display"}},
		{`manager[value eq "m1"]`, Path{Attr: ap("manager"), Filter: eq("value", "m1")}},
		{`emails [type eq "work"]`, Path{Attr: ap("emails"), Filter: eq("type", "work")}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePath(tt.in)
			if err != nil {
				t.Fatalf("ParsePath: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePath mismatch (-want +got):\n%s", diff)
			}
			again, err := ParsePath(got.String())
			if err != nil {
				t.Fatalf("ParsePath(String) of %q: %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip through %q (-first +second):\n%s", got.String(), diff)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`   `,
		`name..givenName`,
		`name.`,
		`.name`,
		`a.b.c`,
		`emails[type eq]`,
		`emails[type eq "work"`,
		`emails[type eq "work"].`,
		`emails[type eq "work"].value.x`,
		`emails[type eq "work"] value`,
		`emails[type eq "work"][value pr]`,
		`emails[type[x pr] pr]`,
		`userName eq "x"`,
		`"userName"`,
		`name/givenName`,
		`urn:x:`,
		`emails[]`,
		"name\x00",
		`a[` + strings.Repeat("(", 40) + `b pr` + strings.Repeat(")", 40) + `]`,
		strings.Repeat("a", DefaultMaxLength+1),
	} {
		t.Run(in, func(t *testing.T) {
			p, err := ParsePath(in)
			if err == nil {
				t.Fatalf("ParsePath(%q) = %v, want error", excerpt(in), p)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != Syntax {
				t.Fatalf("error %#v, want *Error of Kind Syntax", err)
			}
		})
	}
}
