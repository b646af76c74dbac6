package schema

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/scimkit/scim/internal/jsonx"
)

// MaxParseBytes is the largest input Parse reads. The core User schema is
// about 20 KB in its JSON form.
const MaxParseBytes = 1 << 20

// maxParseDepth bounds the nesting of Parse's input before anything
// recurses: a ListResponse holds schemas, their attributes, sub-attributes
// and their lists (8 levels); the margin lets a sub-attribute that is itself
// complex be read, so that Validate can name it.
const maxParseDepth = 12

var parseJSON = jsonx.Options{MaxDepth: maxParseDepth, RejectDuplicateKeys: true}

// Parse reads schema definitions in their RFC 7643 section 7 JSON form:
// one Schema object, a JSON array of them, or a ListResponse of them (what
// GET /Schemas returns). Member names are matched case-insensitively, as
// SCIM attribute names are; a name Parse does not know is an error (a
// misspelt "requred" must not pass silently), except that "schemas" and
// "meta" of a Schema object are ignored.
//
// Characteristics left out take the defaults of RFC 7643 sections 2.2 and
// 7: type string, multiValued, required and caseExact false, mutability
// readWrite, returned default, uniqueness none. The values of type,
// mutability, returned and uniqueness are matched case-insensitively and
// stored in the spelling of this package's constants. Parse also reads
// scimkit's own boolean "indexed" (see Attribute.Indexed).
//
// Each schema is checked with Validate, and the ids must differ. Errors
// name the schema and the attribute. Input over MaxParseBytes is refused
// unread, and input nested deeper than a schema can be is refused by a
// decoder that counts depth before it descends.
func Parse(data []byte) ([]*Schema, error) {
	if len(data) > MaxParseBytes {
		return nil, fmt.Errorf("schema JSON: %d bytes, over the limit of %d", len(data), MaxParseBytes)
	}
	v, err := jsonx.Parse(data, parseJSON)
	if err != nil {
		if errors.Is(err, jsonx.ErrTooDeep) {
			return nil, fmt.Errorf("schema JSON: nested deeper than any schema definition (%d levels)", maxParseDepth)
		}
		return nil, fmt.Errorf("schema JSON: %w", err)
	}
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case map[string]any:
		list = []any{x}
		if _, ok := lookupFold(x, "Resources"); ok {
			m, err := members(x, listKeys)
			if err != nil {
				return nil, fmt.Errorf("schema JSON: ListResponse: %w", err)
			}
			if list, ok = m["resources"].([]any); !ok {
				return nil, errors.New(`schema JSON: "Resources" of a ListResponse must be an array of Schema objects`)
			}
		}
	default:
		return nil, errors.New("schema JSON: want a Schema object, an array of them or a ListResponse")
	}
	out := make([]*Schema, 0, len(list))
	for i, e := range list {
		s, err := parseSchema(e, i)
		if err != nil {
			return nil, err
		}
		if err := s.Validate(); err != nil {
			return nil, err
		}
		for _, p := range out {
			if strings.EqualFold(p.ID, s.ID) {
				return nil, s.fault("", errors.New("the id is defined twice"))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// lookupFold returns the member of obj whose name equals key
// case-insensitively: the exact spelling first, then the first in sorted
// order, so that errors do not depend on map order.
func lookupFold(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if strings.EqualFold(k, key) {
			return obj[k], true
		}
	}
	return nil, false
}

var listKeys = []string{"schemas", "totalResults", "itemsPerPage", "startIndex", "Resources"}

var schemaKeys = []string{"id", "name", "description", "attributes", "schemas", "meta"}

var attributeKeys = []string{"name", "type", "multiValued", "description", "required", "canonicalValues",
	"caseExact", "mutability", "returned", "uniqueness", "referenceTypes", "subAttributes", "indexed"}

// members returns obj's members by lower-case name; a name outside known
// or given twice in different cases is an error. Names are visited in
// sorted order, so that the error does not depend on map order.
func members(obj map[string]any, known []string) (map[string]any, error) {
	m := make(map[string]any, len(obj))
	seen := make(map[string]bool, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		i := slices.IndexFunc(known, func(n string) bool { return strings.EqualFold(n, k) })
		if i < 0 {
			return nil, fmt.Errorf("unknown member %q; known are %s", k, strings.Join(known, ", "))
		}
		lk := strings.ToLower(k)
		if seen[lk] {
			return nil, fmt.Errorf("member %q is given twice, in different cases", known[i])
		}
		seen[lk] = true
		if v := obj[k]; v != nil { // null is the same as left out
			m[lk] = v
		}
	}
	return m, nil
}

func parseSchema(v any, i int) (*Schema, error) {
	label := func() string { return "#" + strconv.Itoa(i+1) }
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %s: want a Schema object", label())
	}
	if id, _ := lookupFold(obj, "id"); id != nil {
		if id, ok := id.(string); ok {
			label = func() string { return strconv.Quote(id) }
		}
	}
	m, err := members(obj, schemaKeys)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", label(), err)
	}
	s := &Schema{}
	var fe fieldErr
	s.ID = fe.str(m, "id")
	s.Name = fe.str(m, "name")
	s.Description = fe.str(m, "description")
	if fe.err != nil {
		return nil, fmt.Errorf("schema %s: %w", label(), fe.err)
	}
	attrs, ok := m["attributes"]
	if !ok {
		return nil, fmt.Errorf(`schema %s: "attributes" is missing`, label())
	}
	if s.Attributes, err = parseAttributes(attrs, ""); err != nil {
		return nil, fmt.Errorf("schema %s: %w", label(), err)
	}
	return s, nil
}

