package filter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/scimkit/scim/schema"
)

// Resolve checks every attribute path of e against rt and returns a copy
// with names in canonical case, AttrPath.URI set to the schema ID for
// extension attributes (and "" for core and common ones), and
// AttrPath.Resolved set. e itself is not changed.
//
// An un-prefixed name that neither the core schema nor the common
// attributes have is looked up in rt's extensions, and resolved there when
// exactly one has it: Entra sends "manager eq "id"" for the enterprise
// manager. A comparison on a complex attribute that has a "value"
// sub-attribute (emails, members, manager) is rewritten to compare that
// sub-attribute; "pr" may name any attribute. Value filters resolve their
// paths against the sub-attributes of their attribute, as ResolveWithin
// does, and may be applied to single-valued complex attributes too
// ("manager[value eq "id"]").
//
// Errors are *Error: Unknown for a name no schema has, Sensitive for an
// attribute that is never returned (password), Unsupported for an
// operator or literal the attribute's type does not allow (ordering on a
// boolean, a number literal for a boolean, a dateTime literal that is not
// RFC 3339, a comparison on a complex attribute without "value").
func Resolve(e Expr, rt *schema.ResourceType) (Expr, error) {
	if rt == nil || rt.Schema == nil {
		return nil, &Error{Kind: Unknown, Msg: "no resource type to resolve against"}
	}
	return (&resolver{rt: rt}).expr(e)
}

// ResolveWithin resolves e relative to the sub-attributes of the complex
// attribute parent, as the filter of a value path is: "value eq "x"" on
// the Group members attribute. Names may not carry a schema URI or a
// sub-attribute, and value paths cannot be nested. Errors as for Resolve.
func ResolveWithin(e Expr, parent *schema.Attribute) (Expr, error) {
	if parent == nil || len(parent.SubAttributes) == 0 {
		return nil, &Error{Kind: Unsupported, Msg: "value filter on an attribute without sub-attributes"}
	}
	return (&resolver{parent: parent}).expr(e)
}

// ResolvePath resolves a PATCH path against rt, with the same name rules
// as Resolve. A filter needs a complex attribute; a sub-attribute after
// the filter sets ResolvedSub. Unlike in filters, the attribute itself may
// be one that is never returned, since a PATCH may set a password; a
// sensitive attribute inside the path's filter is still refused.
func ResolvePath(p Path, rt *schema.ResourceType) (Path, error) {
	if rt == nil || rt.Schema == nil {
		return Path{}, &Error{Kind: Unknown, Msg: "no resource type to resolve against"}
	}
	r := &resolver{rt: rt}
	ap, err := r.path(p.Attr)
	if err != nil {
		return Path{}, err
	}
	out := Path{Attr: ap}
	if p.Filter == nil {
		if p.Sub != "" {
			return Path{}, &Error{Kind: Syntax, Msg: "a sub-attribute after a path needs a value filter"}
		}
		return out, nil
	}
	parent, err := valueTarget(ap)
	if err != nil {
		return Path{}, err
	}
	in := &resolver{parent: parent, seen: r.seen}
	if out.Filter, err = in.expr(p.Filter); err != nil {
		return Path{}, err
	}
	if p.Sub != "" {
		s := parent.Sub(p.Sub)
		if s == nil {
			return Path{}, &Error{Kind: Unknown, Msg: fmt.Sprintf("the sub-attribute after the filter names no sub-attribute of %q", parent.Name)}
		}
		out.Sub, out.ResolvedSub = s.Name, s
	}
	return out, nil
}

type resolver struct {
	rt     *schema.ResourceType // set at the top level
	parent *schema.Attribute    // set inside a value filter
	seen   int                  // attribute paths resolved so far, for messages
}

func (r *resolver) expr(e Expr) (Expr, error) {
	switch n := e.(type) {
	case *And:
		l, err := r.expr(n.Left)
		if err != nil {
			return nil, err
		}
		rr, err := r.expr(n.Right)
		if err != nil {
			return nil, err
		}
		return &And{Left: l, Right: rr}, nil
	case *Or:
		l, err := r.expr(n.Left)
		if err != nil {
			return nil, err
		}
		rr, err := r.expr(n.Right)
		if err != nil {
			return nil, err
		}
		return &Or{Left: l, Right: rr}, nil
	case *Not:
		x, err := r.expr(n.X)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case *Compare:
		return r.compare(n)
	case *ValuePath:
		return r.valuePath(n)
	}
	return nil, &Error{Kind: Syntax, Msg: fmt.Sprintf("unexpected filter node %T", e)}
}

