// Package jsonx is a small JSON codec for the shapes SCIM traffic uses:
// Parse decodes in one bounded pass to the values encoding/json's Decoder
// with UseNumber produces, optionally refusing an object that repeats a
// key, and AppendString escapes a string as encoding/json would decode it
// back. Both exist because encoding/json's reflection and scanner cost
// more than the rest of a request's handling.
package jsonx

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Kinds of parse error; an *Error wraps exactly one of them.
var (
	// ErrSyntax is input that is not JSON.
	ErrSyntax = errors.New("jsonx: invalid JSON")
	// ErrTooDeep is nesting beyond Options.MaxDepth.
	ErrTooDeep = errors.New("jsonx: nested too deeply")
	// ErrDuplicateKey is an object with the same key twice, when
	// Options.RejectDuplicateKeys is set.
	ErrDuplicateKey = errors.New("jsonx: duplicate key")
	// ErrTrailingData is anything but whitespace after the value, from
	// Parse only.
	ErrTrailingData = errors.New("jsonx: data after the JSON value")
	// ErrInvalidUTF8 is a string with bytes that are not UTF-8, or with a
	// \u escape of half a surrogate pair, when Options.RejectInvalidUTF8
	// is set.
	ErrInvalidUTF8 = errors.New("jsonx: invalid UTF-8")
)

// Error is a parse error at a byte offset of the input.
type Error struct {
	Offset int
	Kind   error // ErrSyntax, ErrTooDeep, ErrDuplicateKey, ErrTrailingData or ErrInvalidUTF8
	Msg    string
}

// Error returns the offset and the message.
func (e *Error) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// Unwrap returns e.Kind, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// DefaultMaxDepth is the nesting bound when Options.MaxDepth is not set:
// encoding/json's own.
const DefaultMaxDepth = 10000

// Options control Parse and ParsePrefix.
type Options struct {
	// MaxDepth is the most objects and arrays nested in one another; a
	// top-level object is depth 1. Zero or less means DefaultMaxDepth:
	// recursion is always bounded.
	MaxDepth int
	// RejectDuplicateKeys fails on an object with the same key twice
	// (byte-equal after unescaping), where encoding/json keeps the last.
	RejectDuplicateKeys bool
	// RejectInvalidUTF8 fails on a string that is not UTF-8 or that
	// escapes a lone surrogate, where encoding/json puts U+FFFD in its
	// place.
	RejectInvalidUTF8 bool
}

// Parse decodes b, which must hold exactly one JSON value with optional
// surrounding whitespace. Objects are map[string]any, arrays []any (empty,
// not nil, when []), numbers json.Number; invalid UTF-8 in strings becomes
// U+FFFD, byte by byte, as with encoding/json, unless
// Options.RejectInvalidUTF8 is set.
func Parse(b []byte, o Options) (any, error) {
	v, n, err := ParsePrefix(b, o)
	if err != nil {
		return nil, err
	}
	p := parser{b: b, i: n}
	p.ws()
	if p.i != len(b) {
		return nil, p.fail(ErrTrailingData, "data after the JSON value")
	}
	return v, nil
}

// ParsePrefix decodes the first JSON value in b, after any whitespace, and
// returns it with the number of bytes it took up to its last byte. What
// follows is not looked at, so a stream of values can be read one by one
// as encoding/json's Decoder does: a number ends where the grammar says
// ("01" is 0 then 1).
func ParsePrefix(b []byte, o Options) (any, int, error) {
	p := parser{b: b, maxDepth: o.MaxDepth, dups: o.RejectDuplicateKeys, strictUTF8: o.RejectInvalidUTF8}
	if p.maxDepth <= 0 {
		p.maxDepth = DefaultMaxDepth
	}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return nil, 0, err
	}
	return v, p.i, nil
}

// ParseString decodes the JSON string that starts at b[0], as Parse
// decodes a string value, and returns it with the number of bytes it took
// (its quotes included). What follows is not looked at.
func ParseString(b []byte, o Options) (string, int, error) {
	p := parser{b: b, strictUTF8: o.RejectInvalidUTF8}
	if len(b) == 0 || b[0] != '"' {
		return "", 0, p.syntax("expected a string")
	}
	s, err := p.str()
	if err != nil {
		return "", 0, err
	}
	return s, p.i, nil
}

type kv struct {
	k string
	v any
}

type parser struct {
	b        []byte
	i        int
	maxDepth int
	dups     bool
	// strictUTF8 refuses what encoding/json would replace by U+FFFD.
	strictUTF8 bool
	// Members and elements of the open objects and arrays, innermost
	// last: each container is built at its exact size when it closes.
	kvs  []kv
	vals []any
}

func (p *parser) fail(kind error, msg string) error {
	return &Error{Offset: p.i, Kind: kind, Msg: msg}
}

func (p *parser) badUTF8() error { return p.fail(ErrInvalidUTF8, "invalid UTF-8 in string") }

// InvalidUTF8At returns the offset of the first byte of s that is not
// UTF-8, or len(s) when s is valid.
func InvalidUTF8At(s []byte) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(s)
}

