package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// patchOpMessageURN is the schema of a PATCH request body.
const patchOpMessageURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// MaxPatchOperations is the most operations one PATCH request may carry.
// More is a 400 invalidValue: 413 is reserved for Bulk limits (RFC 7644
// section 3.7.4), and no identity provider sends anywhere near this many.
const MaxPatchOperations = 1000

// PatchOp is one operation of a PATCH request (RFC 7644 section 3.5.2).
type PatchOp struct {
	// Op is "add", "replace" or "remove"; ParsePatch lowers its case.
	Op string `json:"op"`
	// Path is the target, or "" for the resource itself.
	Path string `json:"path,omitempty"`
	// Value is the raw JSON value, or nil when the operation has none.
	Value json.RawMessage `json:"value,omitempty"`
}

// ParsePatch decodes and checks a PATCH request body. schemas must contain
// the PatchOp message URN and "Operations" (its key, like every key of the
// body and of each operation, matched case-insensitively) must be a list:
// otherwise 400 invalidSyntax. An empty list is a valid no-op (Microsoft's
// validator sends one). op is matched case-insensitively, since Entra sends
// Add, Replace and Remove, and is returned in lower case; any other op is
// 400 invalidSyntax. More than MaxPatchOperations operations is 400
// invalidValue. A key given twice in one object, in the same or another
// case, is 400 invalidSyntax. Paths and values are checked by ApplyPatch
// and splitGroupPatch.
func ParsePatch(body []byte) ([]PatchOp, error) {
	if err := rejectDuplicateKeys(body); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, Errorf(InvalidSyntax, "The PATCH request body must be a JSON object.")
	}
	f, err := foldKeys(top, "schemas", "operations")
	if err != nil {
		return nil, err
	}
	var schemas []string
	if err := json.Unmarshal(f["schemas"], &schemas); err != nil || !slices.ContainsFunc(schemas, func(s string) bool {
		return strings.EqualFold(s, patchOpMessageURN)
	}) {
		return nil, Errorf(InvalidSyntax, "The PATCH request \"schemas\" must contain %q.", patchOpMessageURN)
	}
	rawOps := f["operations"]
	if len(rawOps) == 0 || string(rawOps) == "null" {
		return nil, Errorf(InvalidSyntax, "The PATCH request has no \"Operations\".")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(rawOps, &list); err != nil {
		return nil, Errorf(InvalidSyntax, "\"Operations\" must be a list of operations.")
	}
	if len(list) > MaxPatchOperations {
		return nil, Errorf(InvalidValue, "A PATCH request may carry at most %d operations.", MaxPatchOperations)
	}
	ops := make([]PatchOp, 0, len(list))
	for i, raw := range list {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			return nil, Errorf(InvalidSyntax, "Operation %d must be an object.", i+1)
		}
		of, err := foldKeys(m, "op", "path", "value")
		if err != nil {
			return nil, opError(i, err)
		}
		var op PatchOp
		if err := json.Unmarshal(of["op"], &op.Op); err != nil || !validOp(op.Op) {
			return nil, Errorf(InvalidSyntax, "Operation %d: \"op\" must be \"add\", \"replace\" or \"remove\".", i+1)
		}
		op.Op = strings.ToLower(op.Op)
		if p := of["path"]; len(p) > 0 && string(p) != "null" {
			if err := json.Unmarshal(p, &op.Path); err != nil {
				return nil, Errorf(InvalidSyntax, "Operation %d: \"path\" must be a string.", i+1)
			}
		}
		op.Value = of["value"]
		ops = append(ops, op)
	}
	return ops, nil
}

func validOp(op string) bool {
	return strings.EqualFold(op, "add") || strings.EqualFold(op, "replace") || strings.EqualFold(op, "remove")
}

