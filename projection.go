package scim

import (
	"maps"
	"strings"

	"github.com/scimkit/scim/schema"
)

// projection is a parsed attributes / excludedAttributes pair (RFC 7644
// section 3.4.2.5). Names that resolve to no attribute are ignored, as a
// client may ask a server for attributes it does not support.
type projection struct {
	include []schema.Path // nil: the default set
	exclude []schema.Path
}

const (
	maxProjectionLen   = 4096
	maxProjectionNames = 100
)

func (q *request) projection(rt *schema.ResourceType, attrs, excl string) (projection, error) {
	var p projection
	var err error
	if p.include, err = parseAttrList(rt, "attributes", attrs); err != nil {
		return p, err
	}
	if p.exclude, err = parseAttrList(rt, "excludedAttributes", excl); err != nil {
		return p, err
	}
	if strings.TrimSpace(attrs) != "" && p.include == nil {
		// Only unknown names were asked for: return just the always set.
		p.include = []schema.Path{}
	}
	return p, nil
}

func parseAttrList(rt *schema.ResourceType, param, s string) ([]schema.Path, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if len(s) > maxProjectionLen || strings.Count(s, ",") >= maxProjectionNames {
		return nil, Errorf(InvalidValue, "%s lists too many attributes (at most %d).", param, maxProjectionNames)
	}
	var out []schema.Path
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if p, ok := resolveName(rt, name); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// resolveName resolves an attribute name as written in attributes,
// excludedAttributes or a PATCH value key: "attr", "attr.sub", or either
// prefixed with a schema URN, or a bare extension URN.
func resolveName(rt *schema.ResourceType, name string) (schema.Path, bool) {
	uri := ""
	if len(name) > 4 && strings.EqualFold(name[:4], "urn:") {
		i := strings.LastIndexByte(name, ':')
		uri, name = name[:i], name[i+1:]
	}
	attr, sub, _ := strings.Cut(name, ".")
	return rt.Resolve(uri, attr, sub)
}

// isDefault reports whether p returns the default attribute set.
func (p projection) isDefault() bool { return p.include == nil && len(p.exclude) == 0 }

// wants reports whether the top-level attribute name would be returned.
func (p projection) wants(name string) bool {
	if p.include != nil {
		for _, x := range p.include {
			if x.Attr != nil && !x.Extension && strings.EqualFold(x.Attr.Name, name) {
				return true
			}
		}
		return false
	}
	for _, x := range p.exclude {
		if x.Attr != nil && !x.Extension && x.Sub == nil && strings.EqualFold(x.Attr.Name, name) {
			return false
		}
	}
	return true
}

// apply returns the projected document. Attributes returned "never" are
// always removed, "request" ones unless asked for, and "always" ones
// (id, schemas) always kept.
func (p projection) apply(rt *schema.ResourceType, doc map[string]any) map[string]any {
	out := maps.Clone(doc)
	scrub(rt, out, p.include)
	if p.include != nil {
		sel := map[string]any{"schemas": out["schemas"]}
		if id, ok := out["id"]; ok {
			sel["id"] = id
		}
		for _, x := range p.include {
			pick(sel, out, x)
		}
		keepAlways(sel, out, rt.Schema.Attributes)
		for _, e := range rt.Extensions {
			if from, ok := out[e.Schema.ID].(map[string]any); ok {
				to, _ := sel[e.Schema.ID].(map[string]any)
				if to == nil {
					to = map[string]any{}
				}
				if keepAlways(to, from, e.Schema.Attributes); len(to) > 0 {
					sel[e.Schema.ID] = to
				}
			}
		}
		return sel
	}
	for _, x := range p.exclude {
		drop(out, x)
	}
	return out
}

// keepAlways copies into dst the attributes of attrs returned "always"
// that src has, whatever attributes asked for, and the "always"
// sub-attributes of the complex attributes dst has a part of (RFC 7643
// section 7).
func keepAlways(dst, src map[string]any, attrs []*schema.Attribute) {
	for _, a := range attrs {
		v, ok := src[a.Name]
		if !ok {
			continue
		}
		if a.Returned == schema.ReturnedAlways {
			dst[a.Name] = v
			continue
		}
		part, ok := dst[a.Name]
		if !ok {
			continue
		}
		for _, sub := range a.SubAttributes {
			if sub.Returned != schema.ReturnedAlways {
				continue
			}
			switch val := v.(type) {
			case map[string]any:
				if m, ok := part.(map[string]any); ok {
					if sv, ok := val[sub.Name]; ok {
						m[sub.Name] = sv
					}
				}
			case []any:
				list, _ := part.([]any)
				for i, e := range val[:min(len(val), len(list))] {
					em, _ := e.(map[string]any)
					if m, ok := list[i].(map[string]any); ok {
						if sv, ok := em[sub.Name]; ok {
							m[sub.Name] = sv
						}
					}
				}
			}
		}
	}
}

// container returns the map that holds x's attribute within doc: doc itself
// or the extension's object.
func container(doc map[string]any, x schema.Path, create bool) map[string]any {
	if !x.Extension {
		return doc
	}
	m, _ := doc[x.Schema.ID].(map[string]any)
	if m == nil && create {
		m = map[string]any{}
		doc[x.Schema.ID] = m
	}
	return m
}

func pick(dst, src map[string]any, x schema.Path) {
	if x.Attr == nil { // a whole extension
		if v, ok := src[x.Schema.ID]; ok {
			dst[x.Schema.ID] = v
		}
		return
	}
	from := container(src, x, false)
	if from == nil {
		return
	}
	v, ok := from[x.Attr.Name]
	if !ok {
		return
	}
	to := container(dst, x, true)
	if x.Sub == nil {
		to[x.Attr.Name] = v
		return
	}
	sub := x.Sub.Name
	switch val := v.(type) {
	case map[string]any:
		m, _ := to[x.Attr.Name].(map[string]any)
		if m == nil {
			m = map[string]any{}
			to[x.Attr.Name] = m
		}
		if sv, ok := val[sub]; ok {
			m[sub] = sv
		}
	case []any:
		prev, _ := to[x.Attr.Name].([]any)
		list := make([]any, len(val))
		for i, e := range val {
			em, _ := e.(map[string]any)
			m := map[string]any{}
			if i < len(prev) {
				if pm, ok := prev[i].(map[string]any); ok {
					m = pm
				}
			}
			if sv, ok := em[sub]; ok {
				m[sub] = sv
			}
			list[i] = m
		}
		to[x.Attr.Name] = list
	}
}

func drop(doc map[string]any, x schema.Path) {
	if x.Attr == nil {
		delete(doc, x.Schema.ID)
		return
	}
	if x.Target().Returned == schema.ReturnedAlways {
		return
	}
	c := container(doc, x, false)
	if c == nil {
		return
	}
	if x.Extension {
		c = maps.Clone(c)
		doc[x.Schema.ID] = c
	}
	if x.Sub == nil {
		delete(c, x.Attr.Name)
		return
	}
	switch val := c[x.Attr.Name].(type) {
	case map[string]any:
		m := maps.Clone(val)
		delete(m, x.Sub.Name)
		c[x.Attr.Name] = m
	case []any:
		list := make([]any, len(val))
		for i, e := range val {
			if em, ok := e.(map[string]any); ok {
				em = maps.Clone(em)
				delete(em, x.Sub.Name)
				e = em
			}
			list[i] = e
		}
		c[x.Attr.Name] = list
	}
}

// scrub removes returned:never attributes and returned:request ones that
// were not asked for, from the core schema and every extension. (The
// schemas served here have none below the top level.)
func scrub(rt *schema.ResourceType, doc map[string]any, include []schema.Path) {
	asked := func(a *schema.Attribute) bool {
		for _, x := range include {
			if x.Attr == a || x.Sub == a {
				return true
			}
		}
		return false
	}
	hidden := func(a *schema.Attribute) bool {
		return a.Returned == schema.ReturnedNever || (a.Returned == schema.ReturnedRequest && !asked(a))
	}
	clean := func(c map[string]any, attrs []*schema.Attribute) {
		for _, a := range attrs {
			if hidden(a) {
				delete(c, a.Name)
			}
		}
	}
	clean(doc, rt.Schema.Attributes)
	for _, e := range rt.Extensions {
		if c, ok := doc[e.Schema.ID].(map[string]any); ok {
			c = maps.Clone(c)
			clean(c, e.Schema.Attributes)
			doc[e.Schema.ID] = c
		}
	}
}
