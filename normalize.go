package scim

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scimkit/scim/schema"
)

// maxStringBytes bounds every string value a client sends, so one
// attribute cannot pin megabytes in a store row or an index.
const maxStringBytes = 64 << 10

// normalize turns a decoded request body (encoding/json with UseNumber) for
// a resource of type rt into the canonical doc.
//
// Every key is resolved through rt, never by walking arbitrary keys: names
// take their canonical case, extension attributes go under the extension's
// URN (whose key may come in any case), and anything the schema does not
// know is ignored, unknown schema URNs included (Entra sends a Microsoft
// schema URI on group POST, OneLogin urn:scim:schemas:core:1.0). "schemas"
// is checked (checkSchemas) and dropped because the server writes its
// own. readOnly attributes (id, meta, groups, manager.displayName) are
// dropped silently, as RFC 7644 section 3.3 allows. "password" is accepted and dropped: the library never
// stores a password, so a SCIM client cannot plant a credential (Okta sends
// a placeholder even when password sync is off).
//
// null and "" mean absent, as do empty lists and objects (RFC 7643 section
// 2.5). Values are checked against their attribute's type, with a few
// bounded dialect fixes: "True"/"False" in any case where the schema says
// boolean; a legacy [{"value":x}] or [{"$ref":null,"value":x}] for a
// single-valued simple attribute is x; a one-element list of objects for a
// single-valued complex attribute is that object; a bare string for a
// single-valued complex attribute with a "value" sub-attribute (the
// enterprise manager) is {"value": string}; and a single object where a
// multi-valued complex attribute is expected is a one-element list.
// Anything else of the wrong JSON type is a 400 invalidValue naming the
// attribute. Two keys that name the same attribute in different case are a
// 400 invalidSyntax: names are case-insensitive (RFC 7643 section 2.1), and
// picking one would silently drop the other.
//
// The result may hold the body's own objects and lists where they are
// already canonical, to spare the copies: callers hand normalize values
// they own (a parsed body, a PATCH operation's copied value) and edit
// only the result.
func normalize(rt *schema.ResourceType, body map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(body))
	var seenBuf [32]string
	var keyBuf [32]string
	seen := seenBuf[:0]
	for _, k := range appendSortedKeys(keyBuf[:0], body) {
		v := body[k]
		if strings.EqualFold(k, "schemas") {
			if err := checkSchemas(rt, v); err != nil {
				return nil, err
			}
			continue
		}
		if ext := rt.Extension(k); ext != nil {
			if slices.Contains(seen, ext.ID) {
				return nil, errDuplicate(ext.ID)
			}
			seen = append(seen, ext.ID)
			m, err := normExtension(ext, v)
			if err != nil {
				return nil, err
			}
			if m != nil {
				out[ext.ID] = m
			}
			continue
		}
		a := coreAttr(rt, k)
		if a == nil {
			continue // lenient: unknown attributes are ignored
		}
		if slices.Contains(seen, a.Name) {
			return nil, errDuplicate(a.Name)
		}
		seen = append(seen, a.Name)
		if a.Mutability == schema.ReadOnly || isPassword(rt, a) {
			continue
		}
		nv, err := normValueAt(a, attrPath{attr: a.Name, strict: strictFor(rt, nil)}, v)
		if err != nil {
			return nil, err
		}
		if nv != nil {
			out[a.Name] = nv
		}
	}
	return out, nil
}

// coreSchemaPrefix is the namespace of RFC 7643's core resource schemas.
const coreSchemaPrefix = "urn:ietf:params:scim:schemas:core:2.0:"

// checkSchemas checks a request body's "schemas" for a resource of type
// rt: null or a list of strings, none of which names a core schema of RFC
// 7643 other than rt's (a Group body sent to /Users is a client bug that
// must not be stored as a user): 400 invalidSyntax, as for a body of the
// wrong form. Unknown and legacy URNs stay accepted (OneLogin sends
// urn:scim:schemas:core:2.0, Entra a Microsoft URI on groups), and so
// does a body without schemas.
func checkSchemas(rt *schema.ResourceType, v any) error {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		return Errorf(InvalidSyntax, "\"schemas\" must be a list of schema URNs.")
	}
	for _, e := range l {
		u, ok := e.(string)
		if !ok {
			return Errorf(InvalidSyntax, "\"schemas\" must be a list of schema URNs.")
		}
		if len(u) > len(coreSchemaPrefix) && strings.EqualFold(u[:len(coreSchemaPrefix)], coreSchemaPrefix) && !strings.EqualFold(u, rt.Schema.ID) {
			return Errorf(InvalidSyntax, "\"schemas\" names the core schema of another resource type; a %s is %q.", rt.Name, rt.Schema.ID)
		}
	}
	return nil
}

