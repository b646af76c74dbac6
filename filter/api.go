package filter

import "strconv"

// ErrorKind classifies a filter or path error.
type ErrorKind int

// Error kinds. The server maps Syntax and Unknown to 400 invalidFilter (in
// filters) or invalidPath (in PATCH paths), Sensitive to 403 sensitive and
// Unsupported to 400 invalidFilter.
const (
	Syntax      ErrorKind = iota + 1 // malformed, or over a length, depth or term bound
	Unknown                          // names no attribute of the schema
	Sensitive                        // names a returned:never attribute such as password
	Unsupported                      // an operator the attribute's type does not support, or a bad literal
)

// Error is a filter or path error. Msg is safe to show to clients: it
// never quotes the input, only offsets, the kind of mistake and names
// from the schema.
type Error struct {
	Kind ErrorKind
	Msg  string
}

// Error returns the message, prefixed with "filter: ".
func (e *Error) Error() string { return "filter: " + e.Msg }

// Limits bound the parser. Zero fields take the defaults.
type Limits struct {
	MaxLength int // bytes of input; default 8192
	MaxDepth  int // nesting of parentheses, brackets and not; default 32
	MaxTerms  int // comparisons in one filter; default 256
}

// String returns the kind's name, e.g. "Syntax".
func (k ErrorKind) String() string {
	switch k {
	case Syntax:
		return "Syntax"
	case Unknown:
		return "Unknown"
	case Sensitive:
		return "Sensitive"
	case Unsupported:
		return "Unsupported"
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}
