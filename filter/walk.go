package filter

import (
	"strings"

	"github.com/scimkit/scim/schema"
)

// Touches reports whether the resolved expression e reads the top-level
// core attribute name (or one of its sub-attributes), however the path is
// spelled. Stores use it to load what a filter needs, such as a group's
// members or a user's groups, only when the filter looks at them.
func Touches(e Expr, name string) bool {
	switch e := e.(type) {
	case *And:
		return Touches(e.Left, name) || Touches(e.Right, name)
	case *Or:
		return Touches(e.Left, name) || Touches(e.Right, name)
	case *Not:
		return Touches(e.X, name)
	case *Compare:
		return e.Path.IsCore(name)
	case *ValuePath:
		return e.Path.IsCore(name)
	}
	return false
}

// IsCore reports whether the resolved path p names the core attribute
// name (of User or Group), or one of its sub-attributes, whether or not it
// is written with the core schema URN.
func (p AttrPath) IsCore(name string) bool {
	if p.Resolved.Extension || !strings.EqualFold(p.Name, name) {
		return false
	}
	return p.URI == "" || strings.EqualFold(p.URI, schema.UserURN) || strings.EqualFold(p.URI, schema.GroupURN)
}

// Rewrite returns a copy of e in which each comparison c, including those
// inside value filters, is replaced by f(c); the rest of the tree keeps
// its shape. e itself is not changed, and f may return c unchanged.
func Rewrite(e Expr, f func(c *Compare) Expr) Expr {
	switch n := e.(type) {
	case *And:
		return &And{Left: Rewrite(n.Left, f), Right: Rewrite(n.Right, f)}
	case *Or:
		return &Or{Left: Rewrite(n.Left, f), Right: Rewrite(n.Right, f)}
	case *Not:
		return &Not{X: Rewrite(n.X, f)}
	case *Compare:
		return f(n)
	case *ValuePath:
		return &ValuePath{Path: n.Path, Filter: Rewrite(n.Filter, f)}
	}
	return e
}
