package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/scimkit/scim/internal/jsonx"
)

// patchOpMessageURN is the schema of a PATCH request body.
const patchOpMessageURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// MaxPatchOperations is the most operations one PATCH request may carry.
// More is a 400 invalidValue: 413 is reserved for Bulk limits (RFC 7644
// section 3.7.4), and no identity provider sends anywhere near this many.
const MaxPatchOperations = 1000

// PatchOp is one operation of a PATCH request (RFC 7644 section 3.5.2).
type PatchOp struct {
	// Op is "add", "replace" or "remove"; ParsePatch lowers its case.
	Op string `json:"op"`
	// Path is the target, or "" for the resource itself.
	Path string `json:"path,omitempty"`
	// Value is the raw JSON value, or nil when the operation has none.
	Value json.RawMessage `json:"value,omitempty"`
}

// ParsePatch decodes and checks a PATCH request body. schemas must contain
// the PatchOp message URN and "Operations" (its key, like every key of the
// body and of each operation, matched case-insensitively) must be a list:
// otherwise 400 invalidSyntax. An empty list is a valid no-op (Microsoft's
// validator sends one). op is matched case-insensitively, since Entra sends
// Add, Replace and Remove, and is returned in lower case; any other op is
// 400 invalidSyntax. More than MaxPatchOperations operations is 400
// invalidValue. A key given twice in one object, in the same or another
// case, is 400 invalidSyntax, and so is text that is not UTF-8 or a \u
// escape of an unpaired surrogate. Paths and values are checked by ApplyPatch
// when they are applied (ApplyPatch).
func ParsePatch(body []byte) ([]PatchOp, error) {
	if err := rejectDuplicateKeys(body); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, Errorf(InvalidSyntax, "The PATCH request body must be a JSON object.")
	}
	f, err := foldKeys(top, "schemas", "operations")
	if err != nil {
		return nil, err
	}
	var schemas []string
	if err := json.Unmarshal(f["schemas"], &schemas); err != nil || !slices.ContainsFunc(schemas, func(s string) bool {
		return strings.EqualFold(s, patchOpMessageURN)
	}) {
		return nil, Errorf(InvalidSyntax, "The PATCH request \"schemas\" must contain %q.", patchOpMessageURN)
	}
	rawOps := f["operations"]
	if len(rawOps) == 0 || string(rawOps) == "null" {
		return nil, Errorf(InvalidSyntax, "The PATCH request has no \"Operations\".")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(rawOps, &list); err != nil {
		return nil, Errorf(InvalidSyntax, "\"Operations\" must be a list of operations.")
	}
	if len(list) > MaxPatchOperations {
		return nil, Errorf(InvalidValue, "A PATCH request may carry at most %d operations.", MaxPatchOperations)
	}
	ops := make([]PatchOp, 0, len(list))
	for i, raw := range list {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			return nil, Errorf(InvalidSyntax, "Operation %d must be an object.", i+1)
		}
		of, err := foldKeys(m, "op", "path", "value")
		if err != nil {
			return nil, opError(i, err)
		}
		var op PatchOp
		if err := json.Unmarshal(of["op"], &op.Op); err != nil || !validOp(op.Op) {
			return nil, Errorf(InvalidSyntax, "Operation %d: \"op\" must be \"add\", \"replace\" or \"remove\".", i+1)
		}
		op.Op = strings.ToLower(op.Op)
		if p := of["path"]; len(p) > 0 && string(p) != "null" {
			if err := json.Unmarshal(p, &op.Path); err != nil {
				return nil, Errorf(InvalidSyntax, "Operation %d: \"path\" must be a string.", i+1)
			}
		}
		op.Value = of["value"]
		ops = append(ops, op)
	}
	return ops, nil
}

func validOp(op string) bool {
	return strings.EqualFold(op, "add") || strings.EqualFold(op, "replace") || strings.EqualFold(op, "remove")
}

// foldKeys picks the keys names (given in lower case) out of m, matching
// case-insensitively. The same name in two cases is 400 invalidSyntax.
func foldKeys(m map[string]json.RawMessage, names ...string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(names))
	for k, v := range m {
		lk := strings.ToLower(k)
		if !slices.Contains(names, lk) {
			continue
		}
		if _, dup := out[lk]; dup {
			return nil, Errorf(InvalidSyntax, "%q is given more than once (names are case-insensitive).", lk)
		}
		out[lk] = v
	}
	return out, nil
}

// opError prefixes the detail of a *Error with the 1-based operation
// number, so a client can tell which operation failed.
func opError(i int, err error) error {
	var se *Error
	if !errors.As(err, &se) {
		return err
	}
	c := *se
	c.Detail = fmt.Sprintf("Operation %d: %s", i+1, se.Detail)
	return &c
}

// decodeValue decodes an operation's raw value with numbers as
// json.Number; nil when there is none.
func decodeValue(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, Errorf(InvalidSyntax, "\"value\" is not valid JSON.")
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, Errorf(InvalidSyntax, "\"value\" is not valid JSON.")
	}
	return v, nil
}

// parsePatchBody is ParsePatch for the server, with the server's nesting
// bound: a body that is well formed is parsed once (jsonx), and the
// decoded value of each operation comes back beside it (vals[i] is the
// value of ops[i], numbers as json.Number) so that ApplyPatch need not
// decode it again. Any other body takes the checks it always took, for
// the same messages.
func parsePatchBody(b []byte) (ops []PatchOp, vals []any, err error) {
	if ops, vals, ok := fastParsePatch(b); ok {
		return ops, vals, nil
	}
	if jsonDepth(b) > maxJSONDepth {
		return nil, nil, errTooDeep()
	}
	ops, err = ParsePatch(b)
	return ops, nil, err
}

