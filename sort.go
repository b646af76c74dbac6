package scim

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// SortKey is the value a resource is ordered by under a sortBy path (RFC
// 7644 section 3.4.2.3), in comparable form. Its zero value is a missing
// value. Every bundled store orders by it, or by SQL that orders the same
// way (their tests compare the two), so a host's store that sorts with it
// agrees with them.
type SortKey struct {
	kind sortKind
	s    string    // strings, folded unless caseExact
	i    int64     // integers
	f    float64   // decimals, and integers that do not fit in int64
	t    time.Time // dateTimes
	b    bool      // booleans
}

type sortKind uint8

const (
	sortMissing sortKind = iota
	sortString
	sortInt
	sortFloat
	sortTime
	sortBool
)

// Missing reports whether the resource has no value to sort by: the
// attribute is absent, null, "", an empty list, or of the wrong JSON type.
func (k SortKey) Missing() bool { return k.kind == sortMissing }

// Compare orders keys ascending: -1 when k sorts before o, 0 when they
// tie, +1 after. Strings compare bytewise (their folded form when the
// attribute is not caseExact: Unicode code point order, no locale),
// dateTimes chronologically, numbers numerically, false before true. A
// missing value sorts after every value, so that an ascending sort puts
// missing values last and a descending one, its exact reverse, first, as
// section 3.4.2.3 says.
func (k SortKey) Compare(o SortKey) int {
	if k.kind == sortMissing || o.kind == sortMissing {
		return cmp.Compare(b2i(k.kind == sortMissing), b2i(o.kind == sortMissing))
	}
	if k.kind != o.kind {
		if k.number() && o.number() {
			return cmp.Compare(k.float(), o.float())
		}
		return cmp.Compare(k.kind, o.kind)
	}
	switch k.kind {
	case sortString:
		return strings.Compare(k.s, o.s)
	case sortInt:
		return cmp.Compare(k.i, o.i)
	case sortFloat:
		return cmp.Compare(k.f, o.f)
	case sortTime:
		return k.t.Compare(o.t)
	case sortBool:
		return cmp.Compare(b2i(k.b), b2i(o.b))
	}
	return 0
}

func (k SortKey) number() bool { return k.kind == sortInt || k.kind == sortFloat }

