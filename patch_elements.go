package scim

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// removeListed removes from a multi-valued attribute only the values
// listed in v: Entra's legacy {"op":"Remove","path":"members","value":[..]}
// means exactly that, and reading it as "remove all" would empty groups.
// Complex elements match on their "value" sub-attribute when the listed
// one has it, otherwise on all their sub-attributes.
func (p *patcher) removeListed(t patchTarget, c map[string]any, v any) error {
	nv, err := normValueAt(t.attr, p.named(t), v)
	if err != nil {
		return err
	}
	listed, _ := nv.([]any)
	cur, _ := c[t.attr.Name].([]any)
	if len(listed) == 0 || len(cur) == 0 {
		return nil
	}
	out := slices.DeleteFunc(slices.Clone(cur), func(e any) bool {
		return slices.ContainsFunc(listed, func(l any) bool { return sameElement(e, l) })
	})
	if len(out) == 0 {
		return clearAttr(t, c)
	}
	c[t.attr.Name] = out
	return nil
}

func sameElement(e, listed any) bool {
	lm, ok := listed.(map[string]any)
	if !ok {
		return reflect.DeepEqual(e, listed)
	}
	em, _ := e.(map[string]any)
	if lv, ok := lm["value"]; ok {
		return reflect.DeepEqual(em["value"], lv)
	}
	return reflect.DeepEqual(em, lm)
}

// mergeComplex merges the sub-attributes of nv into cur (RFC 7644 section
// 3.5.2.3: sub-attributes not given are left unchanged). With newRef, a
// single-valued attribute whose "value" changes (a new manager) starts
// afresh: the old reference's $ref and displayName describe someone else.
func mergeComplex(cur, nv map[string]any, newRef bool) map[string]any {
	if cur == nil {
		return nv
	}
	if v, ok := nv["value"]; newRef && ok && cur["value"] != nil && !reflect.DeepEqual(cur["value"], v) {
		return nv
	}
	out := make(map[string]any, len(cur)+len(nv))
	for k, x := range cur {
		out[k] = x
	}
	for k, x := range nv {
		out[k] = x
	}
	return out
}

// applyComplex applies an operation with a value filter or a
// sub-attribute to a complex attribute, single-valued (as a list of at
// most one element) or multi-valued.
func (p *patcher) applyComplex(kind string, t patchTarget, v any) error {
	a := t.attr
	c := p.container(t, kind != "remove")
	if c == nil {
		return nil // remove in an absent extension
	}
	var list []any
	if a.MultiValued {
		list, _ = c[a.Name].([]any)
		list = slices.Clone(list)
	} else if obj, ok := c[a.Name].(map[string]any); ok {
		list = []any{obj}
	}
	var matched []int
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue // not an element at all; validate rejects the doc
		}
		if t.filter == nil || filter.Match(t.filter, m) {
			matched = append(matched, i)
		}
	}
	var (
		touched []int
		err     error
	)
	if t.sub == nil {
		list, touched, err = p.applyElements(kind, t, list, matched, v)
	} else {
		list, touched, err = p.applySubs(kind, t, list, matched, v)
	}
	if err != nil {
		return err
	}
	if a.MultiValued {
		fixPrimary(list, touched)
	}
	switch {
	case len(list) == 0:
		if a.Required {
			return Errorf(Mutability, "Attribute %q is required and cannot be removed.", t.name)
		}
		delete(c, a.Name)
	case a.MultiValued:
		c[a.Name] = list
	case len(list) == 1:
		c[a.Name] = list[0]
	default:
		return Errorf(NoTarget, "No value of %q matches the filter.", t.name)
	}
	return nil
}

// applyElements applies an operation on "attr[filter]": to whole elements.
func (p *patcher) applyElements(kind string, t patchTarget, list []any, matched []int, v any) ([]any, []int, error) {
	a := t.attr
	remove := func() []any {
		return deleteIndices(list, matched)
	}
	if kind == "remove" || isNull(v) {
		return remove(), nil, nil
	}
	ne, err := normElementAt(a, p.named(t), v)
	if err != nil {
		return nil, nil, err
	}
	if len(ne) == 0 {
		if kind == "replace" {
			return remove(), nil, nil
		}
		return list, nil, nil
	}
	if len(matched) == 0 {
		elem, err := p.newElement(t, list)
		if err != nil {
			return nil, nil, err
		}
		for k, x := range ne {
			elem[k] = x
		}
		return append(list, elem), []int{len(list)}, nil
	}
	for _, i := range matched {
		cur := list[i].(map[string]any)
		var next map[string]any
		if kind == "replace" {
			// "All matching record values SHALL be replaced" (RFC 7644
			// section 3.5.2.3).
			next = deepCopyMap(ne)
		} else {
			next = mergeComplex(cur, deepCopyMap(ne), !a.MultiValued)
		}
		if err := checkImmutableSubs(t, cur, next); err != nil {
			return nil, nil, err
		}
		list[i] = next
	}
	return list, matched, nil
}

