package filter

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Default limits; see Limits.
const (
	DefaultMaxLength = 8192
	DefaultMaxDepth  = 32
	DefaultMaxTerms  = 256
)

func (l Limits) withDefaults() Limits {
	if l.MaxLength <= 0 {
		l.MaxLength = DefaultMaxLength
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxTerms <= 0 {
		l.MaxTerms = DefaultMaxTerms
	}
	return l
}

// Parse parses a filter (RFC 7644 section 3.4.2.2) with the default
// limits. See ParseWith.
func Parse(s string) (Expr, error) { return ParseWith(s, Limits{}) }

// ParseWith parses a filter with the given limits. Keywords, operators and
// the literals true, false and null are case-insensitive; "and" binds
// tighter than "or" and both associate to the left. Spaces and tabs
// separate tokens, and may be left out where a quote or bracket already
// does. Every error is an *Error of Kind Syntax.
//
// Besides the RFC grammar it accepts value filters of any shape
// ("emails[type eq "work" or (primary eq true and value pr)]") and Entra's
// sub-attribute after a value filter: "emails[type eq "work"].value eq "x""
// is parsed as ValuePath{emails, And{type eq "work", value eq "x"}}.
func ParseWith(s string, l Limits) (Expr, error) {
	p, err := newParser(s, l, "input")
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.eof() {
		return nil, p.errorf(p.pos, "empty filter")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.unexpected("\"and\", \"or\" or the end of the filter")
	}
	return e, nil
}

// parser is a bounded recursive-descent parser over the input string.
// Every recursion passes through enter, so depth never exceeds
// lim.MaxDepth and the Go stack stays small whatever the input.
type parser struct {
	s       string
	pos     int
	lim     Limits
	depth   int
	terms   int
	inValue bool // inside a value filter's brackets
}

// newParser returns the parser by value so that it can live on the
// caller's stack.
func newParser(s string, l Limits, what string) (parser, error) {
	l = l.withDefaults()
	if len(s) > l.MaxLength {
		return parser{}, &Error{Kind: Syntax, Msg: fmt.Sprintf("%s is longer than %d bytes", what, l.MaxLength)}
	}
	if !utf8.ValidString(s) {
		return parser{}, &Error{Kind: Syntax, Msg: what + " is not valid UTF-8"}
	}
	return parser{s: s, lim: l}, nil
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

// skipSpace skips spaces and tabs.
func (p *parser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *parser) enter(at int) error {
	p.depth++
	if p.depth > p.lim.MaxDepth {
		return p.errorf(at, "nested deeper than %d levels", p.lim.MaxDepth)
	}
	return nil
}

func (p *parser) term(at int) error {
	p.terms++
	if p.terms > p.lim.MaxTerms {
		return p.errorf(at, "more than %d comparisons", p.lim.MaxTerms)
	}
	return nil
}

// isWord reports whether c can be part of an attribute path, keyword,
// operator or bare literal.
func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':' || c == '$'
}

// word scans a maximal run of word characters.
func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.s) && isWord(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// keyword consumes the case-insensitive keyword k when it is next and is
// not the prefix of a longer word.
func (p *parser) keyword(k string) bool {
	end := p.pos + len(k)
	if end > len(p.s) || !strings.EqualFold(p.s[p.pos:end], k) {
		return false
	}
	if end < len(p.s) && isWord(p.s[end]) {
		return false
	}
	p.pos = end
	return true
}

func (p *parser) parseOr() (Expr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		save := p.pos
		p.skipSpace()
		if !p.keyword("or") {
			p.pos = save
			return left, nil
		}
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &Or{Left: left, Right: right}
	}
}

func (p *parser) parseAnd() (Expr, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		save := p.pos
		p.skipSpace()
		if !p.keyword("and") {
			p.pos = save
			return left, nil
		}
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = &And{Left: left, Right: right}
	}
}

