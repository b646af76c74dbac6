package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/schema"
)

// FuzzParsePatch feeds arbitrary bodies through ParsePatch, ApplyPatch
// (User and Group) and splitGroupPatch. None may panic; every error is a
// 400 *Error; the input doc never changes; the Server's own modes
// (applyPatch on the stored doc, with and without sharing) give the same
// answer; and a result is a valid,
// canonical doc: normalising it again changes nothing but dropping the
// server's readOnly attributes.
func FuzzParsePatch(f *testing.F) {
	for _, s := range []string{
		ptOps(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"}`,
			`{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}`),
		ptOps(`{"op":"Replace","path":"active","value":"False"}`),
		ptOps(`{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}`),
		ptOps(`{"op":"Add","path":"manager","value":[{"$ref":"http://x/Users/m","value":"m"}]}`),
		ptOps(`{"op":"remove","path":"manager[value eq \"` + ptManagerID + `\"]"}`),
		ptOps(`{"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"Columbus"}`),
		ptOps(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"}]}`),
		ptOps(`{"op":"Remove","path":"members","value":[{"value":"u1091"}]}`),
		ptOps(`{"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"}`),
		ptOps(`{"op":"replace","value":{"id":"` + ptGroupID + `","displayName":"x","members":[{"value":"u"}]}}`),
		ptOps(`{"op":"replace","path":"emails[type eq \"home\"].primary","value":"True"}`),
		ptOps(`{"op":"add","path":"emails","value":{"value":"b@x.org","primary":true}}`),
		ptOps(`{"op":"remove","path":"emails[type eq \"work\"].value"}`),
		ptOps(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department","value":"R"}`),
		ptOps(`{"op":"replace","value":{"title":"","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{}}}}`),
		ptOps(),
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`,
		`{"Operations":[]}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	user, group := schema.User(), schema.Group()
	userDoc, groupDoc := ntDecode(f, ptUserJSON), ntDecode(f, ptGroupJSON)
	f.Fuzz(func(t *testing.T, body []byte) {
		ops, err := ParsePatch(body)
		if err != nil {
			fzWant400(t, "ParsePatch", err)
			return
		}
		fzApply(t, user, userDoc, ops)
		attrOps, memberOps, err := splitGroupPatch(ops)
		if err != nil {
			fzWant400(t, "splitGroupPatch", err)
			return
		}
		for _, m := range memberOps {
			for _, mem := range m.Members {
				if mem.Value == "" {
					t.Fatalf("member op %v with an empty value", m.Kind)
				}
			}
			if (m.Kind == RemoveMatchingMembers) != (m.Filter != nil) {
				t.Fatalf("member op %v with filter %v", m.Kind, m.Filter)
			}
		}
		fzApply(t, group, groupDoc, attrOps)
	})
}

func fzApply(t *testing.T, rt *schema.ResourceType, doc map[string]any, ops []PatchOp) {
	t.Helper()
	before := deepCopyMap(doc)
	got, err := ApplyPatch(rt, doc, ops)
	if !cmp.Equal(before, doc) {
		t.Fatalf("ApplyPatch(%s) changed its input", rt.ID)
	}
	// The Server's modes on a stored (valid) doc: the same answer, and
	// the doc still untouched, the shared result included.
	for _, mode := range []patchMode{patchStored, patchShared} {
		mgot, merr := applyPatch(rt, doc, ops, nil, mode)
		if diff := cmp.Diff(errString(err), errString(merr)); diff != "" {
			t.Fatalf("applyPatch(%s, mode %d) error (-ApplyPatch +mode):\n%s", rt.ID, mode, diff)
		}
		if diff := cmp.Diff(got, mgot); diff != "" {
			t.Fatalf("applyPatch(%s, mode %d) result (-ApplyPatch +mode):\n%s", rt.ID, mode, diff)
		}
		if !cmp.Equal(before, doc) {
			t.Fatalf("applyPatch(%s, mode %d) changed its input", rt.ID, mode)
		}
	}
	if err != nil {
		fzWant400(t, "ApplyPatch("+rt.ID+")", err)
		if got != nil {
			t.Fatalf("ApplyPatch(%s) returned a doc with its error", rt.ID)
		}
		return
	}
	if err := validate(rt, nil, got); err != nil {
		t.Fatalf("ApplyPatch(%s) result does not validate: %v", rt.ID, err)
	}
	again, err := normalize(rt, got)
	if err != nil {
		t.Fatalf("ApplyPatch(%s) result does not normalise: %v", rt.ID, err)
	}
	if diff := cmp.Diff(fzWritable(rt, got), again); diff != "" {
		t.Fatalf("ApplyPatch(%s) result is not canonical (-result +normalised):\n%s", rt.ID, diff)
	}
}

// fzWritable strips what normalize drops from a stored doc: the readOnly
// attributes the server keeps (id, meta, groups, manager.displayName).
func fzWritable(rt *schema.ResourceType, doc map[string]any) map[string]any {
	out := deepCopyMap(doc)
	for k := range out {
		if a := coreAttr(rt, k); a != nil && a.Mutability == schema.ReadOnly {
			delete(out, k)
		}
	}
	if ext, ok := out[ntEnterprise].(map[string]any); ok {
		if m, ok := ext["manager"].(map[string]any); ok {
			delete(m, "displayName")
		}
	}
	return out
}

func fzWant400(t *testing.T, what string, err error) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest || se.ScimType == "" || se.Detail == "" {
		t.Fatalf("%s: error %#v is not a 400 *Error with a scimType and detail", what, err)
	}
}

// FuzzNormalize feeds arbitrary JSON objects to normalize for User (with a
// custom extension of every type) and Group. It may not panic; every
// error is a 400 *Error; the input is not changed; and the output is a
// fixed point.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","active":"True","emails":[{"value":"a@b","primary":true}],"meta":{"resourceType":"User"},"roles":[]}`,
		`{"userName":"u","addresses":null,"name":{"givenName":[{"$ref":null,"value":"G"}]},"password":"p","groups":[]}`,
		`{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m","department":null}}`,
		`{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"$ref":"x","value":"m"}]}}`,
		`{"userName":"u","` + ntTestURN + `":{"level":1,"score":2.5,"hired":"2008-01-23T04:56:22Z","tags":["a"],"owner":{"value":"o"}}}`,
		`{"displayName":"g","members":[{"value":"u1","$ref":null}],"schemas":["http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]}`,
		`{"userName":"a","USERNAME":"b"}`,
		`{"userName":"u","emails":{"value":"x"}}`,
		`{"active":{}}`,
		`{"userName":"u","displayName":[],"name":[],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[]}}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"u"}`,
		`{"schemas":"x","userName":"u"}`,
		`{"userName":"u","urn:scim:schemas:extension:enterprise:2.0":{"department":"d","schemas":["x"]}}`,
	} {
		f.Add([]byte(s))
	}
	rts := []*schema.ResourceType{ntCustomUser(), schema.Group()}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var body map[string]any
		if d.Decode(&body) != nil || body == nil {
			return
		}
		for _, rt := range rts {
			before := deepCopyMap(body)
			got, err := normalize(rt, body)
			if !cmp.Equal(before, body) {
				t.Fatalf("normalize(%s) changed its input", rt.ID)
			}
			if err != nil {
				fzWant400(t, "normalize("+rt.ID+")", err)
				continue
			}
			again, err := normalize(rt, got)
			if err != nil {
				t.Fatalf("normalize(%s) of its own output: %v", rt.ID, err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Fatalf("normalize(%s) is not idempotent (-once +twice):\n%s", rt.ID, diff)
			}
			err = validate(rt, nil, got)
			if err != nil {
				fzWant400(t, "validate("+rt.ID+")", err)
			}
			// The fast path for normalize's output gives what the full
			// check gives.
			if fast := validateNormalized(rt, nil, got, got); fmt.Sprint(fast) != fmt.Sprint(err) {
				t.Fatalf("validateNormalized(%s) = %v, validate = %v", rt.ID, fast, err)
			}
			for k := range got {
				// One attribute no longer normalize's: that one is checked.
				changed := maps.Clone(got)
				changed[k] = []any{map[string]any{"bad": true}}
				if fast, full := validateNormalized(rt, nil, changed, got), validate(rt, nil, changed); fmt.Sprint(fast) != fmt.Sprint(full) {
					t.Fatalf("validateNormalized(%s) with %s changed = %v, validate = %v", rt.ID, k, fast, full)
				}
			}
			if err := validate(rt, got, got); err != nil {
				fzWant400(t, "validate(old)", err)
			}
		}
	})
}

