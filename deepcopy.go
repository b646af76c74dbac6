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
			if strings.HasPrefix(strings.ToLower(k), "urn:") {
				pruneEmpty(x)
			}
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
}
