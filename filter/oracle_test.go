package filter

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	fp "github.com/scim2/filter-parser/v2"
)

// github.com/scim2/filter-parser/v2 is the differential oracle: every
// filter and path it accepts, this package must accept too, with an
// equivalent tree. The converse does not hold: the oracle rejects
// non-ASCII strings, value filters with more than two terms or with
// parentheses, and Entra's sub-attribute after a value filter.

// oracleLimits lift the bounds the oracle does not have, so that only the
// grammar is compared.
var oracleLimits = Limits{MaxLength: 1 << 20, MaxDepth: 1 << 20, MaxTerms: 1 << 20}

// oracleFilter parses s with filter-parser and converts its tree to ours;
// ok is false when it rejects s (or panics on it).
func oracleFilter(s string) (e Expr, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	x, err := fp.ParseFilterNumber([]byte(s))
	if err != nil {
		return nil, false
	}
	return fromOracle(x)
}

func oraclePath(s string) (p Path, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	x, err := fp.ParsePathNumber([]byte(s))
	if err != nil {
		return Path{}, false
	}
	p.Attr = fromOracleAttrPath(x.AttributePath)
	p.Sub = x.SubAttributeName()
	if x.ValueExpression != nil {
		if p.Filter, ok = fromOracle(x.ValueExpression); !ok {
			return Path{}, false
		}
	}
	return p, true
}

func fromOracleAttrPath(p fp.AttributePath) AttrPath {
	return AttrPath{URI: p.URI(), Name: p.AttributeName, Sub: p.SubAttributeName()}
}

func fromOracle(x fp.Expression) (Expr, bool) {
	switch n := x.(type) {
	case *fp.LogicalExpression:
		l, ok := fromOracle(n.Left)
		if !ok {
			return nil, false
		}
		r, ok := fromOracle(n.Right)
		if !ok {
			return nil, false
		}
		if n.Operator == fp.AND {
			return &And{Left: l, Right: r}, true
		}
		return &Or{Left: l, Right: r}, true
	case *fp.NotExpression:
		e, ok := fromOracle(n.Expression)
		return &Not{X: e}, ok
	case *fp.ValuePath:
		e, ok := fromOracle(n.ValueFilter)
		return &ValuePath{Path: fromOracleAttrPath(n.AttributePath), Filter: e}, ok
	case *fp.AttributeExpression:
		c := &Compare{Path: fromOracleAttrPath(n.AttributePath), Op: Op(strings.ToLower(string(n.Operator)))}
		switch v := n.CompareValue.(type) {
		case string:
			// The oracle keeps escapes as written.
			var s string
			if err := json.Unmarshal([]byte(`"`+v+`"`), &s); err != nil {
				return nil, false
			}
			c.Value = s
		case json.Number:
			c.Value = Number(v)
		default:
			c.Value = v
		}
		return c, true
	}
	return nil, false
}

// lowerNumbers rewrites Number literals in lower case ("1E5" to "1e5"), as
// the oracle writes them.
func lowerNumbers(e Expr) Expr {
	switch n := e.(type) {
	case *And:
		return &And{Left: lowerNumbers(n.Left), Right: lowerNumbers(n.Right)}
	case *Or:
		return &Or{Left: lowerNumbers(n.Left), Right: lowerNumbers(n.Right)}
	case *Not:
		return &Not{X: lowerNumbers(n.X)}
	case *ValuePath:
		return &ValuePath{Path: n.Path, Filter: lowerNumbers(n.Filter)}
	case *Compare:
		c := *n
		if num, ok := c.Value.(Number); ok {
			c.Value = Number(strings.ToLower(string(num)))
		}
		return &c
	}
	return e
}

// oracleLenient reports inputs the oracle accepts only because it lets
// "and"/"or" in a value filter run into the neighbouring token
// ("[a pr andb pr]", "[a eq 1and b pr]"), which the RFC grammar's SP
// forbids and which this package rejects on purpose.
func oracleLenient(s string) bool {
	lower := strings.ToLower(s)
	for _, kw := range []string{"and", "or"} {
		for i := strings.Index(lower, kw); i >= 0; {
			before := i > 0 && isWord(lower[i-1])
			end := i + len(kw)
			after := end < len(lower) && isWord(lower[end])
			if before || after {
				return true
			}
			j := strings.Index(lower[end:], kw)
			if j < 0 {
				break
			}
			i = end + j
		}
	}
	return false
}

