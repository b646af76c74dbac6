package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/scimkit/scim/internal/jsonx"
	"github.com/scimkit/scim/schema"
)

// Extensions holds a resource's values of schema extensions a host
// registered (Config.UserExtensions, Config.GroupExtensions): for each
// extension URN, its attributes by canonical name in their JSON form
// (string, bool, json.Number, []any, map[string]any). The enterprise User
// extension is not kept here but in User.Enterprise.
//
// The server fills Extensions from requests after normalising and
// validating them against the registered schema, so a store keeps them as
// they are. Data under a URN that no registered extension names is ignored
// on input and never reaches a store.
type Extensions map[string]map[string]any

// Decode decodes the values of the extension urn (matched
// case-insensitively) into v, a pointer to the host's own struct whose JSON
// field names are the attribute names. An absent extension leaves v as it
// is and returns nil.
func (e Extensions) Decode(urn string, v any) error {
	m := e.lookup(urn)
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("scim: extension %s: %w", urn, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("scim: extension %s: %w", urn, err)
	}
	return nil
}

// Set makes v's JSON form (an object; a struct or a map) the values of the
// extension urn, replacing what was there; a nil v or one whose form is
// empty removes the extension. A store keeps what it is given: a host that
// writes through a store directly, not through the Server, is responsible
// for the values matching the schema.
func (e *Extensions) Set(urn string, v any) error {
	if !strings.HasPrefix(strings.ToLower(urn), "urn:") {
		return fmt.Errorf("scim: %q is not an extension URN", urn)
	}
	for k := range *e {
		if strings.EqualFold(k, urn) {
			delete(*e, k)
		}
	}
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("scim: extension %s: %w", urn, err)
	}
	parsed, err := jsonx.Parse(b, jsonx.Options{})
	if err != nil {
		return fmt.Errorf("scim: extension %s: %w", urn, err)
	}
	m, ok := parsed.(map[string]any)
	if !ok {
		return fmt.Errorf("scim: extension %s: the value must encode as a JSON object, not %T", urn, v)
	}
	pruneEmpty(m)
	if len(m) == 0 {
		return nil
	}
	if *e == nil {
		*e = Extensions{}
	}
	(*e)[urn] = m
	return nil
}

func (e Extensions) lookup(urn string) map[string]any {
	if m, ok := e[urn]; ok {
		return m
	}
	for k, m := range e {
		if strings.EqualFold(k, urn) {
			return m
		}
	}
	return nil
}

// Clone returns a deep copy of e; nil when e is empty.
func (e Extensions) Clone() Extensions {
	if len(e) == 0 {
		return nil
	}
	out := make(Extensions, len(e))
	for k, m := range e {
		out[k] = deepCopyMap(m)
	}
	return out
}

// putExtensions adds e's extensions to the JSON-form doc d.
func putExtensions(d map[string]any, e Extensions) {
	for k, m := range e {
		if len(m) > 0 {
			d[k] = deepCopyMap(m)
		}
	}
}

// isExtensionKey reports whether a top-level key of a JSON-form resource
// holds a host extension's values: a URN other than the typed enterprise
// extension's.
func isExtensionKey(k string) bool {
	return len(k) > 4 && strings.EqualFold(k[:4], "urn:") && !strings.EqualFold(k, schema.EnterpriseUserURN)
}

// extensionsFromDoc collects the host extensions of a JSON-form resource.
// Non-object values are a type mismatch, as for any typed attribute.
func extensionsFromDoc(r *docReader, doc map[string]any) Extensions {
	var out Extensions
	for k, v := range doc {
		if !isExtensionKey(k) {
			continue
		}
		m, ok := r.object(v)
		if !ok || len(m) == 0 {
			continue
		}
		if out == nil {
			out = Extensions{}
		}
		out[k] = deepCopyMap(m)
	}
	return out
}

// marshalWithExtensions returns the JSON object b (a resource's typed
// fields) with e's extensions appended, in URN order.
func marshalWithExtensions(b []byte, e Extensions) ([]byte, error) {
	keys := make([]string, 0, len(e))
	for k, m := range e {
		if len(m) > 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return b, nil
	}
	slices.Sort(keys)
	b = bytes.TrimRight(b, " \n")
	b = b[:len(b)-1] // the closing brace
	for _, k := range keys {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, e[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// unmarshalExtensions reads the host extensions of the JSON object b. It
// parses b a second time only when b has a URN key other than the
// enterprise extension's, so that reading the usual user costs nothing.
func unmarshalExtensions(b []byte) (Extensions, error) {
	n := countURNs(b)
	if n == 0 || n == bytes.Count(b, []byte(`"`+schema.EnterpriseUserURN+`"`)) {
		return nil, nil
	}
	v, err := jsonx.Parse(b, jsonx.Options{})
	if err != nil {
		return nil, err
	}
	doc, _ := v.(map[string]any)
	var r docReader
	e := extensionsFromDoc(&r, doc)
	return e, r.err
}

// countURNs counts the strings in the JSON b that begin with "urn:" in any
// case: every extension key does (and maybe some values).
func countURNs(b []byte) int {
	n := 0
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return n
		}
		i += j + 1
		if len(b)-i >= 4 && (b[i]|0x20) == 'u' && (b[i+1]|0x20) == 'r' && (b[i+2]|0x20) == 'n' && b[i+3] == ':' {
			n++
		}
	}
}