// parseAttributes reads one level of definitions; prefix is the path of
// the parent and ".", or "" at the top. Its recursion is bounded by the
// nesting bound on the input.
func parseAttributes(v any, prefix string) ([]*Attribute, error) {
	list, ok := v.([]any)
	if !ok {
		if prefix == "" {
			return nil, errors.New(`"attributes" must be an array of attribute objects`)
		}
		return nil, fmt.Errorf(`attribute %q: "subAttributes" must be an array of attribute objects`, strings.TrimSuffix(prefix, "."))
	}
	out := make([]*Attribute, 0, len(list))
	for i, e := range list {
		path := prefix + "#" + strconv.Itoa(i+1)
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("attribute %q: want an attribute object", path)
		}
		if n, _ := lookupFold(obj, "name"); n != nil {
			if n, ok := n.(string); ok && n != "" {
				path = prefix + n
			}
		}
		a, err := parseAttribute(obj, path)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func parseAttribute(obj map[string]any, path string) (*Attribute, error) {
	m, err := members(obj, attributeKeys)
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %w", path, err)
	}
	var fe fieldErr
	a := &Attribute{
		Name:            fe.str(m, "name"),
		Type:            Type(canonical(fe.str(m, "type"), String, String, Boolean, Decimal, Integer, DateTime, Binary, Reference, Complex)),
		Description:     fe.str(m, "description"),
		MultiValued:     fe.bool(m, "multiValued"),
		Required:        fe.bool(m, "required"),
		CaseExact:       fe.bool(m, "caseExact"),
		Mutability:      canonical(fe.str(m, "mutability"), ReadWrite, ReadOnly, ReadWrite, Immutable, WriteOnly),
		Returned:        canonical(fe.str(m, "returned"), ReturnedDefault, ReturnedAlways, ReturnedNever, ReturnedDefault, ReturnedRequest),
		Uniqueness:      canonical(fe.str(m, "uniqueness"), UniquenessNone, UniquenessNone, UniquenessServer, UniquenessGlobal),
		CanonicalValues: fe.strs(m, "canonicalValues"),
		ReferenceTypes:  fe.strs(m, "referenceTypes"),
		Indexed:         fe.bool(m, "indexed"),
	}
	if fe.err != nil {
		return nil, fmt.Errorf("attribute %q: %w", path, fe.err)
	}
	if subs, ok := m["subattributes"]; ok { // members' keys are lower case
		if a.SubAttributes, err = parseAttributes(subs, path+"."); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// canonical returns def for "", the constant among known that v equals
// case-insensitively, or v itself, for Validate to refuse.
func canonical[T ~string](v string, def T, known ...T) string {
	if v == "" {
		return string(def)
	}
	for _, k := range known {
		if strings.EqualFold(v, string(k)) {
			return string(k)
		}
	}
	return v
}

// fieldErr reads members by their canonical name from a members map and
// keeps the first type error.
type fieldErr struct{ err error }

func (f *fieldErr) fail(key, want string) {
	if f.err == nil {
		f.err = fmt.Errorf("%q must be %s", key, want)
	}
}

func (f *fieldErr) str(m map[string]any, key string) string {
	v, ok := m[strings.ToLower(key)]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		f.fail(key, "a string")
	}
	return s
}

func (f *fieldErr) bool(m map[string]any, key string) bool {
	v, ok := m[strings.ToLower(key)]
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		f.fail(key, "true or false")
	}
	return b
}

func (f *fieldErr) strs(m map[string]any, key string) []string {
	v, ok := m[strings.ToLower(key)]
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		f.fail(key, "an array of strings")
		return nil
	}
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok {
			f.fail(key, "an array of strings")
			return nil
		}
	}
	return out
}
