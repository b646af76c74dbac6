package scim

import (
	"strings"

	"github.com/scimkit/scim/schema"
)

// validate checks a normalised doc for a create (old == nil) or for a
// replace or patch of the stored doc old:
//
//   - every attribute has a value of its type (a PATCH result is checked
//     like a request body; the Server's own PATCH skips the attributes
//     its operations left as stored, see patchStored);
//   - required attributes (userName for User, displayName for Group, and
//     those of required extensions) are present and not blank: 400
//     invalidValue;
//   - a new or changed core userName is one under the profile of
//     FoldUserName: 400 invalidValue;
//   - at most one element of a multi-valued attribute has primary=true
//     (RFC 7643 section 2.4): 400 invalidValue;
//   - with old: an immutable attribute, or an immutable sub-attribute of a
//     single-valued complex one, that has a value in old keeps exactly that
//     value: 400 mutability. An empty one may be set (RFC 7644 section
//     3.5.1). Leaving it out counts as a change, since a replace would
//     clear it. Immutable sub-attributes of multi-valued attributes (group
//     members) are not compared here: their elements come and go as a
//     whole and the group handler applies them as deltas.
//
// readOnly attributes are the server's and are not checked.
func validate(rt *schema.ResourceType, old, doc map[string]any) error {
	return validateNormalized(rt, old, doc, nil)
}

// validateNormalized is validate for a doc built from normalize's output
// normalized (a create's or replace's body, then guardAccess): an
// attribute that still holds the value normalize gave has passed its
// type check there, and normalize's output passes it again (FuzzNormalize
// holds normalize to that), so only the others are checked. A PATCH of
// the stored resource passes the stored doc as normalized: it passed
// when written.
func validateNormalized(rt *schema.ResourceType, old, doc, normalized map[string]any) error {
	var keyBuf [32]string
	for _, k := range appendSortedKeys(keyBuf[:0], doc) {
		v := doc[k]
		if nv, ok := normalized[k]; ok && sameValue(nv, v) {
			continue
		}
		if ext := rt.Extension(k); ext != nil {
			if _, err := normExtension(ext, v); err != nil {
				return err
			}
			continue
		}
		a := coreAttr(rt, k)
		if a == nil || a.Mutability == schema.ReadOnly || isPassword(rt, a) {
			continue
		}
		if _, err := normValueAt(a, attrPath{attr: a.Name, strict: strictFor(rt, nil)}, v); err != nil {
			return err
		}
	}
	if err := checkAttrs(rt.Schema.Attributes, doc, ""); err != nil {
		return err
	}
	if err := checkUserNameChange(rt, old, doc); err != nil {
		return err
	}
	for _, e := range rt.Extensions {
		m, _ := doc[e.Schema.ID].(map[string]any)
		if len(m) == 0 {
			if e.Required {
				return Errorf(InvalidValue, "Extension %q is required.", e.Schema.ID)
			}
			continue
		}
		if err := checkAttrs(e.Schema.Attributes, m, e.Schema.ID+":"); err != nil {
			return err
		}
	}
	if old != nil {
		return checkImmutable(rt, old, doc)
	}
	return nil
}

// checkAttrs checks required attributes and primary flags of the
// attributes attrs in container; prefix qualifies names in errors.
func checkAttrs(attrs []*schema.Attribute, container map[string]any, prefix string) error {
	for _, a := range attrs {
		if a.Mutability == schema.ReadOnly {
			continue
		}
		v := container[a.Name]
		if a.Required && isBlank(v) {
			return Errorf(InvalidValue, "Attribute %q is required.", prefix+a.Name)
		}
		if a.Type != schema.Complex || v == nil {
			continue
		}
		elems := []any{v}
		if a.MultiValued {
			elems, _ = v.([]any)
		}
		primaries := 0
		for _, e := range elems {
			m, _ := e.(map[string]any)
			if m["primary"] == true {
				primaries++
			}
			for _, s := range a.SubAttributes {
				if s.Required && s.Mutability != schema.ReadOnly && isBlank(m[s.Name]) {
					return Errorf(InvalidValue, "Attribute %q is required.", prefix+a.Name+"."+s.Name)
				}
			}
		}
		if primaries > 1 {
			return Errorf(InvalidValue, "At most one value of %q may be primary.", prefix+a.Name)
		}
	}
	return nil
}

// isBlank reports whether v has no usable value. A string of spaces is
// blank: it is no userName or displayName anyone can use.
func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// checkImmutable enforces immutability against the stored doc old.
func checkImmutable(rt *schema.ResourceType, old, doc map[string]any) error {
	check := func(a *schema.Attribute, prefix string, ov, nv any) error {
		if a.Mutability == schema.Immutable && !isBlank(ov) && !sameValue(ov, nv) {
			return Errorf(Mutability, "Attribute %q is immutable and already has a value.", prefix+a.Name)
		}
		if a.Type != schema.Complex || a.MultiValued {
			return nil
		}
		om, _ := ov.(map[string]any)
		nm, _ := nv.(map[string]any)
		for _, s := range a.SubAttributes {
			if s.Mutability == schema.Immutable && !isBlank(om[s.Name]) && !sameValue(om[s.Name], nm[s.Name]) {
				return Errorf(Mutability, "Attribute %q is immutable and already has a value.", prefix+a.Name+"."+s.Name)
			}
		}
		return nil
	}
	var keyBuf [32]string
	for _, k := range appendSortedKeys(keyBuf[:0], old) {
		if ext := rt.Extension(k); ext != nil {
			om, _ := old[k].(map[string]any)
			nm, _ := doc[ext.ID].(map[string]any)
			for _, a := range ext.Attributes {
				if err := check(a, ext.ID+":", om[a.Name], nm[a.Name]); err != nil {
					return err
				}
			}
			continue
		}
		a := coreAttr(rt, k)
		if a == nil || a.Mutability == schema.ReadOnly {
			continue
		}
		if err := check(a, "", old[k], doc[a.Name]); err != nil {
			return err
		}
	}
	return nil
}
