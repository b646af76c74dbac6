package filter

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String returns the canonical text of e: lower-case keywords and
// operators, single spaces, JSON-quoted strings, and parentheses exactly
// where the tree's shape needs them, so that Parse(String(e)) returns a
// tree equal to e. A nil e gives "".
func String(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

// String returns the canonical text of the path; see the String function.
func (p AttrPath) String() string {
	var b strings.Builder
	writeAttrPath(&b, p)
	return b.String()
}

// String returns the canonical text of the PATCH path.
func (p Path) String() string {
	var b strings.Builder
	writeAttrPath(&b, p.Attr)
	if p.Filter != nil {
		b.WriteByte('[')
		writeExpr(&b, p.Filter)
		b.WriteByte(']')
	}
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// String returns the canonical text of the node; see the String function.
func (e *And) String() string { return String(e) }

// String returns the canonical text of the node; see the String function.
func (e *Or) String() string { return String(e) }

// String returns the canonical text of the node; see the String function.
func (e *Not) String() string { return String(e) }

// String returns the canonical text of the node; see the String function.
func (e *Compare) String() string { return String(e) }

// String returns the canonical text of the node; see the String function.
func (e *ValuePath) String() string { return String(e) }

func writeAttrPath(b *strings.Builder, p AttrPath) {
	if p.URI != "" {
		b.WriteString(p.URI)
		if p.Name == "" { // a whole extension
			return
		}
		b.WriteByte(':')
	}
	b.WriteString(p.Name)
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
}

func writeExpr(b *strings.Builder, e Expr) {
	switch n := e.(type) {
	case *And:
		// Left-associative: only a right-hand And needs parentheses to
		// keep its shape; an Or on either side binds looser.
		writeOperand(b, n.Left, isOr(n.Left))
		b.WriteString(" and ")
		writeOperand(b, n.Right, isOr(n.Right) || isAnd(n.Right))
	case *Or:
		writeExpr(b, n.Left)
		b.WriteString(" or ")
		writeOperand(b, n.Right, isOr(n.Right))
	case *Not:
		b.WriteString("not (")
		writeExpr(b, n.X)
		b.WriteByte(')')
	case *Compare:
		writeAttrPath(b, n.Path)
		b.WriteByte(' ')
		b.WriteString(string(n.Op))
		if n.Op != Pr {
			b.WriteByte(' ')
			writeValue(b, n.Value)
		}
	case *ValuePath:
		writeAttrPath(b, n.Path)
		b.WriteByte('[')
		writeExpr(b, n.Filter)
		b.WriteByte(']')
	}
}

func writeOperand(b *strings.Builder, e Expr, parens bool) {
	if parens {
		b.WriteByte('(')
	}
	writeExpr(b, e)
	if parens {
		b.WriteByte(')')
	}
}

func isOr(e Expr) bool  { _, ok := e.(*Or); return ok }
func isAnd(e Expr) bool { _, ok := e.(*And); return ok }

func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeQuoted(b, x)
	case Number:
		b.WriteString(string(x))
	case json.Number:
		b.WriteString(string(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	default:
		b.WriteString("null")
	}
}

// writeQuoted writes s as a JSON string, leaving non-ASCII text and DEL
// as they are so that the text never grows past the input it came from
// by more than the canonical spacing.
func writeQuoted(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r) // invalid bytes become U+FFFD
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
		i++
	}
	b.WriteByte('"')
}
