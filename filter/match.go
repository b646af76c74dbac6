package filter

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scimkit/scim/schema"
)

// Match reports whether the JSON-form resource (or multi-valued element)
// doc satisfies e, which must come from Resolve or ResolveWithin. A nil e
// matches every document.
//
// doc holds strings, bools, numbers (json.Number, float64, int, int64),
// nil, []any and map[string]any; extension attributes live in a nested
// map under their schema URN. Keys are looked up by canonical name first,
// then case-insensitively.
//
// Semantics (RFC 7644 section 3.4.2.2):
//   - Strings compare with strings.EqualFold unless the attribute is
//     caseExact; co, sw, ew and the ordering operators compare Fold of both
//     sides (bytewise for caseExact attributes). The core userName
//     compares FoldIdentity of both sides for every operator, so that
//     width and normalization variants of a name match as well.
//   - dateTime attributes compare chronologically (RFC 3339 on both
//     sides), numbers numerically, booleans by value.
//   - A path that names several values (a multi-valued attribute, or
//     "emails.value") matches when any of them does.
//   - pr: some value is present: not null, not "", not an empty array or
//     object. "eq null" is the negation of pr and "ne null" is pr.
//   - ne: true when no non-null value is there, else when some value is
//     not equal to the literal.
//   - A value path matches when some element (or the single value of a
//     single-valued complex attribute) satisfies its filter.
//   - A value of the wrong JSON type for its attribute matches nothing
//     except ne.
func Match(e Expr, doc map[string]any) bool {
	switch n := e.(type) {
	case nil:
		return true
	case *And:
		return Match(n.Left, doc) && Match(n.Right, doc)
	case *Or:
		return Match(n.Left, doc) || Match(n.Right, doc)
	case *Not:
		return !Match(n.X, doc)
	case *Compare:
		return matchCompare(n, doc)
	case *ValuePath:
		switch x := lookup(n.Path, doc).(type) {
		case []any:
			for _, el := range x {
				if m, ok := el.(map[string]any); ok && Match(n.Filter, m) {
					return true
				}
			}
		case map[string]any:
			return Match(n.Filter, x)
		}
	}
	return false
}

// get returns m[key], falling back to a case-insensitive key scan.
func get(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// lookup returns the value of p's top-level attribute in doc (not
// descending into Sub), or the extension's object for a whole-extension
// path.
func lookup(p AttrPath, doc map[string]any) any {
	c := doc
	if p.URI != "" && (p.Resolved.Extension || p.Resolved.Schema == nil) {
		switch m := get(doc, p.URI).(type) {
		case map[string]any:
			c = m
		default:
			if p.Resolved.Extension {
				return nil
			}
		}
	}
	if p.Name == "" {
		return c
	}
	return get(c, p.Name)
}

// each calls fn on every scalar value sub names within v (v itself when
// sub is ""), looking through arrays, until fn returns true.
func each(v any, sub string, fn func(any) bool) bool {
	switch x := v.(type) {
	case nil:
		return false
	case []any:
		for _, el := range x {
			if sub != "" {
				m, ok := el.(map[string]any)
				if !ok {
					continue
				}
				el = get(m, sub)
			}
			if el != nil && each(el, "", fn) {
				return true
			}
		}
		return false
	case map[string]any:
		if sub == "" {
			return fn(x)
		}
		return each(get(x, sub), "", fn)
	}
	if sub != "" {
		return false
	}
	return fn(v)
}

const maxPresentDepth = 8

// present reports whether v counts as a value for pr.
func present(v any, depth int) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		if depth >= maxPresentDepth {
			return len(x) > 0
		}
		for _, el := range x {
			if present(el, depth+1) {
				return true
			}
		}
		return false
	case map[string]any:
		if depth >= maxPresentDepth {
			return len(x) > 0
		}
		for _, el := range x {
			if present(el, depth+1) {
				return true
			}
		}
		return false
	}
	return true
}