// checkOracle fails t when the oracle accepts s and this package
// disagrees.
func checkOracle(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) || len(s) > 4096 {
		return // the oracle reads bytes; deep input could exhaust its stack
	}
	want, ok := oracleFilter(s)
	if ok {
		got, err := ParseWith(s, oracleLimits)
		switch {
		case err != nil && oracleLenient(s):
		case err != nil:
			t.Errorf("filter-parser accepts %q, Parse fails: %v", s, err)
		default:
			if diff := cmp.Diff(lowerNumbers(want), lowerNumbers(got)); diff != "" {
				t.Errorf("trees differ for %q (-filter-parser +ours):\n%s", s, diff)
			}
		}
	}
	wantPath, ok := oraclePath(s)
	if ok && len(s) <= DefaultMaxLength {
		got, err := ParsePath(s)
		switch {
		case err != nil && (oracleLenient(s) || isDepthError(err)):
		case err != nil:
			t.Errorf("filter-parser accepts path %q, ParsePath fails: %v", s, err)
		default:
			if wantPath.Filter != nil {
				wantPath.Filter = lowerNumbers(wantPath.Filter)
			}
			if got.Filter != nil {
				got.Filter = lowerNumbers(got.Filter)
			}
			if diff := cmp.Diff(wantPath, got); diff != "" {
				t.Errorf("paths differ for %q (-filter-parser +ours):\n%s", s, diff)
			}
		}
	}
}

func isDepthError(err error) bool {
	return strings.Contains(err.Error(), "nested deeper")
}

// oracleSeeds are filters and paths from RFC 7644, Entra, Okta and the
// adversarial checklist; the fuzz targets start from them too.
var oracleSeeds = []string{
	`userName eq "bjensen"`,
	`userName Eq "john"`,
	`name.familyName co "O'Malley"`,
	`userName sw "J"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
	`title pr`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`meta.lastModified ge "2011-05-13T04:42:34Z"`,
	`meta.lastModified lt "2011-05-13T04:42:34Z"`,
	`meta.lastModified le "2011-05-13T04:42:34Z"`,
	`title pr and userType eq "Employee"`,
	`title pr or userType eq "Intern"`,
	`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
	`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`userType eq "Employee" and (emails.type eq "work")`,
	`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
	`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	`externalId eq "00ulfgb3w7T3pS1Nj0h7"`,
	`id eq "a" and manager eq "b"`,
	`DisplayName eq "Group One"`,
	`emails[type eq "work"].value eq "alice@example.com"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department eq "x"`,
	`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
	`members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName`,
	`emails[type eq "work"].value`,
	`name.givenName`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
	`a eq "x\"y\\z\/\u00E9\uD83D\uDE00\n"`,
	`a eq 1.5E+10 and b eq -0 or c eq true and d eq NULL`,
	`a eq "ü"`,
	`a[b pr or c pr]`,
	`not(a pr)`,
	`a[not (b pr)]`,
	`a[not(b eq "x" and c pr)]`,
	`(((a pr)))`,
	`a [ b pr ]`,
	`$ref pr`,
	`userName eq "a' OR '1'='1"`,
	`a eq "x"and b pr`,
	`a[b eq "x"and c pr]`,
	`a[b pr andc pr]`,
	`a[b eq 1or c pr]`,
}

func TestOracle(t *testing.T) {
	for _, s := range oracleSeeds {
		checkOracle(t, s)
	}
	// The oracle must actually accept most seeds, or this test checks
	// nothing.
	accepted := 0
	for _, s := range oracleSeeds {
		if _, ok := oracleFilter(s); ok {
			accepted++
		}
	}
	if accepted < len(oracleSeeds)/2 {
		t.Errorf("filter-parser accepts only %d of %d seeds", accepted, len(oracleSeeds))
	}
}

func FuzzOracle(f *testing.F) {
	for _, s := range oracleSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkOracle(t, s)
	})
}