// applySubs applies an operation on "attr.sub" (every element) or
// "attr[filter].sub" (the matching elements).
func (p *patcher) applySubs(kind string, t patchTarget, list []any, matched []int, v any) ([]any, []int, error) {
	s := t.sub
	var nv any
	if kind != "remove" {
		var err error
		if nv, err = normValueAt(s, p.named(t), v); err != nil {
			return nil, nil, err
		}
		if notPrimary(t.attr, s, nv) {
			nv, v = nil, nil // setting primary false clears it
		}
		if nv == nil && !isNull(v) && kind == "add" {
			return list, nil, nil // adding an empty list or object adds nothing
		}
	}
	if nv == nil {
		// remove, or add/replace with "" or null: clear the sub-attribute.
		if s.Required && len(matched) > 0 {
			return nil, nil, Errorf(Mutability, "Attribute %q is required and cannot be removed.", t.name)
		}
		var hollow []int
		for _, i := range matched {
			m := list[i].(map[string]any)
			if _, ok := m[s.Name]; !ok {
				continue
			}
			if err := checkImmutableSub(t, s, m[s.Name], nil); err != nil {
				return nil, nil, err
			}
			delete(m, s.Name)
			if isHollow(t.attr, m) {
				hollow = append(hollow, i)
			}
		}
		return deleteIndices(list, hollow), nil, nil
	}
	if len(matched) == 0 {
		var elem map[string]any
		if t.filter == nil {
			if len(list) > 0 {
				return list, nil, nil
			}
			elem = map[string]any{}
		} else {
			var err error
			if elem, err = p.newElement(t, list); err != nil {
				return nil, nil, err
			}
		}
		elem[s.Name] = nv
		return append(list, elem), []int{len(list)}, nil
	}
	for _, i := range matched {
		m := list[i].(map[string]any)
		if err := checkImmutableSub(t, s, m[s.Name], nv); err != nil {
			return nil, nil, err
		}
		if s.Name == "value" && !t.attr.MultiValued && m["value"] != nil && !reflect.DeepEqual(m["value"], nv) {
			// A new reference: the old one's $ref and display go.
			m = map[string]any{}
			list[i] = m
		}
		m[s.Name] = deepCopy(nv)
	}
	return list, matched, nil
}

// checkImmutableSubs fails when replacing the element cur by next would
// change an immutable sub-attribute that has a value (RFC 7643 section 7:
// it may be set once, never changed).
func checkImmutableSubs(t patchTarget, cur, next map[string]any) error {
	for _, s := range t.attr.SubAttributes {
		if err := checkImmutableSub(t, s, cur[s.Name], next[s.Name]); err != nil {
			return err
		}
	}
	return nil
}

func checkImmutableSub(t patchTarget, s *schema.Attribute, old, next any) error {
	if s.Mutability == schema.Immutable && !isBlank(old) && !reflect.DeepEqual(old, next) {
		return Errorf(Mutability, "Attribute %q is immutable.", t.attr.Name+"."+s.Name)
	}
	return nil
}

// newElement builds the element that add or replace creates when a value
// filter matches nothing. Entra expects emails[type eq "work"].value on a
// user without a work email to create {"type":"work","value":..}, so the
// fields come from the filter's eq comparisons. This deviation from RFC
// 7644 section 3.5.2.3 (400 noTarget) is kept to what the IdPs need: the
// filter must be a conjunction of eq comparisons on distinct
// sub-attributes, one of them "type", each literal valid for its
// sub-attribute and, where the schema lists canonical values, one of them.
// So emails[type eq "nonexistent"] and ims[value eq "nobody"] stay 400
// noTarget. A single-valued attribute that has a value gets no second one.
func (p *patcher) newElement(t patchTarget, list []any) (map[string]any, error) {
	fields := map[string]any{}
	if t.filter == nil || (!t.attr.MultiValued && len(list) > 0) || !eqFields(t.filter, t.attr, fields) || fields["type"] == nil {
		return nil, Errorf(NoTarget, "No value of %q matches the filter.", t.attr.Name)
	}
	return fields, nil
}

func eqFields(e filter.Expr, a *schema.Attribute, out map[string]any) bool {
	switch n := e.(type) {
	case *filter.And:
		return eqFields(n.Left, a, out) && eqFields(n.Right, a, out)
	case *filter.Compare:
		if n.Op != filter.Eq || n.Path.URI != "" || n.Path.Sub != "" {
			return false
		}
		s := a.Sub(n.Path.Name)
		if s == nil || s.Mutability == schema.ReadOnly || s.MultiValued || s.Type == schema.Complex {
			return false
		}
		val := n.Value
		if num, ok := val.(filter.Number); ok {
			val = json.Number(num)
		}
		nv, err := normValue(s, s.Name, val)
		if err != nil || nv == nil {
			return false
		}
		if len(s.CanonicalValues) > 0 {
			str, _ := nv.(string)
			if !slices.ContainsFunc(s.CanonicalValues, func(c string) bool { return strings.EqualFold(c, str) }) {
				return false
			}
		}
		if prev, ok := out[s.Name]; ok && !reflect.DeepEqual(prev, nv) {
			return false
		}
		out[s.Name] = nv
		return true
	}
	return false
}

// isHollow reports whether an element left after removing a
// sub-attribute carries nothing worth keeping: no sub-attributes, no
// "value" where the attribute has one, or only type and primary (an
// address reduced to {"type":"work"}).
func isHollow(a *schema.Attribute, m map[string]any) bool {
	if len(m) == 0 {
		return true
	}
	if a.Sub("value") != nil && m["value"] == nil {
		return true
	}
	for k := range m {
		if k != "type" && k != "primary" {
			return false
		}
	}
	return true
}

// fixPrimary implements RFC 7644 section 3.5.2: setting primary on a value
// unsets it on the others. touched are the indices the operation wrote.
func fixPrimary(list []any, touched []int) {
	set := false
	for _, i := range touched {
		if m, ok := list[i].(map[string]any); ok && m["primary"] == true {
			set = true
		}
	}
	if !set {
		return
	}
	for i, e := range list {
		if slices.Contains(touched, i) {
			continue
		}
		if m, ok := e.(map[string]any); ok && m["primary"] == true {
			delete(m, "primary")
		}
	}
}

func deleteIndices(list []any, idx []int) []any {
	if len(idx) == 0 {
		return list
	}
	out := make([]any, 0, len(list))
	for i, e := range list {
		if !slices.Contains(idx, i) {
			out = append(out, e)
		}
	}
	return out
}
