package idpsim

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/scimkit/scim/internal/jsonx"
)

// The simulator decodes every response and encodes every request body; at
// scale encoding/json's reflection and scanner cost as much CPU as the
// server under test spends. parseJSON decodes with the server's own parser,
// and appendJSON encodes obj trees.

// maxParseDepth bounds nesting, so a hostile response cannot exhaust the
// stack.
const maxParseDepth = 64

// parseJSON decodes one JSON value, with numbers as json.Number, exactly as
// encoding/json's Decoder with UseNumber would (invalid UTF-8 becomes
// U+FFFD), and rejects trailing data. A repeated key is the server's fault
// to report, not to trip on: the last one wins, as with encoding/json.
func parseJSON(b []byte) (any, error) {
	return jsonx.Parse(b, jsonx.Options{MaxDepth: maxParseDepth})
}

// appendJSON encodes v: obj, []obj, []string, []any, string, bool, nil,
// int; anything else through encoding/json.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonx.AppendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case obj:
		b = append(b, '{')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, e.k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, e.v); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []obj:
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
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, e)
		}
		return append(b, ']'), nil
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
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

var errNotObject = errors.New("body is not a JSON object")