// FuzzPatchOp explores paths and values directly, which byte-level
// mutation of whole PATCH bodies reaches only slowly: one operation of
// the fuzzed kind, path and value, applied to a User and split for a
// Group, with the same checks as FuzzParsePatch.
func FuzzPatchOp(f *testing.F) {
	for _, s := range []struct{ op, path, value string }{
		{"Replace", `emails[type eq "work"].value`, `"x@y"`},
		{"add", `addresses[type eq "home" and primary eq true].formatted`, `"f"`},
		{"replace", `phoneNumbers[type eq "fax"]`, `{"value":"1","primary":"True"}`},
		{"remove", `emails[value co "jensen"]`, ``},
		{"remove", `manager[value eq "` + ptManagerID + `"]`, ``},
		{"replace", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`, `""`},
		{"replace", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department`, `[{"$ref":null,"value":"d"}]`},
		{"add", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, `{"manager":{"value":"m"},"division":"x"}`},
		{"replace", ``, `{"name.givenName":"g","active":"false","id":"` + ptUserID + `"}`},
		{"add", `name`, `{"givenName":"g"}`},
		{"remove", `members`, `[{"value":"u1"}]`},
		{"remove", `members[value eq "a" or display eq "b"]`, ``},
		{"add", `emails`, `[{"value":"a","primary":true},{"value":"b"}]`},
		{"replace", `meta.created`, `"2020-01-01T00:00:00Z"`},
		{"remove", `userName`, ``},
		{"add", ``, `{"urn:scim:schemas:extension:enterprise:2.0":{"schemas":["x"],"department":"d","shoe\u202eSize":1}}`},
		{"replace", `title`, `[]`},
		{"replace", `urn:scim:schemas:extension:enterprise:2.0:manager`, `[]`},
	} {
		f.Add(s.op, s.path, []byte(s.value))
	}
	user, group := schema.User(), schema.Group()
	userDoc, groupDoc := ntDecode(f, ptUserJSON), ntDecode(f, ptGroupJSON)
	f.Fuzz(func(t *testing.T, op, path string, value []byte) {
		if len(value) > 0 && !json.Valid(value) {
			return // ParsePatch never hands over invalid JSON
		}
		ops := []PatchOp{{Op: op, Path: path, Value: value}}
		fzApply(t, user, userDoc, ops)
		attrOps, _, err := splitGroupPatch(ops)
		if err != nil {
			fzWant400(t, "splitGroupPatch", err)
			return
		}
		fzApply(t, group, groupDoc, attrOps)
	})
}
