package scim

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scimkit/scim/internal/jsonx"
)

// maxJSONDepth bounds request body nesting; the deepest SCIM resource needs 4.
const maxJSONDepth = 32

// readBytes reads a request body within the configured size, after
// checking its media type.
func (q *request) readBytes() ([]byte, error) {
	if err := mediaTypeError(q.r); err != nil {
		return nil, err
	}
	var b []byte
	if n := q.r.ContentLength; n > 0 && n <= q.s.cfg.MaxBodyBytes {
		// One allocation of the announced size and a byte to see the end,
		// up to a bound: a length announced is not yet a body received.
		b = make([]byte, 0, min(n+1, maxBodyHint))
	}
	b, err := readAll(b, http.MaxBytesReader(q.w, q.r.Body, q.s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Detail: "The request body exceeds " + strconv.FormatInt(q.s.cfg.MaxBodyBytes, 10) + " bytes."}
		}
		return nil, Errorf(InvalidSyntax, "The request body could not be read.")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, Errorf(InvalidSyntax, "The request body is empty; a JSON object is required.")
	}
	if !utf8.Valid(b) {
		return nil, errInvalidUTF8(jsonx.InvalidUTF8At(b))
	}
	return b, nil
}

// maxBodyHint bounds the buffer readBytes sizes from Content-Length.
const maxBodyHint = 64 << 10

// readAll is io.ReadAll appending to b.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// mediaTypeError refuses a body that says it is not JSON.
func mediaTypeError(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || mt == "application/scim+json" || strings.HasSuffix(mt, "+json")) {
			return &Error{Status: http.StatusUnsupportedMediaType, Detail: "Send the body as application/scim+json or application/json."}
		}
	}
	return nil
}

// errInvalidUTF8 is the 400 for a body that is not UTF-8 at offset, or
// that escapes half a surrogate pair there: such text is refused, never
// stored with U+FFFD in its place.
func errInvalidUTF8(offset int) *Error {
	return Errorf(InvalidSyntax, "The request body is not valid UTF-8 (or escapes an unpaired surrogate) at byte %d.", offset)
}

// readBody reads and decodes a JSON object body.
func (q *request) readBody() (map[string]any, error) {
	b, err := q.readBytes()
	if err != nil {
		return nil, err
	}
	return decodeObject(b)
}

// bodyJSON is how request bodies are parsed: nesting is bounded, and a key
// given twice in one object is refused, since encoding/json would keep the
// last one silently and which one wins must never be a guess.
// Text that is not UTF-8 is refused, not repaired.
var bodyJSON = jsonx.Options{MaxDepth: maxJSONDepth, RejectDuplicateKeys: true, RejectInvalidUTF8: true}

func errTooDeep() *Error { return Errorf(InvalidSyntax, "The request body is nested too deeply.") }

func errDuplicateKey() *Error {
	return Errorf(InvalidSyntax, "The request body has a duplicate key in one object.")
}

func errInvalidJSON() *Error { return Errorf(InvalidSyntax, "The request body is not valid JSON.") }

// decodeObject decodes b as one JSON object, numbers as json.Number, in
// one pass. Only a body that fails takes a second look, so that each
// failure gets the message it always had (see bodyError).
func decodeObject(b []byte) (map[string]any, error) {
	v, err := jsonx.Parse(b, bodyJSON)
	if err != nil {
		return nil, bodyError(b, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(InvalidSyntax, "The request body must be a JSON object.")
	}
	return m, nil
}

// bodyError maps a parse error of the body b to its 400. Too deep is
// judged on the whole body first, whatever else is wrong with it; then
// the first fault in b. Data after the value is named as such only when it
// is JSON itself, else what is wrong with it is.
func bodyError(b []byte, err error) error {
	switch {
	case errors.Is(err, jsonx.ErrTooDeep) || jsonDepth(b) > maxJSONDepth:
		return errTooDeep()
	case errors.Is(err, jsonx.ErrTrailingData):
		if err := rejectDuplicateKeys(b); err != nil {
			return err
		}
		return Errorf(InvalidSyntax, "The request body has data after the JSON object.")
	case errors.Is(err, jsonx.ErrDuplicateKey):
		return errDuplicateKey()
	case errors.Is(err, jsonx.ErrInvalidUTF8):
		return errInvalidUTF8(offsetOf(err))
	}
	return errInvalidJSON()
}

// jsonDepth returns the maximum nesting of objects and arrays in b, without
// recursion; strings are skipped.
func jsonDepth(b []byte) int {
	depth, max, inStr := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > max {
				max = depth
			}
		case '}', ']':
			depth--
		}
	}
	return max
}

// readResource reads a POST or PUT body and normalises it against the
// resource type's schema.
func (q *request) readResource(res *Resource) (map[string]any, error) {
	body, err := q.readBody()
	if err != nil {
		return nil, err
	}
	if q.s.takesPasswords(res.Type) {
		if q.password, q.hasPassword, err = bodyPassword(body); err != nil {
			return nil, err
		}
	}
	if err := q.s.otherTypesSchemas(res, body); err != nil {
		return nil, err
	}
	return normalize(res.Type, body)
}

// otherTypesSchemas refuses a body whose "schemas" names the core schema
// of another resource type this Server serves (a host's own types too:
// normalize knows only RFC 7643's), as checkSchemas does.
func (s *Server) otherTypesSchemas(res *Resource, body map[string]any) error {
	var list []any
	for k, v := range body {
		if strings.EqualFold(k, "schemas") {
			list, _ = v.([]any)
		}
	}
	for _, e := range list {
		u, _ := e.(string)
		for _, r := range s.resources {
			if r != res && strings.EqualFold(u, r.Type.Schema.ID) && !strings.EqualFold(u, res.Type.Schema.ID) {
				return Errorf(InvalidSyntax, "\"schemas\" names the core schema of another resource type; a %s is %q.", res.Type.Name, res.Type.Schema.ID)
			}
		}
	}
	return nil
}

// rejectDuplicateKeys checks data as encoding/json's Decoder reads it, a
// stream of zero or more JSON values, and fails with 400 invalidSyntax on
// the first object with the same key twice, the first malformed value or
// the first string that is not UTF-8.
// Nesting deeper than encoding/json allows is malformed here too; the
// server's own, lower bound is the caller's.
func rejectDuplicateKeys(data []byte) error {
	opts := jsonx.Options{RejectDuplicateKeys: true, RejectInvalidUTF8: true}
	base := 0
	for len(bytes.TrimLeft(data, " \t\r\n")) > 0 {
		_, n, err := jsonx.ParsePrefix(data, opts)
		if errors.Is(err, jsonx.ErrDuplicateKey) {
			return errDuplicateKey()
		}
		if errors.Is(err, jsonx.ErrInvalidUTF8) {
			return errInvalidUTF8(base + offsetOf(err))
		}
		if err != nil {
			return errInvalidJSON()
		}
		data, base = data[n:], base+n
	}
	return nil
}

// offsetOf returns the byte offset of a jsonx error.
func offsetOf(err error) int {
	var e *jsonx.Error
	if errors.As(err, &e) {
		return e.Offset
	}
	return 0
}
