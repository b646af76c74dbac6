package scim

import (
	"net/http"
	"strings"
)

// ETags (RFC 7644 section 3.14). A resource's meta.version is shown as a
// weak entity-tag, W/"<version>", and sent as the ETag header of every
// response carrying one resource. Weak, because one version has several
// representations (attributes=, excludedAttributes=, the base URL), which
// a strong tag would promise are byte-identical. As in the RFC's
// examples, If-Match compares tags weakly: W/"3", "3" and a bare 3 (what
// a client copied from an older meta.version) all name version 3.
//
// Handlers and stores keep versions in their own form; the Server turns
// them into tags when it answers and compares the tags a client sends
// with the tag of the version it read, so a handler only ever sees
// versions it produced.

// maxETags bounds how many entity-tags one If-Match or If-None-Match may
// list.
const maxETags = 64

// entityTag returns version as a weak entity-tag: unchanged when it
// already is an entity-tag (a handler that keeps its versions that way),
// "" for "".
func entityTag(version string) string {
	if version == "" || isEntityTag(version) {
		return version
	}
	if !etagChars(version) {
		// No escaping exists inside a tag: keep what can be kept.
		var b strings.Builder
		for i := 0; i < len(version); i++ {
			if c := version[i]; c == 0x21 || c >= 0x23 && c != 0x7f {
				b.WriteByte(c)
			} else {
				b.WriteByte('_')
			}
		}
		version = b.String()
	}
	return `W/"` + version + `"`
}

// isEntityTag reports whether s is an entity-tag of RFC 7232 section 2.3.
func isEntityTag(s string) bool {
	s = strings.TrimPrefix(s, "W/")
	return len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' && etagChars(s[1:len(s)-1])
}

// etagChars reports whether s is made of etagc characters only.
func etagChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != 0x21 && (c < 0x23 || c == 0x7f) {
			return false
		}
	}
	return true
}

// opaque returns the opaque part of an entity-tag (the text between the
// quotes), which weak comparison compares.
func opaque(tag string) string {
	tag = strings.TrimPrefix(tag, "W/")
	return strings.TrimSuffix(strings.TrimPrefix(tag, `"`), `"`)
}

// etagSet is a parsed If-Match or If-None-Match: "*" or a list of
// opaque tags. A nil *etagSet is an absent header, matched by anything.
type etagSet struct {
	any  bool
	tags []string
}

// matches reports whether the resource whose version is version (it
// exists) meets the set, comparing weakly.
func (p *etagSet) matches(version string) bool {
	if p == nil || p.any {
		return true
	}
	if version == "" {
		return false
	}
	o := opaque(entityTag(version))
	for _, t := range p.tags {
		if t == o {
			return true
		}
	}
	return false
}

// conditional parses the request's header h (If-Match or If-None-Match);
// nil when absent.
func conditional(r *http.Request, h string) (*etagSet, error) {
	vals := r.Header.Values(h)
	if len(vals) == 0 {
		return nil, nil
	}
	p, ok := parseETags(strings.Join(vals, ","))
	if !ok {
		return nil, Errorf(InvalidSyntax, "%s must be * or a comma-separated list of entity-tags such as W/\"3\" (at most %d).", h, maxETags)
	}
	return p, nil
}

// parseETags parses "*" or a list of entity-tags (RFC 7232 section 3.1),
// also accepting bare versions ("3") as a client may copy them from an
// older meta.version, and empty list elements; false when malformed.
func parseETags(s string) (*etagSet, bool) {
	p := &etagSet{}
	star := false
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			break
		}
		if len(p.tags) == maxETags {
			return nil, false
		}
		var tag string
		switch {
		case s[0] == '*':
			star, s = true, s[1:]
			continue
		case strings.HasPrefix(s, `W/"`) || s[0] == '"':
			start := strings.IndexByte(s, '"') + 1
			end := strings.IndexByte(s[start:], '"')
			if end < 0 {
				return nil, false
			}
			tag, s = s[start:start+end], s[start+end+1:]
		default:
			end := strings.IndexAny(s, " \t,")
			if end < 0 {
				end = len(s)
			}
			tag, s = s[:end], s[end:]
		}
		if !etagChars(tag) {
			return nil, false
		}
		if s != "" && !strings.ContainsRune(" \t,", rune(s[0])) {
			return nil, false
		}
		p.tags = append(p.tags, tag)
	}
	switch {
	case star && len(p.tags) > 0:
		return nil, false // "*" stands alone
	case star:
		p.any = true
	case len(p.tags) == 0:
		return nil, false
	}
	return p, true
}

// setETag sets the ETag header from a decorated document's meta.version.
func (q *request) setETag(doc map[string]any) {
	if v := versionOf(doc); v != "" {
		q.w.Header().Set("ETag", entityTag(v))
	}
}

// notModified answers 304 when If-None-Match matches version (RFC 7232
// section 3.2), reporting whether it did; a malformed header is a 400.
func (q *request) notModified(version string) bool {
	p, err := conditional(q.r, "If-None-Match")
	if err != nil {
		q.fail(err)
		return true
	}
	if p == nil || !p.matches(version) {
		return false
	}
	if version != "" {
		q.w.Header().Set("ETag", entityTag(version))
	}
	q.w.WriteHeader(http.StatusNotModified)
	return true
}