func isPresent(v any) bool { return present(v, 0) }

func matchCompare(c *Compare, doc map[string]any) bool {
	v := lookup(c.Path, doc)
	if c.Op == Pr || c.Value == nil {
		if c.Op != Pr && c.Op != Eq && c.Op != Ne {
			return false
		}
		var ok bool
		if c.Path.Sub == "" {
			ok = isPresent(v)
		} else {
			ok = each(v, c.Path.Sub, isPresent)
		}
		if c.Op == Eq { // eq null
			return !ok
		}
		return ok // pr, ne null
	}
	t := c.Path.Resolved.Target()
	ident := c.Path.Resolved.Sub == nil && c.Path.IsCore("userName")
	if c.Op == Ne {
		seen := false
		hit := each(v, c.Path.Sub, func(x any) bool {
			seen = true
			return !test(t, ident, Eq, x, c.Value)
		})
		return hit || !seen
	}
	return each(v, c.Path.Sub, func(x any) bool { return test(t, ident, c.Op, x, c.Value) })
}

// test compares one document value x with the literal lit under op, for
// the attribute t (nil when unresolved: the literal's type decides).
// ident says t is the core userName, compared by FoldIdentity.
func test(t *schema.Attribute, ident bool, op Op, x, lit any) bool {
	switch l := lit.(type) {
	case bool:
		b, ok := x.(bool)
		if !ok {
			return false
		}
		return op == Eq && b == l || op == Ne && b != l
	case Number:
		c, ok := compareNumbers(x, l)
		return ok && ordered(op, c)
	case string:
		s, ok := x.(string)
		if !ok {
			return false
		}
		if t != nil && t.Type == schema.DateTime {
			return testTime(op, s, l)
		}
		if ident && (t == nil || !t.CaseExact) {
			s, l = FoldIdentity(s), FoldIdentity(l)
		}
		return testString(op, s, l, t != nil && t.CaseExact)
	}
	return false
}

func ordered(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Ne:
		return c != 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}

func testString(op Op, s, lit string, caseExact bool) bool {
	if !caseExact {
		if op == Eq || op == Ne {
			return strings.EqualFold(s, lit) == (op == Eq)
		}
		s, lit = Fold(s), Fold(lit)
	}
	switch op {
	case Co:
		return strings.Contains(s, lit)
	case Sw:
		return strings.HasPrefix(s, lit)
	case Ew:
		return strings.HasSuffix(s, lit)
	}
	return ordered(op, strings.Compare(s, lit))
}

func testTime(op Op, s, lit string) bool {
	a, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return false
	}
	b, err := time.Parse(time.RFC3339, lit)
	if err != nil {
		return false
	}
	return ordered(op, a.Compare(b))
}

// compareNumbers compares a document number with a literal: exactly when
// both are integers that fit in int64, else as float64.
func compareNumbers(x any, lit Number) (int, bool) {
	var xs string
	switch v := x.(type) {
	case json.Number:
		xs = string(v)
	case Number:
		xs = string(v)
	case int:
		return compareInt(int64(v), lit)
	case int64:
		return compareInt(v, lit)
	case float64:
		return compareFloat(v, lit)
	default:
		return 0, false
	}
	if i, err := strconv.ParseInt(xs, 10, 64); err == nil {
		return compareInt(i, lit)
	}
	f, err := strconv.ParseFloat(xs, 64)
	if err != nil && !isRange(err) {
		return 0, false
	}
	return compareFloat(f, lit)
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func compareInt(a int64, lit Number) (int, bool) {
	if b, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		}
		return 0, true
	}
	return compareFloat(float64(a), lit)
}

func compareFloat(a float64, lit Number) (int, bool) {
	b, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !isRange(err) || math.IsNaN(a) || math.IsNaN(b) {
		return 0, false
	}
	switch {
	case a < b:
		return -1, true
	case a > b:
		return 1, true
	}
	return 0, true
}