func (k SortKey) float() float64 {
	if k.kind == sortInt {
		return float64(k.i)
	}
	return k.f
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SortKeyOf returns the key of the JSON-form resource doc (the form
// filter.Match takes) under by, a path resolved against the resource type
// (Query.SortBy). A multi-valued attribute sorts by its primary value,
// or else its first one; a complex attribute by the sub-attribute by
// names.
func SortKeyOf(by filter.AttrPath, doc map[string]any) SortKey {
	t := by.Resolved.Target()
	if t == nil {
		return SortKey{}
	}
	c := doc
	if by.Resolved.Extension {
		m, ok := docGet(doc, by.URI).(map[string]any)
		if !ok {
			return SortKey{}
		}
		c = m
	}
	v := docGet(c, by.Name)
	if list, ok := v.([]any); ok {
		v = primaryOrFirst(list)
	}
	if by.Sub != "" {
		m, ok := v.(map[string]any)
		if !ok {
			return SortKey{}
		}
		v = docGet(m, by.Sub)
	}
	return sortValue(t, by.Resolved.Sub == nil && by.IsCore("userName"), v)
}

// primaryOrFirst returns the element whose primary is true, or else the
// first element, or nil.
func primaryOrFirst(list []any) any {
	for _, el := range list {
		if m, ok := el.(map[string]any); ok && docGet(m, "primary") == true {
			return el
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// docGet is m[key], falling back to a case-insensitive key match as
// filter.Match does.
func docGet(m map[string]any, key string) any {
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

// sortValue makes the key of one JSON value of attribute t. ident says t
// is the core userName, which compares by FoldUserName as its filters and
// its uniqueness do.
func sortValue(t *schema.Attribute, ident bool, v any) SortKey {
	switch t.Type {
	case schema.Boolean:
		if b, ok := v.(bool); ok {
			return SortKey{kind: sortBool, b: b}
		}
	case schema.Integer, schema.Decimal:
		return numberKey(v)
	case schema.DateTime:
		if s, ok := v.(string); ok {
			if tm, err := time.Parse(time.RFC3339, s); err == nil {
				return SortKey{kind: sortTime, t: tm}
			}
		}
	case schema.Complex:
	default: // strings, references, binary
		s, ok := v.(string)
		if !ok || s == "" {
			return SortKey{}
		}
		return SortKey{kind: sortString, s: stringKey(t, ident, s)}
	}
	return SortKey{}
}

// stringKey is the form a string of attribute t sorts by.
func stringKey(t *schema.Attribute, ident bool, s string) string {
	switch {
	case t.CaseExact:
		return s
	case ident:
		return FoldUserName(s)
	}
	return filter.Fold(s)
}

func numberKey(v any) SortKey {
	var s string
	switch x := v.(type) {
	case int:
		return SortKey{kind: sortInt, i: int64(x)}
	case int64:
		return SortKey{kind: sortInt, i: x}
	case float64:
		return SortKey{kind: sortFloat, f: x}
	case json.Number:
		s = string(x)
	case filter.Number:
		s = string(x)
	default:
		return SortKey{}
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return SortKey{kind: sortInt, i: i}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return SortKey{kind: sortFloat, f: f}
	}
	return SortKey{}
}

// UserSortKey is SortKeyOf(by, UserDoc(u)), without building the document
// for the attributes admin screens sort on.
func UserSortKey(by filter.AttrPath, u *User) SortKey {
	if k, ok := metaSortKey(by, u.Meta); ok {
		return k
	}
	if t := by.Resolved.Target(); t != nil && by.Sub == "" && !by.Resolved.Extension && by.URI == "" {
		if v, ok := userScalar(u, by.Name); ok {
			return sortValue(t, by.IsCore("userName"), v)
		}
	}
	return SortKeyOf(by, UserDoc(u))
}

// GroupSortKey is SortKeyOf(by, GroupDoc(g)), without building the
// document for the attributes admin screens sort on.
func GroupSortKey(by filter.AttrPath, g *Group) SortKey {
	if k, ok := metaSortKey(by, g.Meta); ok {
		return k
	}
	if t := by.Resolved.Target(); t != nil && by.Sub == "" && !by.Resolved.Extension && by.URI == "" {
		switch by.Name {
		case "id":
			return sortValue(t, false, g.ID)
		case "displayName":
			return sortValue(t, false, g.DisplayName)
		case "externalId":
			return sortValue(t, false, g.ExternalID)
		}
	}
	return SortKeyOf(by, GroupDoc(g))
}

// metaSortKey answers meta.created and meta.lastModified from m. A zero
// time is missing, as the document form leaves it out.
func metaSortKey(by filter.AttrPath, m Meta) (SortKey, bool) {
	if !by.IsCore("meta") || by.Resolved.Sub == nil {
		return SortKey{}, false
	}
	var t time.Time
	switch by.Sub {
	case "created":
		t = m.Created
	case "lastModified":
		t = m.LastModified
	default:
		return SortKey{}, false
	}
	if t.IsZero() {
		return SortKey{}, true
	}
	// The document form is RFC 3339 with nanoseconds: compare what it
	// would compare.
	return SortKey{kind: sortTime, t: t}, true
}

// SortDocs sorts JSON-form resources by by, for a ResourceHandler that
// keeps its resources in memory. Ties (and missing values) keep creation
// order: meta.created, then id. Descending is the exact reverse of the
// ascending order, ties included, so paging either way is stable.
func SortDocs(docs []map[string]any, by filter.AttrPath, descending bool) {
	meta := schema.Common("meta")
	created := filter.AttrPath{Name: "meta", Sub: "created", Resolved: schema.Path{Attr: meta, Sub: meta.Sub("created")}}
	type keyed struct {
		doc       map[string]any
		key, made SortKey
		id        string
	}
	ks := make([]keyed, len(docs))
	for i, d := range docs {
		id, _ := d["id"].(string)
		ks[i] = keyed{d, SortKeyOf(by, d), SortKeyOf(created, d), id}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		c := cmp.Or(a.key.Compare(b.key), a.made.Compare(b.made), strings.Compare(a.id, b.id))
		if descending {
			return -c
		}
		return c
	})
	for i := range ks {
		docs[i] = ks[i].doc
	}
}