// strictFor reports whether the canonical values of the attributes of
// ext, or of rt's core schema when ext is nil, bind: those of a host's
// schemas do, while those of RFC 7643's core and enterprise schemas are
// the RFC's suggestions, and identity providers send others ("Other",
// "pager") that must not be refused.
func strictFor(rt *schema.ResourceType, ext *schema.Schema) bool {
	if ext != nil {
		return ext.ID != schema.EnterpriseUserURN
	}
	return rt.Schema.ID != schema.UserURN && rt.Schema.ID != schema.GroupURN
}

// coreAttr resolves an un-prefixed top-level name: an attribute of rt's
// core schema or a common attribute (id, externalId, meta).
func coreAttr(rt *schema.ResourceType, name string) *schema.Attribute {
	if a := rt.Schema.Attr(name); a != nil {
		return a
	}
	return schema.Common(name)
}

// isPassword reports whether a is the core User password, which the
// library accepts on input and never stores.
func isPassword(rt *schema.ResourceType, a *schema.Attribute) bool {
	return a.Name == "password" && a.Mutability == schema.WriteOnly && rt.Schema.Attr("password") == a
}

// normExtension normalises the object under an extension's URN key.
func normExtension(ext *schema.Schema, v any) (map[string]any, error) {
	if isNull(v) {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(InvalidValue, "%q must be an object of extension attributes.", ext.ID)
	}
	out := make(map[string]any, len(m))
	var seenBuf, keyBuf [16]string
	seen := seenBuf[:0]
	for _, k := range appendSortedKeys(keyBuf[:0], m) {
		a := ext.Attr(k)
		if a == nil {
			continue
		}
		name := attrPath{ext: ext.ID, attr: a.Name, strict: strictFor(nil, ext)}
		if slices.Contains(seen, a.Name) {
			return nil, errDuplicate(name.String())
		}
		seen = append(seen, a.Name)
		if a.Mutability == schema.ReadOnly {
			continue
		}
		nv, err := normValueAt(a, name, m[k])
		if err != nil {
			return nil, err
		}
		if nv != nil {
			out[a.Name] = nv
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// isNull reports whether a client value means "no value": null or "".
func isNull(v any) bool {
	return v == nil || v == ""
}

// normValue normalises the value v of attribute a (top-level or
// sub-attribute); name is a's path for error messages. It returns nil when
// v means absent. Recursion follows the schema, so its depth is bounded by
// the schema whatever the input.
func normValue(a *schema.Attribute, name string, v any) (any, error) {
	return normValueAt(a, attrPath{attr: name}, v)
}

// attrPath is an attribute's path for error messages, [ext ":"] attr
// ["." sub], joined only when a message needs it: most values are fine.
// strict says the attribute's canonical values bind (see strictFor).
type attrPath struct {
	ext, attr, sub string
	strict         bool
}

func (p attrPath) String() string {
	s := p.attr
	if p.ext != "" {
		s = p.ext + ":" + s
	}
	if p.sub != "" {
		s += "." + p.sub
	}
	return s
}

// child is the path of p's sub-attribute name.
func (p attrPath) child(name string) attrPath {
	if p.sub != "" { // deeper than SCIM's two levels: join now
		return attrPath{attr: p.String(), sub: name, strict: p.strict}
	}
	p.sub = name
	return p
}

// normValueAt is normValue with a lazily joined path.
func normValueAt(a *schema.Attribute, name attrPath, v any) (any, error) {
	if isNull(v) {
		return nil, nil
	}
	if a.MultiValued {
		return normMulti(a, name, v)
	}
	if l, ok := v.([]any); ok {
		var err error
		if v, err = unwrapSingle(a, name, l); err != nil || isNull(v) {
			return nil, err
		}
	}
	if a.Type == schema.Complex {
		if s, ok := v.(string); ok && a.Sub("value") != nil {
			v = map[string]any{"value": s}
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errType(name.String(), "an object")
		}
		obj, err := normComplex(a, name, m)
		if err != nil || len(obj) == 0 {
			return nil, err
		}
		return obj, nil
	}
	return normSimple(a, name, v)
}

// unwrapSingle handles a list given for a single-valued attribute: the
// legacy Entra wrapper [{"value":x}] (with an optional "$ref", usually null)
// for a simple attribute, and [{...}] for a complex one (the manager as
// [{"$ref":..,"value":id}], and [] as the empty form of that legacy list,
// the manager cleared). Anything else, an empty list for any other
// attribute included, is an error: a list is the wrong shape, and taking
// [] as absent would drop what the client may have meant as a value.
func unwrapSingle(a *schema.Attribute, name attrPath, l []any) (any, error) {
	switch len(l) {
	case 0:
		if a.Type == schema.Complex && a.Sub("value") != nil {
			return nil, nil
		}
		return nil, errType(name.String(), "a single value, not a list")
	case 1:
	default:
		return nil, errType(name.String(), "a single value, not a list")
	}
	m, ok := l[0].(map[string]any)
	if !ok {
		return nil, errType(name.String(), "a single value, not a list")
	}
	if a.Type == schema.Complex {
		return m, nil
	}
	var val any
	have := false
	for k, x := range m {
		switch strings.ToLower(k) {
		case "value":
			if have {
				return nil, errDuplicate(name.child("value").String())
			}
			val, have = x, true
		case "$ref":
			if _, ok := x.(string); x != nil && !ok {
				return nil, errType(name.String(), "a single value, not a list")
			}
		default:
			return nil, errType(name.String(), "a single value, not a list")
		}
	}
	return val, nil
}

// normMulti normalises a multi-valued attribute into a list without null
// or empty elements; nil when nothing is left.
func normMulti(a *schema.Attribute, name attrPath, v any) (any, error) {
	var l []any
	switch x := v.(type) {
	case []any:
		l = x
	case map[string]any:
		if a.Type != schema.Complex {
			return nil, errType(name.String(), "a list")
		}
		// Lenient: one object where a list of objects is expected is a
		// one-element list; it cannot mean anything else.
		l = []any{x}
	default:
		if a.Type == schema.Complex {
			return nil, errType(name.String(), "a list of objects")
		}
		return nil, errType(name.String(), "a list")
	}
	// out stays nil while every element is kept as it came: then l itself
	// is the result, with no copy.
	var out []any
	for i, e := range l {
		var ne any
		same := false
		switch {
		case isNull(e):
		case a.Type == schema.Complex:
			obj, err := normElementAt(a, name, e)
			if err != nil {
				return nil, err
			}
			if len(obj) > 0 {
				ne, same = obj, sameMap(obj, e)
			}
		default:
			if _, ok := e.([]any); ok {
				return nil, errType(name.String(), "a list of single values")
			}
			var err error
			if ne, err = normSimple(a, name, e); err != nil {
				return nil, err
			}
			same = ne != nil && sameValue(ne, e)
		}
		if out == nil {
			if same {
				continue
			}
			out = make([]any, i, len(l))
			copy(out, l[:i])
		}
		if ne != nil {
			out = append(out, ne)
		}
	}
	switch {
	case out == nil && len(l) > 0:
		return l, nil
	case len(out) == 0:
		return nil, nil
	}
	return out, nil
}

// sameMap reports whether obj is the object e, not a copy.
func sameMap(obj map[string]any, e any) bool {
	m, ok := e.(map[string]any)
	return ok && reflect.ValueOf(m).UnsafePointer() == reflect.ValueOf(obj).UnsafePointer()
}

// normElement normalises one element of a multi-valued complex attribute.
// The result may be empty.
func normElement(a *schema.Attribute, name string, e any) (map[string]any, error) {
	return normElementAt(a, attrPath{attr: name}, e)
}

func normElementAt(a *schema.Attribute, name attrPath, e any) (map[string]any, error) {
	m, ok := e.(map[string]any)
	if !ok {
		return nil, errType(name.String(), "a list of objects")
	}
	return normComplex(a, name, m)
}

// normComplex normalises the sub-attributes of a complex value. Unknown
// sub-attributes are ignored and readOnly ones dropped; a value nested
// deeper than the schema allows fails its sub-attribute's type check.
func normComplex(a *schema.Attribute, name attrPath, m map[string]any) (map[string]any, error) {
	// out stays nil while every member is kept as it came (canonical
	// name, value unchanged): then m itself is the result, with no copy.
	var out map[string]any
	var seenBuf, keyBuf [16]string
	seen := seenBuf[:0]
	keys := appendSortedKeys(keyBuf[:0], m)
	for i, k := range keys {
		s := a.Sub(k)
		var nv any
		if s != nil {
			sname := name.child(s.Name)
			if slices.Contains(seen, s.Name) {
				return nil, errDuplicate(sname.String())
			}
			seen = append(seen, s.Name)
			if s.Mutability != schema.ReadOnly {
				var err error
				if nv, err = normValueAt(s, sname, m[k]); err != nil {
					return nil, err
				}
				if notPrimary(a, s, nv) {
					nv = nil
				}
			}
		}
		if out == nil {
			if nv != nil && s.Name == k && sameValue(nv, m[k]) {
				continue
			}
			out = make(map[string]any, len(m))
			for _, kept := range keys[:i] {
				out[kept] = m[kept]
			}
		}
		if nv != nil {
			out[s.Name] = nv
		}
	}
	if out == nil {
		return m, nil
	}
	return out, nil
}

// notPrimary reports whether v is a false primary flag of an element of
// the multi-valued attribute a: absent means the same (RFC 7643 section
// 2.4), and absent is the one canonical form, the one the typed models
// keep, so that every handler sees and answers the same.
func notPrimary(a, sub *schema.Attribute, v any) bool {
	return v == false && a.MultiValued && sub.Name == "primary"
}

// normSimple checks a value of a simple type, returning it in canonical
// form (numbers as json.Number) or nil for "".
func normSimple(a *schema.Attribute, name attrPath, v any) (any, error) {
	switch a.Type {
	case schema.Boolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			// Entra's legacy PATCH and Microsoft's own tests send
			// "True"/"False"; accepted only where the schema says boolean.
			if strings.EqualFold(x, "true") {
				return true, nil
			}
			if strings.EqualFold(x, "false") {
				return false, nil
			}
		}
		return nil, errType(name.String(), "a boolean")
	case schema.Integer:
		n, ok := toNumber(v)
		if !ok {
			return nil, errType(name.String(), "an integer")
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			return nil, errType(name.String(), "an integer")
		}
		return n, nil
	case schema.Decimal:
		n, ok := toNumber(v)
		if !ok {
			return nil, errType(name.String(), "a number")
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errType(name.String(), "a number")
		}
		return n, nil
	}
	// string, reference, binary, dateTime, and types of custom schemas
	s, ok := v.(string)
	if !ok {
		return nil, errType(name.String(), "a string")
	}
	if s == "" {
		return nil, nil
	}
	if err := checkString(a, name, s); err != nil {
		return nil, err
	}
	if name.strict && len(a.CanonicalValues) > 0 && !slices.ContainsFunc(a.CanonicalValues, func(c string) bool {
		return c == s || !a.CaseExact && strings.EqualFold(c, s)
	}) {
		return nil, Errorf(InvalidValue, "Attribute %q must be one of %s.", name.String(), quoteList(a.CanonicalValues))
	}
	switch a.Type {
	case schema.DateTime:
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, errType(name.String(), "an RFC 3339 date-time")
		}
	case schema.Binary:
		if !isBase64(s) {
			return nil, errType(name.String(), "base64-encoded")
		}
	}
	return v, nil // the string already boxed, not a new interface value
}

// checkString enforces the limits every stored string meets: bounded
// length, valid UTF-8, no NUL (which PostgreSQL text cannot hold), and no
// control characters at all in identifiers the server keeps unique
// (userName), where they only serve to spoof.
func checkString(a *schema.Attribute, name attrPath, s string) error {
	if len(s) > maxStringBytes {
		return Errorf(InvalidValue, "Attribute %q is longer than %d bytes.", name.String(), maxStringBytes)
	}
	if !utf8.ValidString(s) {
		return Errorf(InvalidValue, "Attribute %q is not valid UTF-8.", name.String())
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(InvalidValue, "Attribute %q contains a NUL character.", name.String())
	}
	if a.Uniqueness == "server" || a.Uniqueness == "global" {
		if strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return Errorf(InvalidValue, "Attribute %q contains control characters.", name.String())
		}
	}
	return nil
}

