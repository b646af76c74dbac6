package sqlstore

import (
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// cond is a filter compiled to a SQL boolean expression over one users or
// groups row. It is a superset of the filter's matches: exact when SQL
// answers the filter precisely (the store then counts and pages in SQL),
// and otherwise a narrowing whose candidates the store still checks with
// filter.Match. An empty where means no restriction.
//
// Exact conditions are two-valued (never NULL), so that NOT of one is
// exact too.
type cond struct {
	where string
	args  []any
	exact bool
	// keyed: over element rows, the condition fixes the indexed column
	// (emails value, membership id) by equality, so the few rows it
	// selects are best found through that index.
	keyed bool
}

var (
	always = cond{exact: true}
	never  = cond{where: "1 = 0", exact: true}
	loose  = cond{} // no restriction; the filter is evaluated in Go
)

// column describes how a single-valued core string attribute is stored.
type column struct {
	exact    string              // the value as stored, or "" when not stored
	bytewise bool                // exact compares bytewise in ordering too (C collation or SQLite)
	fold     string              // key(value) (filter.Fold unless key is set), or ""
	key      func(string) string // the fold of the fold column, when not filter.Fold
	idLike   bool                // values are store-made ids, their own case fold
	always   bool                // present in every resource, "" included (no omitempty)
}

// attrs maps a resource's core attributes to their columns.
type attrs struct {
	strings map[string]column
	kind    string // "user" or "group"
}

var userAttrs = &attrs{kind: "user", strings: map[string]column{
	"id":          {exact: "u.id", bytewise: true, idLike: true, always: true},
	"userName":    {exact: "u.user_name", fold: "u.user_name_fold", key: scim.FoldUserName, always: true},
	"externalId":  {exact: "u.external_id", bytewise: true},
	"displayName": {fold: "u.display_name_fold"},
}}

var groupAttrs = &attrs{kind: "group", strings: map[string]column{
	"id":          {exact: "g.id", bytewise: true, idLike: true, always: true},
	"displayName": {exact: "g.display_name", fold: "g.display_name_fold", always: true},
	"externalId":  {exact: "g.external_id", bytewise: true},
}}

// compiler turns a resolved filter into a cond for the row alias a of
// the tenant's resources.
type compiler struct {
	d      Dialect
	keys   *keySet // indexed extension attributes, or nil
	attrs  *attrs
	a      string
	tenant string
}

func compileFilter(d Dialect, at *attrs, ks *keySet, alias, tenant string, e filter.Expr) cond {
	if e == nil {
		return always
	}
	c := &compiler{d: d, attrs: at, keys: ks, a: alias, tenant: tenant}
	return c.expr(e)
}

func (c *compiler) expr(e filter.Expr) cond {
	switch n := e.(type) {
	case *filter.And:
		return and(c.expr(n.Left), c.expr(n.Right))
	case *filter.Or:
		return or(c.expr(n.Left), c.expr(n.Right))
	case *filter.Not:
		return not(c.expr(n.X))
	case *filter.Compare:
		return c.compare(n)
	case *filter.ValuePath:
		return c.valuePath(n)
	}
	return loose
}

func and(l, r cond) cond {
	out := cond{exact: l.exact && r.exact, keyed: l.keyed || r.keyed}
	switch {
	case l.where == "":
		out.where, out.args = r.where, r.args
	case r.where == "":
		out.where, out.args = l.where, l.args
	default:
		out.where = "(" + l.where + " AND " + r.where + ")"
		out.args = append(append([]any{}, l.args...), r.args...)
	}
	return out
}

func or(l, r cond) cond {
	if l.where == "" || r.where == "" {
		// One side restricts nothing: the or is exactly true when that
		// side is exactly true, else a loose superset.
		return cond{exact: l.where == "" && l.exact || r.where == "" && r.exact}
	}
	return cond{
		where: "(" + l.where + " OR " + r.where + ")",
		args:  append(append([]any{}, l.args...), r.args...),
		exact: l.exact && r.exact,
		keyed: l.keyed && r.keyed,
	}
}

func not(x cond) cond {
	if !x.exact {
		return loose
	}
	if x.where == "" {
		return never
	}
	return cond{where: "NOT (" + x.where + ")", args: x.args, exact: true}
}

// core returns the canonical name of a core (non-extension) attribute
// path, or "".
func core(p filter.AttrPath) string {
	if p.Resolved.Extension || p.URI != "" || p.Resolved.Attr == nil {
		return ""
	}
	return p.Resolved.Attr.Name
}

// literal returns a string literal that SQL can take as a parameter.
func literal(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok && storable(s)
}

func (c *compiler) compare(x *filter.Compare) cond {
	if cd, ok := c.keyCompare(x); ok {
		return cd
	}
	name := core(x.Path)
	t := x.Path.Resolved.Target()
	if name == "" || t == nil {
		return loose
	}
	if x.Path.Sub == "" {
		if col, ok := c.attrs.strings[name]; ok {
			return c.stringCompare(col, t, x)
		}
		if c.attrs.kind == "user" && name == "active" {
			return c.boolCompare(c.a+".active", x)
		}
		if c.attrs.kind == "group" && name == "members" && x.Op == filter.Pr {
			return c.exists("scim_group_members m", "m.group_id", "")
		}
		if c.attrs.kind == "user" && name == "groups" && x.Op == filter.Pr {
			return c.exists("scim_group_members m", "m.user_id", "")
		}
		return loose
	}
	switch {
	case name == "meta":
		return c.timeCompare(x)
	case c.attrs.kind == "user" && name == "emails":
		col := map[string]string{"value": "e.value_fold", "type": "e.type_fold"}[x.Path.Sub]
		if col == "" || t.CaseExact {
			return loose
		}
		// An element without the sub-attribute stores "": omitEmpty.
		inner := foldCompare(col, filter.Fold, true, x.Op, x.Value)
		inner.keyed = x.Op == filter.Eq && col == "e.value_fold"
		if !inner.exact || x.Op == filter.Ne || (x.Op == filter.Eq && x.Value == nil) {
			// ne and "eq null" over many values are not the negation of
			// one EXISTS; leave them to Go.
			return loose
		}
		return c.existsCond("scim_user_emails e", "e.user_id", inner)
	case c.attrs.kind == "user" && name == "groups" && x.Path.Sub == "value":
		return c.idMember("m.group_id", "m.user_id", x)
	case c.attrs.kind == "group" && name == "members" && x.Path.Sub == "value":
		return c.idMember("m.user_id", "m.group_id", x)
	}
	return loose
}

// idMember compiles "eq" and "pr" on the value of a membership reference
// (a group's members.value, a user's groups.value). The values are
// store-made ids, their own case fold, so comparing the folded literal
// with the stored id is exactly the case-insensitive comparison.
func (c *compiler) idMember(col, owner string, x *filter.Compare) cond {
	switch {
	case x.Op == filter.Pr:
		return c.exists("scim_group_members m", owner, "")
	case x.Op == filter.Eq && x.Value != nil:
		lit, ok := literal(x.Value)
		if !ok || x.Path.Resolved.Target().CaseExact {
			return loose
		}
		return c.existsCond("scim_group_members m", owner, cond{where: col + " = ?", args: []any{filter.Fold(lit)}, exact: true, keyed: true})
	}
	return loose
}

// exists is EXISTS over the rows of table that belong to the current row
// through owner, with an optional extra condition.
func (c *compiler) exists(table, owner, extra string, args ...any) cond {
	alias := table[strings.LastIndexByte(table, ' ')+1:]
	w := "EXISTS (SELECT 1 FROM " + table + " WHERE " + alias + ".tenant = " + c.a + ".tenant AND " + owner + " = " + c.a + ".id"
	if extra != "" {
		w += " AND " + extra
	}
	return cond{where: w + ")", args: args, exact: true}
}

// existsCond is exists with a compiled element condition. A keyed one
// becomes "id IN (subquery)" instead: the subquery finds its few rows
// through the element index, and the resources through their key, where
// a correlated EXISTS would visit every resource of the tenant.
func (c *compiler) existsCond(table, owner string, inner cond) cond {
	if !inner.keyed {
		out := c.exists(table, owner, inner.where, inner.args...)
		out.exact = inner.exact
		return out
	}
	alias := table[strings.LastIndexByte(table, ' ')+1:]
	return cond{
		where: c.a + ".id IN (SELECT " + owner + " FROM " + table + " WHERE " + alias + ".tenant = ? AND " + inner.where + ")",
		args:  append([]any{c.tenant}, inner.args...),
		exact: inner.exact,
	}
}

// stringCompare compiles a comparison on a single-valued string column.
func (c *compiler) stringCompare(col column, t *schema.Attribute, x *filter.Compare) cond {
	var cd cond
	switch {
	case t.CaseExact && col.exact != "":
		cd = exactCompare(col.exact, col.bytewise, !col.always, x.Op, x.Value)
	case !t.CaseExact && col.fold != "":
		key := col.key
		if key == nil {
			key = filter.Fold
		}
		cd = foldCompare(col.fold, key, !col.always, x.Op, x.Value)
	case !t.CaseExact && col.idLike:
		cd = foldCompare(col.exact, filter.Fold, !col.always, x.Op, x.Value)
	default:
		return loose
	}
	return cd
}

// foldCompare compiles op on a column holding fold of a value, the way
// filter.Match compares a string attribute that is not caseExact:
// equality of the folds for eq and ne, and fold of both sides, bytewise,
// for the others. fold is filter.Fold, or scim.FoldUserName for userName.
// omitEmpty says "" is stored for an absent value.
func foldCompare(col string, fold func(string) string, omitEmpty bool, op filter.Op, v any) cond {
	if v == nil || op == filter.Pr {
		return presence(col, op)
	}
	lit, ok := literal(v)
	if !ok {
		return loose
	}
	f := fold(lit)
	switch op {
	case filter.Eq:
		if omitEmpty && lit == "" {
			return never
		}
		return cond{where: col + " = ?", args: []any{f}, exact: true}
	case filter.Ne:
		// On a single value, ne is the negation of eq (absent included).
		return not(foldCompare(col, fold, omitEmpty, filter.Eq, v))
	case filter.Co, filter.Sw, filter.Ew:
		pat := escapeLike(f)
		switch op {
		case filter.Co:
			pat = "%" + pat + "%"
		case filter.Sw:
			pat += "%"
		default:
			pat = "%" + pat
		}
		// Both sides are folded, and a folded string has no upper-case
		// ASCII, so SQLite's ASCII-case-insensitive LIKE cannot differ
		// from a case-sensitive one here.
		cd := cond{where: col + " LIKE ? ESCAPE '!'", args: []any{pat}, exact: true}
		if omitEmpty {
			cd.where = "(" + col + " <> '' AND " + cd.where + ")"
		}
		return cd
	case filter.Gt, filter.Ge, filter.Lt, filter.Le:
		cd := cond{where: col + " " + sqlOp(op) + " ?", args: []any{f}, exact: true}
		if omitEmpty {
			cd.where = "(" + col + " <> '' AND " + cd.where + ")"
		}
		return cd
	}
	return loose
}

// exactCompare compiles op on a column holding a caseExact value as is.
// Only eq, ne, pr and, on bytewise columns, the ordering operators
// compile: SQLite's LIKE folds ASCII case.
func exactCompare(col string, bytewise, omitEmpty bool, op filter.Op, v any) cond {
	if v == nil || op == filter.Pr {
		return presence(col, op)
	}
	lit, ok := literal(v)
	if !ok {
		return loose
	}
	switch op {
	case filter.Eq:
		if omitEmpty && lit == "" {
			return never
		}
		return cond{where: col + " = ?", args: []any{lit}, exact: true}
	case filter.Ne:
		return not(exactCompare(col, bytewise, omitEmpty, filter.Eq, v))
	case filter.Gt, filter.Ge, filter.Lt, filter.Le:
		if !bytewise {
			return loose
		}
		cd := cond{where: col + " " + sqlOp(op) + " ?", args: []any{lit}, exact: true}
		if omitEmpty {
			cd.where = "(" + col + " <> '' AND " + cd.where + ")"
		}
		return cd
	}
	return loose
}

// presence compiles pr, "eq null" and "ne null" on a string column where
// "" stands for absent.
func presence(col string, op filter.Op) cond {
	switch op {
	case filter.Pr, filter.Ne:
		return cond{where: col + " <> ''", exact: true}
	case filter.Eq:
		return cond{where: col + " = ''", exact: true}
	}
	return loose
}

func sqlOp(op filter.Op) string {
	switch op {
	case filter.Gt:
		return ">"
	case filter.Ge:
		return ">="
	case filter.Lt:
		return "<"
	case filter.Le:
		return "<="
	}
	return "="
}

// escapeLike escapes LIKE's wildcards and the escape character itself.
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// boolCompare compiles a comparison on a nullable boolean column, NULL
// standing for absent.
func (c *compiler) boolCompare(col string, x *filter.Compare) cond {
	if x.Op == filter.Pr || x.Value == nil {
		switch x.Op {
		case filter.Pr, filter.Ne:
			return cond{where: col + " IS NOT NULL", exact: true}
		case filter.Eq:
			return cond{where: col + " IS NULL", exact: true}
		}
		return loose
	}
	b, ok := x.Value.(bool)
	if !ok {
		return loose
	}
	eq := cond{where: "(" + col + " IS NOT NULL AND " + col + " = ?)", args: []any{c.d.boolArg(b)}, exact: true}
	switch x.Op {
	case filter.Eq:
		return eq
	case filter.Ne:
		return not(eq)
	}
	return loose
}

// timeCompare compiles meta.created and meta.lastModified comparisons:
// Match compares them chronologically, and the columns hold Unix
// nanoseconds.
func (c *compiler) timeCompare(x *filter.Compare) cond {
	col := map[string]string{"created": c.a + ".created_ns", "lastModified": c.a + ".modified_ns"}[x.Path.Sub]
	if col == "" {
		return loose
	}
	if x.Op == filter.Pr || x.Value == nil {
		switch x.Op {
		case filter.Pr, filter.Ne:
			return always
		case filter.Eq:
			return never
		}
		return loose
	}
	s, ok := x.Value.(string)
	if !ok {
		return loose
	}
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return loose
	}
	ns := tm.UnixNano()
	if !time.Unix(0, ns).Equal(tm) {
		return loose // outside the years 1678 to 2262
	}
	switch x.Op {
	case filter.Eq, filter.Gt, filter.Ge, filter.Lt, filter.Le:
		return cond{where: col + " " + sqlOp(x.Op) + " ?", args: []any{ns}, exact: true}
	case filter.Ne:
		return cond{where: col + " <> ?", args: []any{ns}, exact: true}
	}
	return loose
}

