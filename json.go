package scim

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
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
		return appendUser(b, x.u, x.base), nil
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

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as with encoding/json, so the output is always valid JSON.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends the body of the JSON string s, without quotes.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript parsers.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// encodeListResponse writes a ListResponse without reflection.
func (l listResponse) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256+1024*len(l.Resources))
	b = append(b, `{"schemas":`...)
	b, _ = appendJSON(b, l.Schemas)
	b = append(b, `,"totalResults":`...)
	b = strconv.AppendInt(b, int64(l.TotalResults), 10)
	b = append(b, `,"startIndex":`...)
	b = strconv.AppendInt(b, int64(l.StartIndex), 10)
	b = append(b, `,"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(l.ItemsPerPage), 10)
	b = append(b, `,"Resources":`...)
	var err error
	if b, err = appendJSON(b, l.Resources); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}