// foldKeys picks the keys names (given in lower case) out of m, matching
// case-insensitively. The same name in two cases is 400 invalidSyntax.
func foldKeys(m map[string]json.RawMessage, names ...string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(names))
	for k, v := range m {
		lk := strings.ToLower(k)
		if !slices.Contains(names, lk) {
			continue
		}
		if _, dup := out[lk]; dup {
			return nil, Errorf(InvalidSyntax, "%q is given more than once (names are case-insensitive).", lk)
		}
		out[lk] = v
	}
	return out, nil
}

// opError prefixes the detail of a *Error with the 1-based operation
// number, so a client can tell which operation failed.
func opError(i int, err error) error {
	var se *Error
	if !errors.As(err, &se) {
		return err
	}
	c := *se
	c.Detail = fmt.Sprintf("Operation %d: %s", i+1, se.Detail)
	return &c
}

// decodeValue decodes an operation's raw value with numbers as
// json.Number; nil when there is none.
func decodeValue(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, Errorf(InvalidSyntax, "\"value\" is not valid JSON.")
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, Errorf(InvalidSyntax, "\"value\" is not valid JSON.")
	}
	return v, nil
}

// ApplyPatch applies ops in order to a copy of doc (doc is never modified)
// for a resource of type rt and returns the new doc, normalised like
// normalize's output, or a *Error. It is atomic by construction: any
// failure returns an error and no doc.
//
// Paths are resolved only through filter.ParsePath and filter.ResolvePath
// against rt; an unparsable path, an unknown attribute or a bad filter in a
// path is 400 invalidPath. Beyond RFC 7644 section 3.5.2 it accepts every
// dialect of azure.md: path-less values whose keys are paths ("name.givenName",
// URN-qualified extension attributes, the extension URN with an object);
// values normalised as normalize does (string booleans, legacy
// [{"value":x}] wrapping, the manager as a bare id); "" and null as
// "clear" for add and replace; creating a missing element for a value
// filter that is a conjunction of eq comparisons (Entra's
// emails[type eq "work"].value on a user without emails); Okta's re-sent
// id in a path-less replace; the legacy "urn:...:User.department" path; and
// a remove of a multi-valued attribute with a value list removing only the
// listed values (Entra's legacy member removal, applied alike to every
// multi-valued attribute). The result is re-validated with validate.
func ApplyPatch(rt *schema.ResourceType, doc map[string]any, ops []PatchOp) (map[string]any, error) {
	if len(ops) > MaxPatchOperations {
		return nil, Errorf(InvalidValue, "A PATCH request may carry at most %d operations.", MaxPatchOperations)
	}
	p := &patcher{rt: rt, doc: deepCopyMap(doc)}
	if p.doc == nil {
		p.doc = map[string]any{}
	}
	for i, op := range ops {
		if err := p.apply(op); err != nil {
			return nil, opError(i, err)
		}
	}
	pruneEmpty(p.doc)
	if err := validate(rt, doc, p.doc); err != nil {
		return nil, err
	}
	return p.doc, nil
}

// patcher holds the working copy one PATCH request edits.
type patcher struct {
	rt  *schema.ResourceType
	doc map[string]any
}

// patchTarget is a resolved PATCH target.
type patchTarget struct {
	ext    *schema.Schema    // the extension holding attr, or nil for core and common attributes
	attr   *schema.Attribute // the top-level attribute, or nil for the whole extension ext
	filter filter.Expr       // the value filter, or nil
	sub    *schema.Attribute // the sub-attribute, with or without a filter, or nil
	name   string            // canonical path, for messages
}

func (p *patcher) apply(op PatchOp) error {
	kind := strings.ToLower(op.Op)
	if !validOp(kind) {
		return Errorf(InvalidSyntax, "\"op\" must be \"add\", \"replace\" or \"remove\".")
	}
	v, err := decodeValue(op.Value)
	if err != nil {
		return err
	}
	path := strings.TrimSpace(op.Path)
	if path == "" {
		if kind == "remove" {
			return Errorf(NoTarget, "A remove operation needs a path.")
		}
		return p.applyPathless(kind, v)
	}
	t, err := p.resolve(path)
	if err != nil {
		return err
	}
	return p.applyTarget(kind, t, v)
}