func (p *parser) syntax(format string, args ...any) error {
	return p.fail(ErrSyntax, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if p.i >= len(p.b) {
		return nil, p.syntax("unexpected end of JSON")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		if depth >= p.maxDepth {
			return nil, p.fail(ErrTooDeep, "nested too deeply")
		}
		return p.object(depth + 1)
	case c == '[':
		if depth >= p.maxDepth {
			return nil, p.fail(ErrTooDeep, "nested too deeply")
		}
		return p.array(depth + 1)
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	default:
		return nil, p.syntax("invalid character %q", c)
	}
}

func (p *parser) literal(lit string) error {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return p.syntax("invalid literal")
	}
	p.i += len(lit)
	return nil
}

// linearKeys is how many keys an object may have before duplicates are
// looked up in a set rather than by comparing with each earlier key.
const linearKeys = 16

func (p *parser) object(depth int) (map[string]any, error) {
	p.i++ // {
	start := len(p.kvs)
	defer p.popKVs(start)
	var seen map[string]struct{}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return map[string]any{}, nil
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, p.syntax("expected a string key")
		}
		at := p.i
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		// Checked before the value, as encoding/json's Decoder.Token
		// meets them: a duplicate is reported even if the value is bad.
		if p.dups && p.isDup(start, &seen, k) {
			p.i = at
			return nil, p.fail(ErrDuplicateKey, fmt.Sprintf("duplicate key %q", k))
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, p.syntax("expected ':'")
		}
		p.i++
		p.ws()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.kvs = append(p.kvs, kv{k, v})
		done, err := p.sep('}')
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
	}
	m := make(map[string]any, len(p.kvs)-start)
	for _, e := range p.kvs[start:] {
		m[e.k] = e.v // the last of equal keys wins, as in encoding/json
	}
	return m, nil
}

// sep reads what follows a member or element: a comma, or close, which
// ends the object or array.
func (p *parser) sep(close byte) (done bool, err error) {
	p.ws()
	if p.i >= len(p.b) {
		return false, p.syntax("unexpected end of JSON")
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return false, nil
	case close:
		p.i++
		return true, nil
	}
	return false, p.syntax("expected ',' or '%c'", close)
}

// isDup reports whether k is among the keys of the object whose members
// start at kvs[start], switching to the set *seen once there are many.
func (p *parser) isDup(start int, seen *map[string]struct{}, k string) bool {
	keys := p.kvs[start:]
	if len(keys) < linearKeys {
		for _, e := range keys {
			if e.k == k {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]struct{}, 2*len(keys))
		for _, e := range keys {
			(*seen)[e.k] = struct{}{}
		}
	}
	if _, ok := (*seen)[k]; ok {
		return true
	}
	(*seen)[k] = struct{}{}
	return false
}

// popKVs drops the members from start on, clearing them so the scratch
// space holds no references.
func (p *parser) popKVs(start int) {
	clear(p.kvs[start:])
	p.kvs = p.kvs[:start]
}

func (p *parser) array(depth int) ([]any, error) {
	p.i++ // [
	start := len(p.vals)
	defer func() {
		clear(p.vals[start:])
		p.vals = p.vals[:start]
	}()
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return []any{}, nil
	}
	for {
		p.ws()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.vals = append(p.vals, v)
		done, err := p.sep(']')
		if err != nil {
			return nil, err
		}
		if done {
			return append([]any(nil), p.vals[start:]...), nil
		}
	}
}

// str decodes a string; the common case (no escapes, valid UTF-8) is one
// scan and one copy.
func (p *parser) str() (string, error) {
	p.i++ // "
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if ascii || utf8.Valid(s) {
				return string(s), nil
			}
			if p.strictUTF8 {
				p.i = start + InvalidUTF8At(s)
				return "", p.badUTF8()
			}
			return string([]rune(string(s))), nil // invalid bytes become U+FFFD
		case c == '\\':
			return p.slowStr(start)
		case c < 0x20:
			return "", p.syntax("control character in string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	return "", p.syntax("unterminated string")
}

// slowStr decodes a string with escapes, from its first byte at start.
func (p *parser) slowStr(start int) (string, error) {
	out := make([]byte, 0, p.i-start+16)
	p.i = start
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c < 0x20:
			return "", p.syntax("control character in string")
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return "", p.syntax("unterminated string")
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.syntax("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					if r = p.lowSurrogate(r); r == utf8.RuneError && p.strictUTF8 {
						p.i -= 6
						return "", p.badUTF8()
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", p.syntax("invalid escape \\%c", e)
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 && p.strictUTF8 {
				return "", p.badUTF8()
			}
			out = utf8.AppendRune(out, r)
			p.i += size
		}
	}
	return "", p.syntax("unterminated string")
}

// lowSurrogate completes the surrogate hi with a following \u escape, as
// encoding/json does: a pair that does not decode leaves the second escape
// unread and gives U+FFFD. A malformed second escape is left for slowStr
// to report.
func (p *parser) lowSurrogate(hi rune) rune {
	if p.i+1 >= len(p.b) || p.b[p.i] != '\\' || p.b[p.i+1] != 'u' {
		return utf8.RuneError
	}
	save := p.i
	p.i += 2
	if lo, ok := p.hex4(); ok {
		if r := utf16.DecodeRune(hi, lo); r != utf8.RuneError {
			return r
		}
	}
	p.i = save
	return utf8.RuneError
}

func (p *parser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}

// digits skips decimal digits and returns how many there were.
func (p *parser) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// number scans a number by the JSON grammar.
func (p *parser) number() (json.Number, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if p.digits() == 0 {
		return "", p.syntax("invalid number")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return "", p.syntax("invalid number")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return "", p.syntax("invalid number")
		}
	}
	return json.Number(p.b[start:p.i]), nil
}