// quoteList quotes and joins a short list of values for a message.
func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// isBase64 reports whether s is standard base64, padded or not; line
// breaks (as in PEM bodies) are allowed.
func isBase64(s string) bool {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if _, err := base64.StdEncoding.DecodeString(s); err == nil {
		return true
	}
	_, err := base64.RawStdEncoding.DecodeString(s)
	return err == nil
}

// toNumber returns a JSON number as a json.Number, also accepting the Go
// numbers of a body decoded without UseNumber.
func toNumber(v any) (json.Number, bool) {
	switch x := v.(type) {
	case json.Number:
		return x, true
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "", false
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), true
	case int:
		return json.Number(strconv.Itoa(x)), true
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), true
	}
	return "", false
}

func errType(name, want string) *Error {
	return Errorf(InvalidValue, "Attribute %q must be %s.", name, want)
}

func errDuplicate(name string) *Error {
	return Errorf(InvalidSyntax, "Attribute %q is given more than once (attribute names are case-insensitive).", name)
}

func sortedKeys[V any](m map[string]V) []string {
	return appendSortedKeys(make([]string, 0, len(m)), m)
}

// appendSortedKeys appends m's keys to the empty dst, sorted; given an array
// on the caller's stack, the hot paths allocate nothing for the keys.
func appendSortedKeys[V any](dst []string, m map[string]V) []string {
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst)
	return dst
}