// resolve resolves a path through the filter package against rt.
func (p *patcher) resolve(path string) (patchTarget, error) {
	fp, err := filter.ParsePath(path)
	if err != nil {
		return patchTarget{}, pathError(err)
	}
	rp, err := filter.ResolvePath(fp, p.rt)
	if err != nil {
		return patchTarget{}, pathError(err)
	}
	res := rp.Attr.Resolved
	t := patchTarget{attr: res.Attr, filter: rp.Filter, sub: res.Sub, name: res.String()}
	if res.Extension {
		t.ext = res.Schema
	}
	if rp.ResolvedSub != nil {
		if t.sub != nil {
			return patchTarget{}, Errorf(InvalidPath, "The path is not valid.")
		}
		t.sub = rp.ResolvedSub
		t.name += "." + t.sub.Name
	}
	if t.attr == nil && t.ext == nil {
		return patchTarget{}, Errorf(InvalidPath, "The path names no attribute.")
	}
	return t, nil
}

// pathError turns a filter error into 400 invalidPath. Every kind maps
// to invalidPath, a bad filter inside a path included: the path as a whole
// is what the client got wrong. The filter package's messages are safe to
// show.
func pathError(err error) *Error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return Errorf(InvalidPath, "The path is not valid: %s.", fe.Msg)
	}
	return Errorf(InvalidPath, "The path is not valid.")
}

// applyPathless applies add or replace with no path: the value is an
// object whose keys are themselves paths (RFC 7644 sections 3.5.2.1 and
// 3.5.2.3, and Entra's dotted and URN-qualified keys).
func (p *patcher) applyPathless(kind string, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return Errorf(InvalidValue, "An operation without a path needs an object value.")
	}
	// Parents sort before their sub-attributes ("name" before
	// "name.givenName"), so the more specific key wins.
	keys := sortedKeys(m)
	slices.SortStableFunc(keys, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		val := m[k]
		if strings.EqualFold(k, "schemas") {
			continue // a client re-sending the resource; the server owns schemas
		}
		var t patchTarget
		if ext := p.rt.Extension(k); ext != nil {
			t = patchTarget{ext: ext, name: ext.ID}
		} else {
			var err error
			if t, err = p.resolve(k); err != nil {
				return err
			}
		}
		if t.filter == nil {
			key := strings.ToLower(t.name)
			if seen[key] {
				return errDuplicate(t.name)
			}
			seen[key] = true
		}
		// Okta re-sends the id with every group rename; the same id is no
		// change.
		if t.ext == nil && t.attr != nil && t.attr.Name == "id" && t.attr.Mutability == schema.ReadOnly && t.sub == nil && t.filter == nil {
			if s, ok := val.(string); ok && s != "" && s == p.doc["id"] {
				continue
			}
		}
		if err := p.applyTarget(kind, t, val); err != nil {
			return err
		}
	}
	return nil
}

func (p *patcher) applyTarget(kind string, t patchTarget, v any) error {
	if t.attr == nil {
		return p.applyExtension(kind, t.ext, v)
	}
	if t.ext == nil && isPassword(p.rt, t.attr) {
		return nil // accepted and dropped, as on create: never stored
	}
	if t.attr.Mutability == schema.ReadOnly || (t.sub != nil && t.sub.Mutability == schema.ReadOnly) {
		return Errorf(Mutability, "Attribute %q is read-only.", t.name)
	}
	if t.filter != nil || t.sub != nil {
		return p.applyComplex(kind, t, v)
	}
	return p.applyAttr(kind, t, v)
}

// named returns t's path for messages, with the strictness of its schema.
func (p *patcher) named(t patchTarget) attrPath {
	return attrPath{attr: t.name, strict: strictFor(p.rt, t.ext)}
}

