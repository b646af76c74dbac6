// Package jsonxtest holds the test oracle shared by jsonx's tests and its
// callers': the duplicate-key check the server made before jsonx.
package jsonxtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/scimkit/scim/internal/jsonx"
)

// OldRejectDuplicateKeys is the server's duplicate-key check before jsonx.
// It reads a stream of zero or more values with encoding/json's
// Decoder.Token and returns jsonx.ErrDuplicateKey for the first object
// that repeats a key, jsonx.ErrSyntax for malformed input, whichever comes
// first, or nil. It has no depth bound.
func OldRejectDuplicateKeys(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	type frame struct {
		keys  map[string]struct{}
		isObj bool
		key   bool // next token in this object is a key
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) != 0 {
				return jsonx.ErrSyntax
			}
			return nil
		}
		if err != nil {
			return jsonx.ErrSyntax
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if top != nil && top.isObj && top.key {
			if delim, ok := tok.(json.Delim); ok && delim == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].isObj {
					stack[len(stack)-1].key = true
				}
				continue
			}
			k, _ := tok.(string)
			if _, dup := top.keys[k]; dup {
				return jsonx.ErrDuplicateKey
			}
			top.keys[k] = struct{}{}
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]struct{}{}, isObj: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value was completed: the enclosing object expects a key next.
		if len(stack) > 0 && stack[len(stack)-1].isObj {
			stack[len(stack)-1].key = true
		}
	}
}