// parseUnary parses a parenthesised filter, "not (filter)", a comparison
// or a value path.
func (p *parser) parseUnary() (Expr, error) {
	p.skipSpace()
	start := p.pos
	if p.peek() == '(' {
		return p.parseParens()
	}
	w := p.word()
	if w == "" {
		return nil, p.unexpected("an attribute, \"not\" or \"(\"")
	}
	if strings.EqualFold(w, "not") {
		save := p.pos
		p.skipSpace()
		if p.peek() == '(' {
			x, err := p.parseParens()
			if err != nil {
				return nil, err
			}
			return &Not{X: x}, nil
		}
		p.pos = save // an attribute named "not"
	}
	path, err := p.attrPath(w, start)
	if err != nil {
		return nil, err
	}
	save := p.pos
	p.skipSpace()
	if p.peek() == '[' {
		return p.parseValuePath(path)
	}
	p.pos = save
	return p.parseComparison(path, start)
}

// parseParens parses "(" filter ")" at the current position.
func (p *parser) parseParens() (Expr, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		return nil, p.unexpected("\")\"")
	}
	p.pos++
	p.depth--
	return e, nil
}

// parseBrackets parses "[" filter "]" at the current position.
func (p *parser) parseBrackets() (Expr, error) {
	open := p.pos
	if p.inValue {
		return nil, p.errorf(open, "value filters cannot be nested")
	}
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++
	p.inValue = true
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ']' {
		return nil, p.unexpected("\"]\"")
	}
	p.pos++
	p.inValue = false
	p.depth--
	return e, nil
}

// parseValuePath parses "[filter]" after path, and Entra's optional
// ".sub op value" after the bracket.
func (p *parser) parseValuePath(path AttrPath) (Expr, error) {
	f, err := p.parseBrackets()
	if err != nil {
		return nil, err
	}
	if p.peek() != '.' {
		return &ValuePath{Path: path, Filter: f}, nil
	}
	p.pos++
	start := p.pos
	sub := p.word()
	if !validName(sub) {
		return nil, p.errorf(start, "invalid sub-attribute name")
	}
	c, err := p.parseComparison(AttrPath{Name: sub}, start)
	if err != nil {
		return nil, err
	}
	return &ValuePath{Path: path, Filter: &And{Left: f, Right: c}}, nil
}

var ops = [...]Op{Eq, Ne, Co, Sw, Ew, Pr, Gt, Ge, Lt, Le}

func lookupOp(w string) (Op, bool) {
	if len(w) != 2 {
		return "", false
	}
	for _, op := range ops {
		if strings.EqualFold(w, string(op)) {
			return op, true
		}
	}
	return "", false
}

// parseComparison parses "op value" or "pr" after path.
func (p *parser) parseComparison(path AttrPath, start int) (Expr, error) {
	p.skipSpace()
	at := p.pos
	w := p.word()
	if w == "" {
		return nil, p.unexpected("an operator")
	}
	op, ok := lookupOp(w)
	if !ok {
		return nil, p.errorf(at, "unknown operator")
	}
	if err := p.term(start); err != nil {
		return nil, err
	}
	if op == Pr {
		return &Compare{Path: path, Op: Pr}, nil
	}
	p.skipSpace()
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &Compare{Path: path, Op: op, Value: v}, nil
}

// parseValue parses a JSON string, number, true, false or null.
func (p *parser) parseValue() (any, error) {
	at := p.pos
	switch c := p.peek(); {
	case c == '"':
		return p.parseString()
	case c == '-' || '0' <= c && c <= '9':
		n, ok := p.scanNumber()
		if !ok || p.pos < len(p.s) && isWord(p.s[p.pos]) {
			return nil, p.errorf(at, "malformed number")
		}
		return n, nil
	}
	w := p.word()
	switch {
	case strings.EqualFold(w, "true"):
		return true, nil
	case strings.EqualFold(w, "false"):
		return false, nil
	case strings.EqualFold(w, "null"):
		return nil, nil
	case w == "":
		return nil, p.unexpected("a value")
	}
	return nil, p.errorf(at, "a value must be a quoted string, a number, true, false or null")
}

// scanNumber scans a JSON number (RFC 8259 section 6).
func (p *parser) scanNumber() (Number, bool) {
	s, i := p.s, p.pos
	digits := func() bool {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return "", false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return "", false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return "", false
		}
	}
	n := Number(s[p.pos:i])
	p.pos = i
	return n, true
}