// container returns the object holding t's attribute: the doc, or the
// object under t's extension URN (created when create is set). It may be
// nil when create is not set.
func (p *patcher) container(t patchTarget, create bool) map[string]any {
	if t.ext == nil {
		return p.doc
	}
	m, _ := p.doc[t.ext.ID].(map[string]any)
	if m == nil && create {
		m = map[string]any{}
		p.doc[t.ext.ID] = m
	}
	return m
}

// applyExtension applies an operation to a whole extension: remove drops
// it, add and replace apply each attribute of the value object.
func (p *patcher) applyExtension(kind string, ext *schema.Schema, v any) error {
	if kind == "remove" || isNull(v) {
		for _, a := range ext.Attributes {
			if a.Required {
				return Errorf(Mutability, "Extension %q has required attributes and cannot be removed.", ext.ID)
			}
		}
		delete(p.doc, ext.ID)
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Errorf(InvalidValue, "%q must be an object of extension attributes.", ext.ID)
	}
	seen := make(map[string]bool, len(m))
	for _, k := range sortedKeys(m) {
		a := ext.Attr(k)
		if a == nil {
			return Errorf(InvalidPath, "Extension %q has no such attribute.", ext.ID)
		}
		t := patchTarget{ext: ext, attr: a, name: ext.ID + ":" + a.Name}
		if seen[a.Name] {
			return errDuplicate(t.name)
		}
		seen[a.Name] = true
		if err := p.applyTarget(kind, t, m[k]); err != nil {
			return err
		}
	}
	return nil
}

// applyAttr applies an operation to a whole top-level attribute.
func (p *patcher) applyAttr(kind string, t patchTarget, v any) error {
	a := t.attr
	c := p.container(t, kind != "remove")
	if kind == "remove" {
		if a.MultiValued && !isNull(v) {
			return p.removeListed(t, c, v)
		}
		if c == nil || c[a.Name] == nil {
			return nil // removing what is absent succeeds: retries converge
		}
		return clearAttr(t, c)
	}
	nv, err := normValueAt(a, p.named(t), v)
	if err != nil {
		return err
	}
	if nv == nil {
		if isNull(v) || kind == "replace" {
			return clearAttr(t, c)
		}
		return nil // adding an empty list or object adds nothing
	}
	switch {
	case a.MultiValued:
		list := nv.([]any)
		cur, _ := c[a.Name].([]any)
		if kind == "replace" || len(cur) == 0 {
			c[a.Name] = list
			return nil
		}
		out := slices.Clone(cur)
		var touched []int
		for _, e := range list {
			if i := slices.IndexFunc(out, func(x any) bool { return reflect.DeepEqual(x, e) }); i >= 0 {
				touched = append(touched, i)
				continue
			}
			out = append(out, e)
			touched = append(touched, len(out)-1)
		}
		fixPrimary(out, touched)
		c[a.Name] = out
	case a.Type == schema.Complex:
		cur, _ := c[a.Name].(map[string]any)
		c[a.Name] = mergeComplex(cur, nv.(map[string]any), true)
	default:
		c[a.Name] = nv
	}
	return nil
}

// clearAttr removes t's top-level attribute from c, unless it is required.
func clearAttr(t patchTarget, c map[string]any) error {
	if t.attr.Required {
		return Errorf(Mutability, "Attribute %q is required and cannot be removed.", t.name)
	}
	if c != nil {
		delete(c, t.attr.Name)
	}
	return nil
}

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

