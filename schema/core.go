package schema

import (
	escim "github.com/elimity-com/scim/schema"
)

// The RFC 7643 definitions of the core User and Group schemas, the
// enterprise extension and the common attributes are taken from
// github.com/elimity-com/scim and converted once per call; nothing of that
// module shows in this package's API.

// CoreUser returns the RFC 7643 core User schema. Each call returns a new
// value that the caller may change before registering it.
func CoreUser() *Schema { return fromElimity(escim.CoreUserSchema()) }

// CoreGroup returns the RFC 7643 core Group schema. Each call returns a new
// value.
func CoreGroup() *Schema { return fromElimity(escim.CoreGroupSchema()) }

// EnterpriseUser returns the RFC 7643 enterprise User extension schema.
// Each call returns a new value.
func EnterpriseUser() *Schema { return fromElimity(escim.ExtensionEnterpriseUser()) }

var commonAttrs = func() *Schema {
	s := &Schema{}
	for _, a := range escim.CommonAttributes() {
		if c := convert(a); c.Name != "schemas" {
			s.Attributes = append(s.Attributes, c)
		}
	}
	return s
}()

// Common returns the common attribute (id, externalId, meta; RFC 7643
// section 3.1) with the given name, matched case-insensitively, or nil.
func Common(name string) *Attribute { return commonAttrs.Attr(name) }

func fromElimity(d escim.Schema) *Schema {
	s := &Schema{ID: d.ID, Name: d.Name.Value(), Description: d.Description.Value()}
	for _, a := range d.Attributes {
		s.Attributes = append(s.Attributes, convert(a))
	}
	s.attrs.warm(s.Attributes)
	return s
}

func convert(a escim.CoreAttribute) *Attribute {
	out := &Attribute{
		Name:            a.Name(),
		Type:            Type(a.AttributeType()),
		Description:     a.Description(),
		MultiValued:     a.MultiValued(),
		Required:        a.Required(),
		CaseExact:       a.CaseExact(),
		Mutability:      a.Mutability(),
		Returned:        a.Returned(),
		Uniqueness:      a.Uniqueness(),
		CanonicalValues: a.CanonicalValues(),
	}
	for _, r := range a.ReferenceTypes() {
		out.ReferenceTypes = append(out.ReferenceTypes, string(r))
	}
	if out.Type == "" && a.HasSubAttributes() {
		out.Type = Complex
	}
	for _, sa := range a.SubAttributes() {
		out.SubAttributes = append(out.SubAttributes, convert(sa))
	}
	out.subs.warm(out.SubAttributes)
	return out
}
