// Package schema describes SCIM resource schemas (RFC 7643): attribute
// characteristics, the core User and Group schemas, the enterprise User
// extension, and resource types that bind a core schema to its extensions.
//
// Definitions come from github.com/elimity-com/scim/schema; this package adds
// case-insensitive lookup by attribute path, which the filter, PATCH and
// projection layers resolve every name through. Nothing outside a registered
// schema is ever addressable.
package schema

import (
	"encoding/json"
	"strings"

	escim "github.com/elimity-com/scim/schema"
)

// URNs of the schemas and messages this package knows.
const (
	UserURN           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// Type is an attribute's data type (RFC 7643 section 2.3).
type Type string

// Attribute data types.
const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Binary    Type = "binary"
	Reference Type = "reference"
	Complex   Type = "complex"
)

// Mutability values (RFC 7643 section 7).
const (
	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
	WriteOnly = "writeOnly"
)

// Returned values (RFC 7643 section 7).
const (
	ReturnedAlways  = "always"
	ReturnedNever   = "never"
	ReturnedDefault = "default"
	ReturnedRequest = "request"
)

// Attribute is one attribute definition with its characteristics.
type Attribute struct {
	Name            string
	Type            Type
	MultiValued     bool
	Required        bool
	CaseExact       bool
	Mutability      string
	Returned        string
	Uniqueness      string
	CanonicalValues []string
	ReferenceTypes  []string
	SubAttributes   []*Attribute
	// Indexed asks stores to keep an index on the attribute, so that eq
	// filters on it are index-backed (an extension employeeId an identity
	// provider matches users on). Uniqueness "server" or "global" implies
	// it. It is scimkit's own characteristic, not RFC 7643's.
	Indexed bool

	sub map[string]*Attribute
}

// Sub returns the sub-attribute with the given name, matched
// case-insensitively, or nil.
func (a *Attribute) Sub(name string) *Attribute {
	if a == nil {
		return nil
	}
	if a.sub == nil {
		for _, s := range a.SubAttributes {
			if strings.EqualFold(s.Name, name) {
				return s
			}
		}
	}
	return a.sub[strings.ToLower(name)]
}

// Schema is a set of attribute definitions identified by a URN.
type Schema struct {
	ID          string
	Name        string
	Description string
	Attributes  []*Attribute

	byName map[string]*Attribute
	def    *escim.Schema
}

// Attr returns the top-level attribute with the given name, matched
// case-insensitively, or nil.
func (s *Schema) Attr(name string) *Attribute {
	if s == nil {
		return nil
	}
	if s.byName == nil {
		for _, a := range s.Attributes {
			if strings.EqualFold(a.Name, name) {
				return a
			}
		}
	}
	return s.byName[strings.ToLower(name)]
}

// MarshalJSON encodes the schema as an RFC 7643 section 7 Schema resource.
func (s *Schema) MarshalJSON() ([]byte, error) {
	if s.def != nil {
		return json.Marshal(*s.def)
	}
	return json.Marshal(map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  []any{},
	})
}

// FromElimity converts a schema definition from github.com/elimity-com/scim.
func FromElimity(d escim.Schema) *Schema {
	s := &Schema{ID: d.ID, Name: d.Name.Value(), Description: d.Description.Value(), def: &d}
	for _, a := range d.Attributes {
		s.Attributes = append(s.Attributes, convert(a))
	}
	s.index()
	return s
}

func (s *Schema) index() {
	s.byName = make(map[string]*Attribute, len(s.Attributes))
	for _, a := range s.Attributes {
		s.byName[strings.ToLower(a.Name)] = a
	}
}

func convert(a escim.CoreAttribute) *Attribute {
	out := &Attribute{
		Name:            a.Name(),
		Type:            Type(a.AttributeType()),
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
	out.indexSubs()
	return out
}

func (a *Attribute) indexSubs() {
	if len(a.SubAttributes) == 0 {
		return
	}
	a.sub = make(map[string]*Attribute, len(a.SubAttributes))
	for _, s := range a.SubAttributes {
		a.sub[strings.ToLower(s.Name)] = s
	}
}

var (
	commonAttrs = func() map[string]*Attribute {
		m := map[string]*Attribute{}
		for _, a := range escim.CommonAttributes() {
			c := convert(a)
			if c.Name == "schemas" {
				continue
			}
			m[strings.ToLower(c.Name)] = c
		}
		// The server assigns meta.version; RFC 7643 lists it as readOnly.
		return m
	}()
)

// Common returns the common attribute (id, externalId, meta) with the given
// name, matched case-insensitively, or nil.
func Common(name string) *Attribute { return commonAttrs[strings.ToLower(name)] }

// CoreUser returns the RFC 7643 core User schema.
func CoreUser() *Schema { return FromElimity(escim.CoreUserSchema()) }

// CoreGroup returns the RFC 7643 core Group schema.
func CoreGroup() *Schema { return FromElimity(escim.CoreGroupSchema()) }

// EnterpriseUser returns the RFC 7643 enterprise User extension schema.
func EnterpriseUser() *Schema { return FromElimity(escim.ExtensionEnterpriseUser()) }
