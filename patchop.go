package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
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