// unknown reports an attribute path that names nothing. The name a
// client wrote is not quoted (it may be anything); the message says which
// path it is, counting from the left, and names what the schema has.
func (r *resolver) unknown(p AttrPath) *Error {
	msg := func(format string, args ...any) *Error {
		return &Error{Kind: Unknown, Msg: fmt.Sprintf("attribute path %d (from the left) ", r.seen) + fmt.Sprintf(format, args...)}
	}
	if r.parent != nil {
		if a := r.parent.Sub(p.Name); a != nil && p.Sub != "" {
			return msg("names a sub-attribute of %q, which has none", r.parent.Name+"."+a.Name)
		}
		return msg("names no sub-attribute of %q", r.parent.Name)
	}
	if p.URI != "" && r.rt.SchemaFor(p.URI) == nil && r.rt.SchemaFor(p.URI+":"+p.Name) == nil {
		return msg("has a schema URI that is not one of %s's (GET /ResourceTypes lists them)", r.rt.Name)
	}
	if p.Sub != "" {
		if rp, ok := r.rt.Resolve(p.URI, p.Name, ""); ok && rp.Attr != nil {
			if rp.Attr.Type != schema.Complex {
				return msg("names a sub-attribute of %q, which has none", rp.Attr.Name)
			}
			return msg("names no sub-attribute of %q", rp.Attr.Name)
		}
	}
	return msg("names no attribute of %s (GET /Schemas lists them)", r.rt.Name)
}

// path resolves p to its canonical form without checking sensitivity.
func (r *resolver) path(p AttrPath) (AttrPath, error) {
	r.seen++
	if r.parent != nil {
		if p.URI != "" || p.Sub != "" {
			return AttrPath{}, r.unknown(p)
		}
		a := r.parent.Sub(p.Name)
		if a == nil {
			return AttrPath{}, r.unknown(p)
		}
		return AttrPath{Name: a.Name, Resolved: schema.Path{Attr: a}}, nil
	}
	rp, ok := r.rt.Resolve(p.URI, p.Name, p.Sub)
	if !ok && p.URI == "" && r.rt.Schema.Attr(p.Name) == nil && schema.Common(p.Name) == nil {
		rp, ok = r.inExtension(p)
	}
	if !ok {
		return AttrPath{}, r.unknown(p)
	}
	out := AttrPath{Resolved: rp}
	if rp.Extension {
		out.URI = rp.Schema.ID
	}
	if rp.Attr != nil {
		out.Name = rp.Attr.Name
	}
	if rp.Sub != nil {
		out.Sub = rp.Sub.Name
	}
	return out, nil
}

// inExtension resolves an un-prefixed name in the one extension of rt
// that has it.
func (r *resolver) inExtension(p AttrPath) (schema.Path, bool) {
	var found *schema.Schema
	for _, e := range r.rt.Extensions {
		if e.Schema.Attr(p.Name) != nil {
			if found != nil {
				return schema.Path{}, false // ambiguous
			}
			found = e.Schema
		}
	}
	if found == nil {
		return schema.Path{}, false
	}
	return r.rt.Resolve(found.ID, p.Name, p.Sub)
}

func sensitive(p AttrPath) error {
	for _, a := range []*schema.Attribute{p.Resolved.Attr, p.Resolved.Sub} {
		if a != nil && a.Returned == schema.ReturnedNever {
			return &Error{Kind: Sensitive, Msg: fmt.Sprintf("attribute %q cannot be used in a filter", p.String())}
		}
	}
	return nil
}

func unsupported(format string, args ...any) *Error {
	return &Error{Kind: Unsupported, Msg: fmt.Sprintf(format, args...)}
}

