package schema

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var errNotComplex = errors.New("sub-attributes are allowed only on complex attributes")

var errNested = errors.New("a complex attribute may not contain complex sub-attributes (RFC 7643 section 2.3.8)")

// fault returns err naming the schema and, unless path is empty, the
// attribute path.
func (s *Schema) fault(path string, err error) error {
	if path == "" {
		return fmt.Errorf("schema %q: %w", s.ID, err)
	}
	return fmt.Errorf("schema %q: attribute %q: %w", s.ID, path, err)
}

// reserved are the common attributes of every resource (RFC 7643 section
// 3.1) and "schemas": a schema that defined one of them would shadow it.
var reserved = []string{"id", "externalId", "meta", "schemas"}

// Validate reports the first fault of the definition, naming the schema
// and the attribute path: an id that is not a URN, an attribute name that
// is empty, malformed (RFC 7643 section 2.1), reserved (id, externalId,
// meta, schemas) or used twice on one level (names are case-insensitive),
// an unknown type, mutability, returned or uniqueness, sub-attributes on an
// attribute that is not complex, a complex attribute without any or inside
// another, canonical values on a type other than string, reference types
// on a type other than reference, and Indexed on a complex attribute.
//
// A valid schema is never written to again by this package, so it may be
// read from any number of goroutines.
func (s *Schema) Validate() error {
	if s == nil {
		return errors.New("schema is nil")
	}
	if err := checkURN(s.ID); err != nil {
		return s.fault("", err)
	}
	if err := s.checkLevel(s.Attributes, "", false); err != nil {
		return err
	}
	for _, a := range s.Attributes {
		if len(a.SubAttributes) == 0 {
			continue
		}
		if a.Type != Complex {
			return s.fault(a.Name, errNotComplex)
		}
		if err := s.checkLevel(a.SubAttributes, a.Name+".", true); err != nil {
			return err
		}
		for _, sa := range a.SubAttributes {
			if sa.Type == Complex {
				return s.fault(a.Name+"."+sa.Name, errNested)
			}
			if len(sa.SubAttributes) > 0 {
				return s.fault(a.Name+"."+sa.Name, errNotComplex)
			}
		}
		a.subs.warm(a.SubAttributes)
	}
	s.attrs.warm(s.Attributes)
	return nil
}

// checkLevel checks the attributes of one level, top (prefix "") or the
// sub-attributes of one complex attribute, without descending.
func (s *Schema) checkLevel(attrs []*Attribute, prefix string, sub bool) error {
	seen := make(map[string]bool, len(attrs))
	for i, a := range attrs {
		if a == nil {
			return s.fault(prefix+"#"+strconv.Itoa(i+1), errors.New("the attribute is nil"))
		}
		path := prefix + a.Name
		if a.Name == "" {
			return s.fault(prefix+"#"+strconv.Itoa(i+1), errors.New("the name is empty"))
		}
		if !validName(a.Name) && !(sub && a.Name == "$ref") {
			return s.fault(path, errors.New(`the name must be a letter followed by letters, digits, "-" or "_" (RFC 7643 section 2.1)`))
		}
		k := strings.ToLower(a.Name)
		if seen[k] {
			return s.fault(path, errors.New("the name is used twice (names are case-insensitive)"))
		}
		seen[k] = true
		if !sub {
			for _, r := range reserved {
				if strings.EqualFold(a.Name, r) {
					return s.fault(path, fmt.Errorf("the name %q is reserved for the attribute every resource has (RFC 7643 section 3.1)", r))
				}
			}
		}
		if err := checkCharacteristics(a); err != nil {
			return s.fault(path, err)
		}
	}
	return nil
}

func checkCharacteristics(a *Attribute) error {
	switch a.Type {
	case "", String, Boolean, Decimal, Integer, DateTime, Binary, Reference, Complex:
	default:
		return fmt.Errorf("unknown type %q; use string, boolean, decimal, integer, dateTime, binary, reference or complex", a.Type)
	}
	switch a.Mutability {
	case "", ReadOnly, ReadWrite, Immutable, WriteOnly:
	default:
		return fmt.Errorf("unknown mutability %q; use readOnly, readWrite, immutable or writeOnly", a.Mutability)
	}
	switch a.Returned {
	case "", ReturnedAlways, ReturnedNever, ReturnedDefault, ReturnedRequest:
	default:
		return fmt.Errorf("unknown returned %q; use always, never, default or request", a.Returned)
	}
	switch a.Uniqueness {
	case "", UniquenessNone, UniquenessServer, UniquenessGlobal:
	default:
		return fmt.Errorf("unknown uniqueness %q; use none, server or global", a.Uniqueness)
	}
	t := typeOf(a)
	if t == Complex && len(a.SubAttributes) == 0 {
		return errors.New("a complex attribute needs sub-attributes")
	}
	if len(a.CanonicalValues) > 0 && t != String {
		return errors.New("canonicalValues are allowed only on string attributes")
	}
	if len(a.ReferenceTypes) > 0 && t != Reference {
		return errors.New("referenceTypes are allowed only on reference attributes")
	}
	if a.Indexed && t == Complex {
		return errors.New("indexed applies to simple attributes; mark the sub-attributes instead")
	}
	return nil
}