// pruneEmpty drops attributes left without a value: null, empty lists and
// empty objects, at the top level and inside extensions.
func pruneEmpty(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case []any:
			if len(x) == 0 {
				delete(m, k)
			}
		case map[string]any:
			if strings.HasPrefix(strings.ToLower(k), "urn:") {
				pruneEmpty(x)
			}
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// groupMembersAttr is the core Group schema's members attribute, which
// member filters resolve against.
var groupMembersAttr = sync.OnceValue(func() *schema.Attribute {
	return schema.CoreGroup().Attr("members")
})

// splitGroupPatch separates the operations on a group's members from the
// others and turns them into store deltas, so that concurrent member
// changes are never lost to a read-modify-write of the whole list:
//
//   - add "members" [..]                         -> AddMembers
//   - remove "members" with a value list (Entra)  -> RemoveMembers of only those
//   - remove "members" with no value             -> RemoveAllMembers
//   - remove members[value eq "x" (or value eq "y" ..)] -> RemoveMembers
//   - remove members[any other filter]           -> RemoveMatchingMembers
//   - replace "members" [..] (Okta)              -> ReplaceMembers
//   - replace "members" with no value or []      -> RemoveAllMembers
//   - a path-less add or replace whose value object has a "members" key:
//     that key is split out as the same operation with path "members"
//
// An add or remove with an empty list changes nothing. Member values must
// be non-empty strings; "$ref" (often null) is dropped since the server
// fills it, "display" and "type" are kept. Operations on member
// sub-attributes (members[..].display, add/replace with a filter) are 400
// mutability: they are immutable. The other operations are returned
// unchanged, in order, for ApplyPatch.
func splitGroupPatch(ops []PatchOp) (attrOps []PatchOp, memberOps []MemberOp, err error) {
	for i, op := range ops {
		kind := strings.ToLower(op.Op)
		if !validOp(kind) {
			return nil, nil, opError(i, Errorf(InvalidSyntax, "\"op\" must be \"add\", \"replace\" or \"remove\"."))
		}
		path := strings.TrimSpace(op.Path)
		if path == "" {
			if kind == "remove" {
				attrOps = append(attrOps, op) // ApplyPatch answers noTarget
				continue
			}
			rest, members, found, err := splitMembersKey(op.Value)
			if err != nil {
				return nil, nil, opError(i, err)
			}
			if !found {
				attrOps = append(attrOps, op)
				continue
			}
			if rest != nil {
				attrOps = append(attrOps, PatchOp{Op: op.Op, Value: rest})
			}
			mo, err := memberOpsFor(kind, filter.Path{}, members)
			if err != nil {
				return nil, nil, opError(i, err)
			}
			memberOps = append(memberOps, mo...)
			continue
		}
		fp, err := filter.ParsePath(path)
		if err != nil {
			return nil, nil, opError(i, pathError(err))
		}
		if !isMembersPath(fp.Attr) {
			attrOps = append(attrOps, op)
			continue
		}
		v, err := decodeValue(op.Value)
		if err != nil {
			return nil, nil, opError(i, err)
		}
		mo, err := memberOpsFor(kind, fp, v)
		if err != nil {
			return nil, nil, opError(i, err)
		}
		memberOps = append(memberOps, mo...)
	}
	return attrOps, memberOps, nil
}

func isMembersPath(ap filter.AttrPath) bool {
	return (ap.URI == "" || strings.EqualFold(ap.URI, schema.GroupURN)) && strings.EqualFold(ap.Name, "members")
}

// splitMembersKey finds a "members" key (any case, optionally
// URN-qualified) in a path-less value object and returns the object
// without it (nil when nothing is left) and the members value. found is
// false when the value is not an object or has no such key.
func splitMembersKey(raw json.RawMessage) (rest json.RawMessage, members any, found bool, err error) {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, nil, false, nil
	}
	var key string
	for k := range m {
		if strings.EqualFold(k, "members") || strings.EqualFold(k, schema.GroupURN+":members") {
			if found {
				return nil, nil, false, errDuplicate("members")
			}
			key, found = k, true
		}
	}
	if !found {
		return nil, nil, false, nil
	}
	if members, err = decodeValue(m[key]); err != nil {
		return nil, nil, false, err
	}
	delete(m, key)
	if len(m) > 0 {
		if rest, err = json.Marshal(m); err != nil {
			return nil, nil, false, Errorf(InvalidSyntax, "\"value\" is not valid JSON.")
		}
	}
	return rest, members, true, nil
}