// fastParsePatch returns what ParsePatch returns for b, and the decoded
// values, when b is a PATCH body ParsePatch accepts; ok is false for
// anything else, and for bodies whose outcome it leaves to ParsePatch.
func fastParsePatch(b []byte) (ops []PatchOp, vals []any, ok bool) {
	v, err := jsonx.Parse(b, bodyJSON)
	top, _ := v.(map[string]any)
	if err != nil || top == nil {
		return nil, nil, false
	}
	f, n := foldedKeys(top, "schemas", "operations")
	if n["schemas"] != 1 || n["operations"] != 1 {
		return nil, nil, false
	}
	schemas, _ := f["schemas"].([]any)
	found := false
	for _, s := range schemas {
		str, isStr := s.(string)
		if !isStr {
			return nil, nil, false
		}
		found = found || strings.EqualFold(str, patchOpMessageURN)
	}
	list, isList := f["operations"].([]any)
	if !found || !isList || len(list) > MaxPatchOperations {
		return nil, nil, false
	}
	raws := rawOperationValues(b, len(list))
	if raws == nil {
		return nil, nil, false
	}
	ops, vals = make([]PatchOp, 0, len(list)), make([]any, len(list))
	for i, x := range list {
		m, _ := x.(map[string]any)
		if m == nil {
			return nil, nil, false
		}
		of, n := foldedKeys(m, "op", "path", "value")
		op, isStr := of["op"].(string)
		if n["op"] != 1 || n["path"] > 1 || n["value"] > 1 || !isStr || !validOp(op) {
			return nil, nil, false
		}
		path, isStr := of["path"].(string)
		if !isStr && of["path"] != nil {
			return nil, nil, false
		}
		po := PatchOp{Op: strings.ToLower(op), Path: path}
		if n["value"] == 1 {
			if raws[i] == nil {
				return nil, nil, false
			}
			po.Value, vals[i] = raws[i], of["value"]
		}
		ops = append(ops, po)
	}
	return ops, vals, true
}

// foldedKeys picks the keys names (in lower case) out of m, matching
// case-insensitively, and counts how many keys matched each.
func foldedKeys(m map[string]any, names ...string) (map[string]any, map[string]int) {
	out, n := make(map[string]any, len(names)), make(map[string]int, len(names))
	for k, v := range m {
		lk := strings.ToLower(k)
		if slices.Contains(names, lk) {
			out[lk] = v
			n[lk]++
		}
	}
	return out, n
}

// rawOperationValues returns, for b, a well-formed PATCH body whose
// operations list has n elements, the text of each operation's value
// (any key folding to "value"; nil when it has none), or nil if the
// body is not shaped so.
func rawOperationValues(b []byte, n int) []json.RawMessage {
	out := make([]json.RawMessage, 0, n)
	s := rawScanner{b: b}
	okTop := s.members(func(key string, val []byte) bool {
		if !strings.EqualFold(key, "operations") {
			return true
		}
		e := rawScanner{b: val}
		return e.elements(func(op []byte) bool {
			o := rawScanner{b: op}
			var value json.RawMessage
			if !o.members(func(key string, val []byte) bool {
				if strings.EqualFold(key, "value") {
					value = val
				}
				return true
			}) {
				return false
			}
			out = append(out, value)
			return true
		})
	})
	if !okTop || len(out) != n {
		return nil
	}
	return out
}

// rawScanner walks JSON text already known to be well formed, handing
// out the text of values.
type rawScanner struct {
	b []byte
	i int
}

func (s *rawScanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// value skips the value at s.i and returns its text.
func (s *rawScanner) value() []byte {
	s.ws()
	start := s.i
	if s.i >= len(s.b) {
		return nil
	}
	switch s.b[s.i] {
	case '"':
		s.skipString()
	case '{', '[':
		for depth := 0; s.i < len(s.b); {
			switch s.b[s.i] {
			case '"':
				s.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				break
			}
		}
	default: // a number, true, false or null
		for s.i < len(s.b) && !strings.ContainsRune(",}] \t\n\r:", rune(s.b[s.i])) {
			s.i++
		}
	}
	return s.b[start:s.i]
}

// skipString moves past the string at s.i.
func (s *rawScanner) skipString() {
	for s.i++; s.i < len(s.b) && s.b[s.i] != '"'; s.i++ {
		if s.b[s.i] == '\\' {
			s.i++
		}
	}
	s.i++
}

// members calls fn with each key and value text of the object at s.i
// while fn returns true; false if it is not an object or fn stopped.
func (s *rawScanner) members(fn func(key string, val []byte) bool) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	for {
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			return true
		}
		k, err := jsonx.Parse(s.value(), jsonx.Options{})
		key, isStr := k.(string)
		s.ws()
		if err != nil || !isStr || s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		if !fn(key, s.value()) {
			return false
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
		}
	}
}

// elements calls fn with the text of each element of the array at s.i
// while fn returns true; false if it is not an array or fn stopped.
func (s *rawScanner) elements(fn func(val []byte) bool) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return false
	}
	s.i++
	for {
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		if s.b[s.i] == ']' {
			return true
		}
		if !fn(s.value()) {
			return false
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
		}
	}
}