// validName reports whether name is an ATTRNAME of RFC 7643 section 2.1:
// ALPHA *(ALPHA / DIGIT / "-" / "_").
func validName(name string) bool {
	if name == "" || !isAlpha(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// checkURN accepts the assigned-name of RFC 8141 section 2:
// "urn:" NID ":" NSS, where NID is 2 to 32 letters, digits and inner
// hyphens and NSS is one or more pchar or "/" (not starting with "/"),
// without the optional ?+, ?= and # components, which no schema id needs.
func checkURN(id string) error {
	if id == "" {
		return errors.New(`the id is empty; use a URN such as "urn:ietf:params:scim:schemas:extension:acme:2.0:User"`)
	}
	bad := fmt.Errorf(`the id is not a URN: want "urn:" NID ":" NSS (RFC 8141), such as "urn:ietf:params:scim:schemas:extension:acme:2.0:User"`)
	if len(id) < 4 || !strings.EqualFold(id[:4], "urn:") {
		return bad
	}
	nid, nss, ok := strings.Cut(id[4:], ":")
	if !ok || len(nid) < 2 || len(nid) > 32 || nid[0] == '-' || nid[len(nid)-1] == '-' {
		return bad
	}
	for i := 0; i < len(nid); i++ {
		if c := nid[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
			return bad
		}
	}
	if nss == "" || nss[0] == '/' {
		return bad
	}
	for i := 0; i < len(nss); i++ {
		switch c := nss[i]; {
		case isAlpha(c) || isDigit(c) || strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0:
		case c == '%' && i+2 < len(nss) && isHex(nss[i+1]) && isHex(nss[i+2]):
			i += 2
		default:
			return bad
		}
	}
	return nil
}

// reservedEndpoints are the paths RFC 7644 section 3.2 gives the protocol
// itself.
var reservedEndpoints = []string{"/Schemas", "/ResourceTypes", "/ServiceProviderConfig", "/Bulk", "/Me", "/.search"}

// Validate reports the first fault of the resource type: an empty Name, an
// Endpoint that is not "/" and one path segment (like "/Devices") or is
// one of the protocol's own (/Schemas, /Bulk, /Me, ...), a missing or
// invalid core schema, and extensions that are missing, invalid, listed
// twice or the core schema again. The error names the resource type, the
// schema and the attribute.
func (rt *ResourceType) Validate() error {
	if rt == nil {
		return errors.New("resource type is nil")
	}
	fault := func(format string, args ...any) error {
		return fmt.Errorf("resource type %q: %w", rt.Name, fmt.Errorf(format, args...))
	}
	if rt.Name == "" {
		return fmt.Errorf("resource type with endpoint %q: the name is empty; name it, e.g. \"Device\"", rt.Endpoint)
	}
	if err := checkEndpoint(rt.Endpoint); err != nil {
		return fault("%w", err)
	}
	if rt.Schema == nil {
		return fault("the core schema is nil")
	}
	if err := rt.Schema.Validate(); err != nil {
		return fault("%w", err)
	}
	for i, e := range rt.Extensions {
		if e.Schema == nil {
			return fault("extension %d has no schema", i+1)
		}
		if strings.EqualFold(e.Schema.ID, rt.Schema.ID) {
			return fault("extension %q is the core schema", e.Schema.ID)
		}
		for _, p := range rt.Extensions[:i] {
			if p.Schema != nil && strings.EqualFold(p.Schema.ID, e.Schema.ID) {
				return fault("extension %q is listed twice", e.Schema.ID)
			}
		}
		if err := e.Schema.Validate(); err != nil {
			return fault("%w", err)
		}
	}
	return nil
}

func checkEndpoint(ep string) error {
	seg, ok := strings.CutPrefix(ep, "/")
	ok = ok && seg != ""
	for i := 0; ok && i < len(seg); i++ {
		c := seg[i]
		ok = isAlpha(c) || isDigit(c) || strings.IndexByte("-._~", c) >= 0
	}
	if !ok {
		return fmt.Errorf("endpoint %q is not \"/\" and one path segment, like \"/Devices\"", ep)
	}
	for _, r := range reservedEndpoints {
		if strings.EqualFold(ep, r) {
			return fmt.Errorf("endpoint %q is the protocol's own (RFC 7644 section 3.2)", ep)
		}
	}
	return nil
}
