// Package filter parses SCIM filters and PATCH paths (RFC 7644 sections
// 3.4.2.2 and 3.5.2), resolves them against a schema, and evaluates them
// against resources in their JSON form.
//
// Parsing is bounded: input length, nesting depth and the number of terms
// are checked while scanning, before and during the recursive descent, so
// no input can exhaust the stack.
package filter

import "github.com/scimkit/scim/schema"

// Expr is a node of a parsed filter: *And, *Or, *Not, *Compare or
// *ValuePath.
type Expr interface{ expr() }

// And is "Left and Right".
type And struct{ Left, Right Expr }

// Or is "Left or Right".
type Or struct{ Left, Right Expr }

// Not is "not (X)".
type Not struct{ X Expr }

// Op is a comparison operator, always lower case.
type Op string

// Comparison operators (RFC 7644 section 3.4.2.2).
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Pr Op = "pr"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
)

// AttrPath is an attribute path as written: an optional schema URI, an
// attribute name and an optional sub-attribute name. After Resolve, the
// names are in canonical case and Resolved is set.
type AttrPath struct {
	URI  string
	Name string
	Sub  string

	// Resolved is the schema definition the path names; zero before
	// Resolve.
	Resolved schema.Path
}

// Compare is "Path Op Value". Value is a string (escapes decoded), a bool,
// nil (for null and for pr) or a Number.
type Compare struct {
	Path  AttrPath
	Op    Op
	Value any
}

// Number is a JSON number literal as written in a filter.
type Number string

// ValuePath is "Path[Filter]": true when some element of the multi-valued
// attribute Path matches Filter, whose paths are relative to the element.
// Entra's "emails[type eq "work"].value eq "x"" is parsed into
// ValuePath{emails, And{type eq "work", value eq "x"}}.
type ValuePath struct {
	Path   AttrPath
	Filter Expr
}

func (*And) expr()       {}
func (*Or) expr()        {}
func (*Not) expr()       {}
func (*Compare) expr()   {}
func (*ValuePath) expr() {}

// Path is the target of a PATCH operation: "attr", "attr.sub", "urn:attr",
// "attr[filter]" or "attr[filter].sub" (RFC 7644 section 3.5.2).
type Path struct {
	Attr   AttrPath
	Filter Expr   // nil unless the path has a value filter
	Sub    string // the sub-attribute after a value filter, or ""

	// ResolvedSub is the definition of Sub after Resolve, or nil.
	ResolvedSub *schema.Attribute
}
