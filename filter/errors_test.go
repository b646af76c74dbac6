package filter

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/scimkit/scim/schema"
)

// probes are strings a client might send that no error message may
// repeat: markup, a token-like secret and SQL.
var probes = []string{
	"<script>", "alert(1)", "ZXhhbXBsZVNlY3JldFRva2VuNzMxOTQ2", "DROP TABLE", "' OR '1'='1", "pg_sleep",
}

// TestErrorsDoNotEchoInput parses and resolves filters and paths carrying
// probes wherever the grammar lets them stand (a literal, an attribute
// or sub-attribute name, a schema URI, a filter in brackets, junk), and
// checks that every error says where and what, without the input.
func TestErrorsDoNotEchoInput(t *testing.T) {
	const tok = "ZXhhbXBsZVNlY3JldFRva2VuNzMxOTQ2"
	filters := []string{
		`userName eq "<script>alert(1)</script>`,
		`userName eq "<script>alert(1)</script>" junk`,
		`userName eq "x" <script>alert(1)</script>`,
		`userName eq 'x'' OR '1'='1'`,
		`userName eq "x"; DROP TABLE users; --`,
		`userName eq "x" or 1=pg_sleep(10)`,
		tok + ` eq "x"`,
		`userName eq "x" and ` + tok + ` pr`,
		`name.` + tok + ` pr`,
		`userName.` + tok + ` pr`,
		`urn:` + tok + `:User:userName pr`,
		`emails[` + tok + ` eq "x"]`,
		`emails[value.` + tok + ` eq "x"]`,
		`emails[type eq "<script>alert(1)</script>"`,
		`meta.lastModified gt "<script>alert(1)</script>"`,
		`meta.lastModified gt "` + tok + `"`,
		`active eq "` + tok + `"`,
		`userName ` + tok + ` "x"`,
		`userName eq ` + tok,
		`userName eq "\u003cscript\u003e" or \q`,
		`(userName eq "x" and DROP TABLE`,
		"userName eq \"x\x01<script>\"",
		`userName eq "é<script>alert(1)</script>` + "\u202e",
		`not (userName eq "` + strings.Repeat("<script>", 2000) + `")`,
	}
	paths := []string{
		tok,
		`name.` + tok,
		`urn:` + tok + `:User:userName`,
		`emails[` + tok + ` eq "x"].value`,
		`emails[type eq "work"].` + tok,
		`emails[type eq "<script>alert(1)</script>"`,
		`emails[type eq "x"] <script>alert(1)</script>`,
		`emails[type eq 'x'' OR '1'='1']`,
		`userName[value eq "x"]`,
		`<script>alert(1)</script>`,
		`name..` + tok,
		`members[value eq "x"].` + tok,
	}
	check := func(t *testing.T, in string, err error) {
		t.Helper()
		var fe *Error
		if !errors.As(err, &fe) {
			t.Fatalf("%q: error %v, want *Error", excerpt(in), err)
		}
		for _, p := range probes {
			if strings.Contains(err.Error(), p) {
				t.Errorf("%q: message %q repeats %q", excerpt(in), err, p)
			}
		}
	}
	for _, in := range filters {
		e, err := Parse(in)
		if err == nil {
			_, err = Resolve(e, schema.User())
		}
		check(t, in, err)
	}
	for _, in := range paths {
		p, err := ParsePath(in)
		if err == nil {
			rt := schema.User()
			if strings.HasPrefix(in, "members") {
				rt = schema.Group()
			}
			_, err = ResolvePath(p, rt)
		}
		check(t, in, err)
	}
}

const maxExcerpt = 24

// excerpt returns, for test messages, at most maxExcerpt bytes of s, cut at a rune boundary.
func excerpt(s string) string {
	if len(s) <= maxExcerpt {
		return s
	}
	n := maxExcerpt
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
