// Package schema describes SCIM resource schemas (RFC 7643): attribute
// characteristics, the core User and Group schemas, the enterprise User
// extension, and resource types that bind a core schema to its extensions.
//
// A host defines an extension schema either as a Go value (a Schema literal
// with its Attributes; no constructor is needed) or by loading its RFC 7643
// JSON form with Parse, the form GET /Schemas returns. Validate checks a
// definition and names the attribute at fault; MarshalJSON renders the
// Schema resource of section 7.
//
// Every attribute name the filter, PATCH and projection layers meet is
// resolved through this package, case-insensitively (Schema.Attr,
// Attribute.Sub, ResourceType.Resolve). Nothing outside a registered schema
// is ever addressable.
//
// Schemas are read concurrently by every request of a server. A Schema, its
// Attributes and a ResourceType must not be changed once registered with a
// server; build a new one instead.
package schema

// URNs of the schemas this package defines.
const (
	UserURN           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// SchemaURN is the schema of a Schema resource itself (RFC 7643 section 7).
	SchemaURN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Type is an attribute's data type (RFC 7643 section 2.3). The zero value
// means String.
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

// Mutability values (RFC 7643 section 7). The zero value means ReadWrite.
const (
	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
	WriteOnly = "writeOnly"
)

// Returned values (RFC 7643 section 7). The zero value means
// ReturnedDefault.
const (
	ReturnedAlways  = "always"
	ReturnedNever   = "never"
	ReturnedDefault = "default"
	ReturnedRequest = "request"
)

// Uniqueness values (RFC 7643 section 7). The zero value means
// UniquenessNone.
const (
	UniquenessNone   = "none"
	UniquenessServer = "server"
	UniquenessGlobal = "global"
)

// Attribute is one attribute definition with its characteristics
// (RFC 7643 section 7). The zero value of each characteristic is the RFC's
// default, so a literal names only what differs: a string that is
// optional, case-insensitive, readWrite, returned by default, not unique
// and single-valued.
//
// An Attribute may be copied as a value before it is registered with a
// server; once registered it must not be changed.
type Attribute struct {
	Name        string
	Type        Type // "" means String
	Description string
	MultiValued bool
	Required    bool
	CaseExact   bool
	Mutability  string // ReadOnly, ReadWrite, Immutable, WriteOnly; "" means ReadWrite
	Returned    string // ReturnedAlways, ReturnedNever, ReturnedDefault, ReturnedRequest; "" means ReturnedDefault
	Uniqueness  string // UniquenessNone, UniquenessServer, UniquenessGlobal; "" means UniquenessNone
	// CanonicalValues lists the values a string attribute usually takes,
	// e.g. "work" and "home" for emails.type.
	CanonicalValues []string
	// ReferenceTypes lists what a reference attribute may point to: resource
	// type names such as "User", "external" or "uri".
	ReferenceTypes []string
	// SubAttributes are the parts of a Complex attribute. They may not be
	// complex themselves (RFC 7643 section 2.3.8).
	SubAttributes []*Attribute
	// Indexed is scimkit's own characteristic, not RFC 7643's: stores keep
	// an index on this attribute, so that eq filters on it (an extension
	// employeeId an identity provider matches users on) are answered from
	// the index rather than by a scan. A Uniqueness of UniquenessServer or
	// UniquenessGlobal implies an index too (see IsIndexed). MarshalJSON
	// leaves it out; Parse reads it from "indexed".
	Indexed bool

	subs index // sub-attributes by lower-case name, built on first use
}

// Sub returns the sub-attribute with the given name, matched
// case-insensitively, or nil.
func (a *Attribute) Sub(name string) *Attribute {
	if a == nil {
		return nil
	}
	return a.subs.lookup(a.SubAttributes, name)
}

// IsIndexed reports whether stores keep an index on the attribute: it is
// marked Indexed, or its values are unique (server or global), which a
// store checks through an index.
func (a *Attribute) IsIndexed() bool {
	return a.Indexed || a.Uniqueness == UniquenessServer || a.Uniqueness == UniquenessGlobal
}

// Schema is a set of attribute definitions identified by a URN
// (RFC 7643 section 7).
//
// A Schema may be copied as a value before it is registered with a server;
// once registered it must not be changed.
type Schema struct {
	ID          string // a URN, e.g. "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	Name        string
	Description string
	Attributes  []*Attribute

	attrs index // Attributes by lower-case name, built on first use
}

// Attr returns the top-level attribute with the given name, matched
// case-insensitively, or nil.
func (s *Schema) Attr(name string) *Attribute {
	if s == nil {
		return nil
	}
	return s.attrs.lookup(s.Attributes, name)
}

// typeOf returns a's type with the zero value resolved.
func typeOf(a *Attribute) Type {
	if a.Type == "" {
		return String
	}
	return a.Type
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
