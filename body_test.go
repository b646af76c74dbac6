package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/internal/jsonx"
	"github.com/scimkit/scim/internal/jsonx/jsonxtest"
	"github.com/scimkit/scim/schema"
)

// oldDecodeBody is how the server read a JSON object body before one
// jsonx pass did it: a depth scan of the whole body, encoding/json's
// Decoder.Token for duplicate keys, then a decode with UseNumber. It is
// the oracle for decodeObject's values and messages.
func oldDecodeBody(b []byte) (map[string]any, error) {
	if jsonDepth(b) > maxJSONDepth {
		return nil, errTooDeep()
	}
	if err := oldRejectDuplicateKeys(b); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, errInvalidJSON()
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, Errorf(InvalidSyntax, "The request body has data after the JSON object.")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(InvalidSyntax, "The request body must be a JSON object.")
	}
	return m, nil
}

// oldRejectDuplicateKeys is rejectDuplicateKeys before jsonx.
func oldRejectDuplicateKeys(b []byte) error {
	switch jsonxtest.OldRejectDuplicateKeys(b) {
	case nil:
		return nil
	case jsonx.ErrDuplicateKey:
		return errDuplicateKey()
	}
	return errInvalidJSON()
}

var bodyCases = []struct {
	body, detail string // detail "" is success
}{
	{`{"userName":"u"}`, ""},
	{` {"a":{"b":[1,2.5,"x",true,null]}} ` + "\n", ""},
	{`{"a":1,"A":2}`, ""},
	{`{"a":1,"a":2}`, "The request body has a duplicate key in one object."},
	{`{"x":[{"a":1},{"b":2,"b":3}]}`, "The request body has a duplicate key in one object."},
	{`{"a":1,"a":tru}`, "The request body has a duplicate key in one object."},
	{`{"a":1,"\u0061":2}`, "The request body has a duplicate key in one object."},
	{`{"userName":`, "The request body is not valid JSON."},
	{`{"a":}`, "The request body is not valid JSON."},
	{`{"a":tru,"a":1}`, "The request body is not valid JSON."},
	{`{}x`, "The request body is not valid JSON."},
	{`{} {"a":1,"a":2}`, "The request body has a duplicate key in one object."},
	{`{} {}`, "The request body has data after the JSON object."},
	{`{}1`, "The request body has data after the JSON object."},
	{`[] {}`, "The request body has data after the JSON object."},
	{`01`, "The request body has data after the JSON object."},
	{`{} {`, "The request body is not valid JSON."},
	{`[]`, "The request body must be a JSON object."},
	{`"s"`, "The request body must be a JSON object."},
	{`null`, "The request body must be a JSON object."},
	{strings.Repeat(`[`, 32) + strings.Repeat(`]`, 32), "The request body must be a JSON object."},
	{strings.Repeat(`[`, 33) + strings.Repeat(`]`, 33), "The request body is nested too deeply."},
	{strings.Repeat(`[`, 100000), "The request body is nested too deeply."},
	// Too deep wins wherever it is, as the old whole-body scan had it.
	{`{"a":1,"a":2,"b":` + strings.Repeat(`[`, 33), "The request body is nested too deeply."},
	{`{"a":}` + strings.Repeat(`[`, 33), "The request body is nested too deeply."},
	{`{} ` + strings.Repeat(`{"a":`, 33), "The request body is nested too deeply."},
	{`{"s":"` + strings.Repeat(`[`, 40) + `"}`, ""},
}

// TestDecodeObject checks decodeObject's values and messages against the
// table and against the old three-pass reading.
func TestDecodeObject(t *testing.T) {
	for _, tc := range bodyCases {
		_, err := decodeObject([]byte(tc.body))
		if tc.detail == "" {
			if err != nil {
				t.Errorf("%.60q: %v", tc.body, err)
			}
		} else {
			ntWantError(t, err, http.StatusBadRequest, InvalidSyntax)
			if se := (*Error)(nil); errors.As(err, &se) && se.Detail != tc.detail {
				t.Errorf("%.60q: detail %q, want %q", tc.body, se.Detail, tc.detail)
			}
		}
		checkDecodeObject(t, []byte(tc.body))
	}
}

func checkDecodeObject(t *testing.T, b []byte) {
	t.Helper()
	got, gerr := decodeObject(b)
	// The old reading repaired text that is not UTF-8 and unpaired
	// surrogate escapes with U+FFFD; the new one refuses them, so the old
	// reading is no oracle there.
	var se *Error
	switch {
	case !utf8.Valid(b):
		if !errors.As(gerr, &se) || se.Status != http.StatusBadRequest || se.ScimType != InvalidSyntax {
			t.Fatalf("%.60q: not UTF-8, but decodeObject gave %v", b, gerr)
		}
		return
	case errors.As(gerr, &se) && strings.HasPrefix(se.Detail, "The request body is not valid UTF-8"):
		if !bytes.Contains(b, []byte(`\u`)) {
			t.Fatalf("%.60q: UTF-8 without escapes refused as not UTF-8", b)
		}
		return
	}
	want, werr := oldDecodeBody(b)
	if diff := cmp.Diff(werr, gerr); diff != "" {
		t.Fatalf("%.60q: error (-old +new):\n%s", b, diff)
	}
	// reflect.DeepEqual first: cmp.Diff is exponential in the nesting of
	// slices.
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%.60q: value (-old +new):\n%s", b, cmp.Diff(want, got))
	}
	// PATCH bodies take the old depth scan, then rejectDuplicateKeys;
	// its own bound is encoding/json's, far above the inputs here.
	if diff := cmp.Diff(oldRejectDuplicateKeys(b), rejectDuplicateKeys(b)); diff != "" {
		t.Fatalf("%.60q: rejectDuplicateKeys (-old +new):\n%s", b, diff)
	}
}

// FuzzDecodeObject compares decodeObject and rejectDuplicateKeys with the
// old reading on arbitrary bodies.
func FuzzDecodeObject(f *testing.F) {
	for _, tc := range bodyCases {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(BenchUserJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		if jsonDepth(b) > jsonx.DefaultMaxDepth {
			return // where the old Token scan had no bound
		}
		checkDecodeObject(t, b)
	})
}

// BenchmarkReadUserBody measures what POST /Users does with a fully mapped
// user's body before the store: one parse, normalize, validate, and the
// conversion to a User.
func BenchmarkReadUserBody(b *testing.B) {
	rt := schema.User()
	body := []byte(BenchUserJSON)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		d, err := decodeObject(body)
		if err == nil {
			d, err = normalize(rt, d)
		}
		if err == nil {
			err = validate(rt, nil, d)
		}
		var u User
		if err == nil {
			err = fromDoc(d, &u)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