// valuePath compiles emails[...] and members[...] filters.
func (c *compiler) valuePath(v *filter.ValuePath) cond {
	name := core(v.Path)
	switch {
	case c.attrs.kind == "user" && name == "emails":
		inner := elementExpr(v.Filter, func(x *filter.Compare) cond {
			col := map[string]string{"value": "e.value_fold", "type": "e.type_fold"}[x.Path.Name]
			t := x.Path.Resolved.Target()
			if col == "" || t == nil || t.CaseExact {
				return loose
			}
			cd := foldCompare(col, filter.Fold, true, x.Op, x.Value)
			cd.keyed = x.Op == filter.Eq && col == "e.value_fold" && cd.where != never.where
			return cd
		})
		return c.existsCond("scim_user_emails e", "e.user_id", inner)
	case c.attrs.kind == "group" && name == "members":
		inner := elementExpr(v.Filter, func(x *filter.Compare) cond {
			t := x.Path.Resolved.Target()
			if x.Path.Name != "value" || t == nil || t.CaseExact {
				return loose
			}
			switch {
			case x.Op == filter.Pr:
				return always
			case x.Op == filter.Eq && x.Value != nil:
				lit, ok := literal(x.Value)
				if !ok {
					return loose
				}
				return cond{where: "m.user_id = ?", args: []any{filter.Fold(lit)}, exact: true, keyed: true}
			}
			return loose
		})
		return c.existsCond("scim_group_members m", "m.group_id", inner)
	}
	return loose
}

// elementExpr compiles the filter of a value path over one element row,
// with leaf compiling its comparisons.
func elementExpr(e filter.Expr, leaf func(*filter.Compare) cond) cond {
	switch n := e.(type) {
	case *filter.And:
		return and(elementExpr(n.Left, leaf), elementExpr(n.Right, leaf))
	case *filter.Or:
		return or(elementExpr(n.Left, leaf), elementExpr(n.Right, leaf))
	case *filter.Not:
		return not(elementExpr(n.X, leaf))
	case *filter.Compare:
		return leaf(n)
	}
	return loose
}