func errMemberSubs() *Error {
	return Errorf(Mutability, "Member sub-attributes are immutable; add or remove members instead.")
}

// memberOpsFor translates one operation on members (fp.Attr names
// members; fp is zero for a path-less value) into store deltas.
func memberOpsFor(kind string, fp filter.Path, v any) ([]MemberOp, error) {
	if fp.Attr.Sub != "" || fp.Sub != "" {
		return nil, errMemberSubs()
	}
	if fp.Filter != nil {
		if kind != "remove" {
			return nil, errMemberSubs()
		}
		f, err := filter.ResolveWithin(fp.Filter, groupMembersAttr())
		if err != nil {
			return nil, pathError(err)
		}
		if ms, ok := memberValues(f, nil); ok {
			return []MemberOp{{Kind: RemoveMembers, Members: dedupeMembers(ms)}}, nil
		}
		return []MemberOp{{Kind: RemoveMatchingMembers, Filter: f}}, nil
	}
	if kind == "remove" && isNull(v) {
		return []MemberOp{{Kind: RemoveAllMembers}}, nil
	}
	ms, err := memberList(v)
	if err != nil {
		return nil, err
	}
	switch {
	case kind == "replace" && len(ms) == 0:
		return []MemberOp{{Kind: RemoveAllMembers}}, nil
	case kind == "replace":
		return []MemberOp{{Kind: ReplaceMembers, Members: ms}}, nil
	case len(ms) == 0:
		return nil, nil
	case kind == "add":
		return []MemberOp{{Kind: AddMembers, Members: ms}}, nil
	}
	return []MemberOp{{Kind: RemoveMembers, Members: ms}}, nil
}

// memberValues recognises value eq "x", alone or in an or-chain, and
// returns those members.
func memberValues(e filter.Expr, acc []Member) ([]Member, bool) {
	switch n := e.(type) {
	case *filter.Or:
		acc, ok := memberValues(n.Left, acc)
		if !ok {
			return nil, false
		}
		return memberValues(n.Right, acc)
	case *filter.Compare:
		s, ok := n.Value.(string)
		if n.Op != filter.Eq || !strings.EqualFold(n.Path.Name, "value") || n.Path.URI != "" || n.Path.Sub != "" || !ok || s == "" {
			return nil, false
		}
		return append(acc, Member{Value: s}), true
	}
	return nil, false
}

// memberList checks a list of members (one object is a one-element list)
// and returns them without duplicates.
func memberList(v any) ([]Member, error) {
	if isNull(v) {
		return nil, nil
	}
	var l []any
	switch x := v.(type) {
	case []any:
		l = x
	case map[string]any:
		l = []any{x}
	default:
		return nil, errType("members", "a list of objects")
	}
	attr := groupMembersAttr()
	ms := make([]Member, 0, len(l))
	for _, e := range l {
		m, err := normElement(attr, "members", e)
		if err != nil {
			return nil, err
		}
		val, _ := m["value"].(string)
		if strings.TrimSpace(val) == "" {
			return nil, Errorf(InvalidValue, "Every member needs a non-empty \"value\".")
		}
		mem := Member{Value: val}
		mem.Display, _ = m["display"].(string)
		mem.Type, _ = m["type"].(string)
		ms = append(ms, mem)
	}
	return dedupeMembers(ms), nil
}

// dedupeMembers keeps the first of members with the same value.
func dedupeMembers(ms []Member) []Member {
	seen := make(map[string]bool, len(ms))
	return slices.DeleteFunc(ms, func(m Member) bool {
		if seen[m.Value] {
			return true
		}
		seen[m.Value] = true
		return false
	})
}