// parseString parses a JSON string and decodes its escapes. Lone
// surrogates decode to U+FFFD, as encoding/json does.
func (p *parser) parseString() (string, error) {
	open := p.pos
	p.pos++
	start := p.pos
	// Fast path: no escapes, so the literal is a substring of the input.
	for i := start; i < len(p.s); i++ {
		switch c := p.s[i]; {
		case c == '"':
			p.pos = i + 1
			return p.s[start:i], nil
		case c == '\\':
			return p.parseEscaped(open, start, i)
		case c < 0x20:
			return "", p.errorf(i, "control character in string")
		}
	}
	return "", p.errorf(open, "unterminated string")
}

func (p *parser) parseEscaped(open, start, i int) (string, error) {
	var b strings.Builder
	b.Grow(i - start + 16)
	b.WriteString(p.s[start:i])
	s := p.s
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return b.String(), nil
		case c < 0x20:
			return "", p.errorf(i, "control character in string")
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		esc := s[i+1]
		i += 2
		switch esc {
		case '"', '\\', '/':
			b.WriteByte(esc)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(s, i)
			if !ok {
				return "", p.errorf(i-2, "malformed \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, ok = hex4(s, i+2)
				}
				d := utf16.DecodeRune(r, r2)
				if !ok || d == utf8.RuneError {
					// Never repaired with U+FFFD: a literal means what it says.
					return "", p.errorf(i-6, "unpaired surrogate in \\u escape")
				}
				r = d
				i += 6
			}
			b.WriteRune(r)
		default:
			return "", p.errorf(i-2, "unknown escape in string")
		}
	}
	return "", p.errorf(open, "unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// validName reports whether s is an ATTRNAME: ALPHA *(nameChar), with an
// optional leading "$" for names such as "$ref".
func validName(s string) bool {
	s = strings.TrimPrefix(s, "$")
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validURI reports whether s is a schema URN: segments of letters, digits,
// "-" and "." separated by ":".
func validURI(s string) bool {
	if s == "" {
		return false
	}
	seg := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			if seg == 0 {
				return false
			}
			seg = 0
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.':
			seg++
		default:
			return false
		}
	}
	return seg > 0
}

// attrPath splits the word w, scanned at start, into an attribute path. A
// schema URI ends at the last ":". After a URI the attribute part may have
// two dots, for the legacy "urn:...:2.0:User.manager.value" form that
// schema.ResourceType.Resolve understands.
func (p *parser) attrPath(w string, start int) (AttrPath, error) {
	var ap AttrPath
	rest := w
	if i := strings.LastIndexByte(w, ':'); i >= 0 {
		ap.URI, rest = w[:i], w[i+1:]
		if !validURI(ap.URI) {
			return AttrPath{}, p.errorf(start, "invalid schema URI")
		}
	}
	name, sub, dotted := strings.Cut(rest, ".")
	if !validName(name) {
		return AttrPath{}, p.errorf(start+len(w)-len(rest), "invalid attribute name")
	}
	ap.Name = name
	if dotted {
		a, b, twice := strings.Cut(sub, ".")
		if !validName(a) || twice && (ap.URI == "" || !validName(b)) {
			return AttrPath{}, p.errorf(start, "invalid attribute path")
		}
		ap.Sub = sub
	}
	return ap, nil
}

// errorf returns a Syntax error at byte offset at. It gives the offset
// and never quotes the input, which may be anything a client sent
// (markup, a secret pasted by mistake) and would be reflected in a
// response and in logs.
func (p *parser) errorf(at int, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if at >= len(p.s) {
		return &Error{Kind: Syntax, Msg: msg + " at end of input"}
	}
	return &Error{Kind: Syntax, Msg: fmt.Sprintf("%s at offset %d", msg, at)}
}

// unexpected reports what was found at the current position instead of
// what the parser wanted.
func (p *parser) unexpected(want string) *Error {
	if p.eof() {
		return p.errorf(p.pos, "expected %s", want)
	}
	switch c := p.s[p.pos]; {
	case c < 0x20 || c == 0x7f:
		return p.errorf(p.pos, "control character (expected %s)", want)
	case c >= utf8.RuneSelf:
		return p.errorf(p.pos, "unexpected non-ASCII character (expected %s)", want)
	}
	return p.errorf(p.pos, "expected %s", want)
}