func (r *resolver) compare(c *Compare) (Expr, error) {
	if !validOp(c.Op) {
		return nil, &Error{Kind: Syntax, Msg: "unknown operator"}
	}
	ap, err := r.path(c.Path)
	if err != nil {
		return nil, err
	}
	if err := sensitive(ap); err != nil {
		return nil, err
	}
	out := &Compare{Path: ap, Op: c.Op, Value: c.Value}
	if c.Op == Pr {
		out.Value = nil
		return out, nil
	}
	t := ap.Resolved.Target()
	if t == nil {
		return nil, unsupported("%q is a whole extension; only \"pr\" applies", ap.URI)
	}
	if t.Type == schema.Complex {
		v := t.Sub("value")
		if v == nil || ap.Resolved.Sub != nil {
			return nil, unsupported("%q is complex; compare one of its sub-attributes", ap.String())
		}
		out.Path.Sub, out.Path.Resolved.Sub, t = v.Name, v, v
	}
	if out.Value, err = checkLiteral(t, c.Op, c.Value, out.Path); err != nil {
		return nil, err
	}
	return out, nil
}

func validOp(op Op) bool {
	for _, o := range ops {
		if op == o {
			return true
		}
	}
	return false
}

// checkLiteral checks that op and the literal v suit the attribute t and
// returns the literal in the form Match expects.
func checkLiteral(t *schema.Attribute, op Op, v any, p AttrPath) (any, error) {
	name := p.String()
	v = normaliseNumber(v)
	if v == nil {
		if op != Eq && op != Ne {
			return nil, unsupported("%q with null: only eq and ne apply", name)
		}
		return nil, nil
	}
	ordering := op == Gt || op == Ge || op == Lt || op == Le
	substring := op == Co || op == Sw || op == Ew
	switch t.Type {
	case schema.Boolean:
		if ordering || substring {
			return nil, unsupported("%q is boolean: only eq, ne and pr apply", name)
		}
		if _, ok := v.(bool); !ok {
			return nil, unsupported("%q is boolean: compare it with true or false", name)
		}
	case schema.Integer, schema.Decimal:
		if substring {
			return nil, unsupported("%q is a number: co, sw and ew do not apply", name)
		}
		if _, ok := v.(Number); !ok {
			return nil, unsupported("%q is a number: compare it with a number", name)
		}
	case schema.DateTime:
		if substring {
			return nil, unsupported("%q is a dateTime: co, sw and ew do not apply", name)
		}
		s, ok := v.(string)
		if !ok {
			return nil, unsupported("%q is a dateTime: compare it with an RFC 3339 string", name)
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return nil, unsupported("%q is a dateTime: compare it with an RFC 3339 string such as \"2026-05-06T07:08:09Z\"", name)
		}
	case schema.Binary:
		if ordering {
			return nil, unsupported("%q is binary: gt, ge, lt and le do not apply", name)
		}
		if _, ok := v.(string); !ok {
			return nil, unsupported("%q is binary: compare it with a string", name)
		}
	default: // string, reference, and types of custom schemas
		switch x := v.(type) {
		case string:
		case Number:
			// A client that leaves an id or number-like string unquoted
			// means its text.
			return string(x), nil
		default:
			return nil, unsupported("%q is a string: compare it with a quoted string", name)
		}
	}
	return v, nil
}

// normaliseNumber turns numbers of hand-built filters into Number.
func normaliseNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		return Number(x)
	case int:
		return Number(strconv.Itoa(x))
	case int64:
		return Number(strconv.FormatInt(x, 10))
	case float64:
		return Number(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}

// valueTarget returns the complex attribute a value filter on ap applies
// to.
func valueTarget(ap AttrPath) (*schema.Attribute, error) {
	a := ap.Resolved.Attr
	if a == nil || ap.Resolved.Sub != nil || a.Type != schema.Complex {
		return nil, unsupported("%q is not a complex attribute; a value filter does not apply", ap.String())
	}
	return a, nil
}

func (r *resolver) valuePath(v *ValuePath) (Expr, error) {
	if r.parent != nil {
		return nil, &Error{Kind: Syntax, Msg: "value filters cannot be nested"}
	}
	ap, err := r.path(v.Path)
	if err != nil {
		return nil, err
	}
	if err := sensitive(ap); err != nil {
		return nil, err
	}
	parent, err := valueTarget(ap)
	if err != nil {
		return nil, err
	}
	in := &resolver{parent: parent, seen: r.seen}
	f, err := in.expr(v.Filter)
	r.seen = in.seen
	if err != nil {
		return nil, err
	}
	return &ValuePath{Path: ap, Filter: f}, nil
}
