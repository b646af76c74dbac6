package scim

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/scimkit/scim/internal/jsonx"
)

// Responses are written by a small encoder for JSON-form documents rather
// than by encoding/json's reflection: every read goes through it, and it
// also fixes a readable key order. Anything it does not know falls back to
// encoding/json.

// orderedDoc is a document encoded with schemas, id and externalId first
// and meta last; JSON object order has no meaning, but people read these.
type orderedDoc map[string]any

// MarshalJSON implements json.Marshaler.
func (d orderedDoc) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, map[string]any(d))
}

func keyRank(k string) int {
	switch k {
	case "schemas":
		return 0
	case "id":
		return 1
	case "externalId":
		return 2
	case "meta":
		return 4
	}
	return 3
}

func compareKeys(a, b string) int {
	if ra, rb := keyRank(a), keyRank(b); ra != rb {
		return ra - rb
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// appendJSON appends the JSON encoding of v. Documents are bounded in
// depth by the request limits and the schema, so recursion is safe.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendString(b, x), nil
	case json.Number:
		if x == "" {
			return append(b, '0'), nil
		}
		return append(b, x...), nil
	case map[string]any:
		return appendObject(b, x)
	case orderedDoc:
		return appendObject(b, x)
	case userOut:
		return appendUser(b, x.u, x.base, x.exts), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

func appendObject(b []byte, m map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// Short names for the escaper this package shares with the simulator.
func appendString(b []byte, s string) []byte  { return jsonx.AppendString(b, s) }
func appendEscaped(b []byte, s string) []byte { return jsonx.AppendEscaped(b, s) }

// encodeListResponse writes a ListResponse without reflection.
func (l listResponse) MarshalJSON() ([]byte, error) {
	return l.appendJSON(make([]byte, 0, 256+1024*len(l.Resources)))
}

// appendJSON appends the ListResponse to b.
func (l listResponse) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"schemas":`...)
	b, _ = appendJSON(b, l.Schemas)
	b = append(b, `,"totalResults":`...)
	b = strconv.AppendInt(b, int64(l.TotalResults), 10)
	if !l.cursor {
		b = append(b, `,"startIndex":`...)
		b = strconv.AppendInt(b, int64(l.StartIndex), 10)
	}
	b = append(b, `,"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(l.ItemsPerPage), 10)
	if l.NextCursor != "" {
		b = append(b, `,"nextCursor":`...)
		b = appendString(b, l.NextCursor)
	}
	b = append(b, `,"Resources":`...)
	var err error
	if b, err = appendJSON(b, l.Resources); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}
