package filter

// ParsePath parses the path of a PATCH operation (RFC 7644 section 3.5.2)
// with the default limits: "attr", "attr.sub", "urn:...:attr[.sub]", a bare
// extension URN, "attr[filter]" or "attr[filter].sub". Spaces around the
// path are ignored. Every error is an *Error of Kind Syntax.
func ParsePath(s string) (Path, error) {
	p, err := newParser(s, Limits{}, "path")
	if err != nil {
		return Path{}, err
	}
	p.skipSpace()
	if p.eof() {
		return Path{}, p.errorf(p.pos, "empty path")
	}
	start := p.pos
	w := p.word()
	if w == "" {
		return Path{}, p.unexpected("an attribute")
	}
	ap, err := p.attrPath(w, start)
	if err != nil {
		return Path{}, err
	}
	out := Path{Attr: ap}
	save := p.pos
	p.skipSpace()
	if p.peek() == '[' {
		if out.Filter, err = p.parseBrackets(); err != nil {
			return Path{}, err
		}
		if p.peek() == '.' {
			p.pos++
			at := p.pos
			out.Sub = p.word()
			if !validName(out.Sub) {
				return Path{}, p.errorf(at, "invalid sub-attribute name")
			}
		}
	} else {
		p.pos = save
	}
	p.skipSpace()
	if !p.eof() {
		return Path{}, p.unexpected("the end of the path")
	}
	return out, nil
}
