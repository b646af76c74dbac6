package scim

// JSON-form documents are maps and lists shared by reference; the PATCH
// engine and the stores copy them before changing anything.

import "strings"

// deepCopy returns a copy of the JSON-form value v sharing nothing with it.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// deepCopyMap is deepCopy for an object; nil stays nil.
func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// pruneEmpty drops attributes left without a value: null, empty lists and
// empty objects, at the top level and inside extensions.
func pruneEmpty(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case []any:
			if len(x) == 0 {
				delete(m, k)
			}
		case map[string]any:
			if isURN(k) {
				pruneEmpty(x)
			}
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
}

// hasEmpty reports whether pruneEmpty would change anything inside the
// extension object m, leaving m as it is.
func hasEmpty(m map[string]any) bool {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			return true
		case []any:
			if len(x) == 0 {
				return true
			}
		case map[string]any:
			if len(x) == 0 || (isURN(k) && hasEmpty(x)) {
				return true
			}
		}
	}
	return false
}

// isURN reports whether the key k is a schema URN (an extension's
// object), in any case.
func isURN(k string) bool {
	return len(k) >= 4 && strings.EqualFold(k[:4], "urn:")
}
