package schema

import (
	"strings"
)

// Extension is a schema extension attached to a resource type.
type Extension struct {
	Schema   *Schema
	Required bool
}

// ResourceType binds a core schema and its extensions under an endpoint
// (RFC 7643 section 6).
type ResourceType struct {
	ID          string // also the name, e.g. "User"
	Name        string
	Endpoint    string // e.g. "/Users"
	Description string
	Schema      *Schema
	Extensions  []Extension
}

// PreRFCEnterpriseURN is the enterprise extension's URN of the SCIM 2.0
// drafts, under which OneLogin's "SCIM v2 Enterprise" templates send
// department, division, manager and the like.
const PreRFCEnterpriseURN = "urn:scim:schemas:extension:enterprise:2.0"

// Extension returns the extension schema with the given URN, matched
// case-insensitively, or nil. PreRFCEnterpriseURN names the enterprise
// extension (EnterpriseUserURN) when rt has it, so that what OneLogin
// sends under it is kept rather than ignored as an unknown URN.
func (rt *ResourceType) Extension(urn string) *Schema {
	for _, e := range rt.Extensions {
		if strings.EqualFold(e.Schema.ID, urn) {
			return e.Schema
		}
	}
	if strings.EqualFold(urn, PreRFCEnterpriseURN) {
		return rt.Extension(EnterpriseUserURN)
	}
	return nil
}

// SchemaFor returns the core schema or the extension with the given URN,
// matched case-insensitively, or nil.
func (rt *ResourceType) SchemaFor(urn string) *Schema {
	if strings.EqualFold(rt.Schema.ID, urn) {
		return rt.Schema
	}
	return rt.Extension(urn)
}

// Path is an attribute path resolved against a resource type. Names are in
// their canonical case.
type Path struct {
	// Schema is the schema the attribute belongs to. For common attributes
	// (id, externalId, meta) it is the core schema.
	Schema *Schema
	// Extension is true when the attribute lives in an extension, and so in
	// the resource JSON under the extension's URN key.
	Extension bool
	// Attr is the top-level attribute, or nil when the path names a whole
	// extension (e.g. "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").
	Attr *Attribute
	// Sub is the sub-attribute, or nil.
	Sub *Attribute
}

// Target returns the innermost attribute the path names.
func (p Path) Target() *Attribute {
	if p.Sub != nil {
		return p.Sub
	}
	return p.Attr
}

// String returns the canonical, fully qualified form for extension
// attributes and the short form for core ones.
func (p Path) String() string {
	var b strings.Builder
	if p.Extension {
		b.WriteString(p.Schema.ID)
		if p.Attr != nil {
			b.WriteByte(':')
		}
	}
	if p.Attr != nil {
		b.WriteString(p.Attr.Name)
	}
	if p.Sub != nil {
		b.WriteByte('.')
		b.WriteString(p.Sub.Name)
	}
	return b.String()
}

// Resolve looks up an attribute path given as an optional schema URI, an
// attribute name and an optional sub-attribute name, all matched
// case-insensitively. It also accepts two legacy forms Entra has sent: an
// extension attribute joined with '.' instead of ':'
// ("urn:...:enterprise:2.0:User.department", which a parser splits as URI
// "urn:...:enterprise:2.0", name "User", sub "department"), and a path that is
// just an extension URN. The boolean is false when nothing matches.
func (rt *ResourceType) Resolve(uri, name, sub string) (Path, bool) {
	if uri != "" {
		if s := rt.SchemaFor(uri); s != nil {
			return rt.resolveIn(s, name, sub)
		}
		// The URI may end one segment later: "urn:...:2.0" + "User" + sub.
		if s := rt.SchemaFor(uri + ":" + name); s != nil {
			if sub == "" {
				if s == rt.Schema {
					return Path{}, false
				}
				return Path{Schema: s, Extension: true}, true
			}
			name, sub, _ = strings.Cut(sub, ".")
			return rt.resolveIn(s, name, sub)
		}
		return Path{}, false
	}
	return rt.resolveIn(rt.Schema, name, sub)
}

func (rt *ResourceType) resolveIn(s *Schema, name, sub string) (Path, bool) {
	p := Path{Schema: s, Extension: s != rt.Schema}
	p.Attr = s.Attr(name)
	if p.Attr == nil && !p.Extension {
		p.Attr = Common(name)
	}
	if p.Attr == nil {
		return Path{}, false
	}
	if sub != "" {
		p.Sub = p.Attr.Sub(sub)
		if p.Sub == nil {
			return Path{}, false
		}
	}
	return p, true
}

// User returns the built-in User resource type: the core User schema with
// the enterprise extension.
func User() *ResourceType {
	return &ResourceType{
		ID: "User", Name: "User", Endpoint: "/Users", Description: "User Account",
		Schema:     CoreUser(),
		Extensions: []Extension{{Schema: EnterpriseUser()}},
	}
}

// Group returns the built-in Group resource type.
func Group() *ResourceType {
	return &ResourceType{
		ID: "Group", Name: "Group", Endpoint: "/Groups", Description: "Group",
		Schema: CoreGroup(),
	}
}
