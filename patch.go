package scim

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// ApplyPatch applies ops in order to a copy of doc (doc is never modified)
// for a resource of type rt and returns the new doc, in the canonical form
// the Server hands to a ResourceHandler, or a *Error. It is atomic by
// construction: any failure returns an error and no doc.
//
// Paths are resolved only through filter.ParsePath and filter.ResolvePath
// against rt; an unparsable path, an unknown attribute or a bad filter in a
// path is 400 invalidPath. Beyond RFC 7644 section 3.5.2 it accepts the
// dialects identity providers send: path-less values whose keys are paths
// ("name.givenName", URN-qualified extension attributes, the extension URN
// with an object); values normalised as in request bodies (string
// booleans, legacy [{"value":x}] wrapping, the manager as a bare id); ""
// and null as "clear" for add and replace; creating a missing element for
// a value filter that is a conjunction of eq comparisons (Entra's
// emails[type eq "work"].value on a user without emails); Okta's re-sent
// id in a path-less replace; the legacy "urn:...:User.department" path; and
// a remove of a multi-valued attribute with a value list removing only the
// listed values (Entra's legacy member removal, applied alike to every
// multi-valued attribute). The result is validated against rt as a request
// body is: types, canonical values, required attributes, immutable values.
func ApplyPatch(rt *schema.ResourceType, doc map[string]any, ops []PatchOp) (map[string]any, error) {
	return applyPatch(rt, doc, ops, nil, patchAny)
}

// patchMode says what applyPatch may assume of the document it patches
// and what its result may share with it.
type patchMode uint8

const (
	// patchAny is ApplyPatch's: any document; the result is checked whole
	// and shares nothing with it.
	patchAny patchMode = iota
	// patchStored: the document is the stored resource, which passed
	// validation when written; an attribute the operations leave as it was
	// is not type-checked again.
	patchStored
	// patchShared is patchStored whose result may share the values of the
	// attributes the operations do not touch with the document: for a
	// caller that consumes the result before anything edits either.
	patchShared
)

// applyPatch is ApplyPatch; vals, when not nil, holds the decoded value of
// each operation (parsePatchBody), which is then not decoded again.
func applyPatch(rt *schema.ResourceType, doc map[string]any, ops []PatchOp, vals []any, mode patchMode) (map[string]any, error) {
	if len(ops) > MaxPatchOperations {
		return nil, Errorf(InvalidValue, "A PATCH request may carry at most %d operations.", MaxPatchOperations)
	}
	// The working copy starts shallow: an attribute is copied deeply
	// when an operation first reaches it (own), so a PATCH of one
	// attribute does not copy the whole resource.
	p := &patcher{rt: rt, doc: maps.Clone(doc)}
	if p.doc == nil {
		p.doc = map[string]any{}
	}
	for i, op := range ops {
		var v any
		if vals != nil {
			// A copy: the engine may keep and edit the value, and a
			// retried write applies the operations again.
			v = deepCopy(vals[i])
		}
		if err := p.apply(op, v, vals != nil); err != nil {
			return nil, opError(i, err)
		}
	}
	for k, v := range p.doc {
		// pruneEmpty edits inside extension objects; the others it
		// only drops whole.
		if m, ok := v.(map[string]any); (ok && isURN(k) && hasEmpty(m)) || mode != patchShared {
			p.own(k)
		}
	}
	pruneEmpty(p.doc)
	var stored map[string]any
	if mode != patchAny {
		stored = doc
	}
	if err := validateNormalized(rt, doc, p.doc, stored); err != nil {
		return nil, err
	}
	return p.doc, nil
}

// patcher holds the working copy one PATCH request edits.
type patcher struct {
	rt  *schema.ResourceType
	doc map[string]any
	// owned are the top-level keys of doc whose values are this PATCH's
	// own copies; the others' values are shared with the document patched
	// and must not be edited.
	owned []string
}

// own makes doc's value under the top-level key k the PATCH's own, to
// edit.
func (p *patcher) own(k string) {
	if slices.Contains(p.owned, k) {
		return
	}
	if v, ok := p.doc[k]; ok {
		p.doc[k] = deepCopy(v)
	}
	p.owned = append(p.owned, k)
}

// patchTarget is a resolved PATCH target.
type patchTarget struct {
	ext    *schema.Schema    // the extension holding attr, or nil for core and common attributes
	attr   *schema.Attribute // the top-level attribute, or nil for the whole extension ext
	filter filter.Expr       // the value filter, or nil
	sub    *schema.Attribute // the sub-attribute, with or without a filter, or nil
	name   string            // canonical path, for messages
}

// apply applies op; its decoded value is v when decoded is set.
func (p *patcher) apply(op PatchOp, v any, decoded bool) error {
	kind := strings.ToLower(op.Op)
	if !validOp(kind) {
		return Errorf(InvalidSyntax, "\"op\" must be \"add\", \"replace\" or \"remove\".")
	}
	if !decoded {
		var err error
		if v, err = decodeValue(op.Value); err != nil {
			return err
		}
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
		return pathError(err)
	}
	return p.applyTarget(kind, t, v)
}

// resolve resolves a path through the filter package against rt; its
// errors are the filter package's or *Error, for pathError or keyError.
func (p *patcher) resolve(path string) (patchTarget, error) {
	fp, err := filter.ParsePath(path)
	if err != nil {
		return patchTarget{}, err
	}
	rp, err := filter.ResolvePath(fp, p.rt)
	if err != nil {
		return patchTarget{}, err
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

// maxKeyInMessage bounds a client's key an error message repeats.
const maxKeyInMessage = 64

// quotedKey returns a client's key quoted for an error message, and
// false when it is too long or has a character no attribute path has: a
// message names what the client got wrong without echoing arbitrary input
// (markup, controls).
func quotedKey(k string) (string, bool) {
	if len(k) > maxKeyInMessage || strings.IndexFunc(k, func(r rune) bool { return !isNameChar(r) }) >= 0 {
		return "", false
	}
	return strconv.Quote(k), true
}

// isNameChar reports whether r may appear in an attribute path as RFC
// 7643 section 2.1 and URNs write them: nothing that could be markup or
// a control character.
func isNameChar(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-$", r))
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
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	return Errorf(InvalidPath, "The path is not valid.")
}

// keyError is pathError for the key k of a path-less value, which it
// names when quotedKey allows.
func keyError(k string, err error) *Error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		if q, ok := quotedKey(k); ok {
			return Errorf(InvalidPath, "The key %s of the value is not a valid path: %s.", q, fe.Msg)
		}
		return Errorf(InvalidPath, "A key of the value is not a valid path: %s.", fe.Msg)
	}
	if q, ok := quotedKey(k); ok {
		return Errorf(InvalidPath, "The key %s of the value names no attribute.", q)
	}
	return Errorf(InvalidPath, "A key of the value names no attribute.")
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
				return keyError(k, err)
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
		p.own(t.attr.Name)
		return p.doc
	}
	p.own(t.ext.ID)
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
		if strings.EqualFold(k, "schemas") {
			continue // ignored here as in a POST or PUT body
		}
		a := ext.Attr(k)
		if a == nil {
			if q, ok := quotedKey(k); ok {
				return Errorf(InvalidPath, "Extension %q has no attribute %s.", ext.ID, q)
			}
			return Errorf(InvalidPath, "Extension %q has no attribute of that name.", ext.ID)
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
