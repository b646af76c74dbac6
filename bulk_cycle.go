package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/scimkit/scim/schema"
)

// Circular bulkId references (RFC 7644 section 3.7.1): when every
// operation left waits on another, the first POST of a cycle (request
// order) whose references are all in attributes that may be absent is
// created without those attributes; once every bulkId they reference has
// run, they are added to it with a PATCH served as the same request on
// its own. Its entry then reports 201 with the final version. When the
// PATCH fails, or an operation it references failed, the attempt has
// failed: the entry is 409 and the resource created without the
// references is deleted again. Operations are not transactional, so the
// other operations keep their own outcome.

// bulkDeferred is a POST of a cycle created without some attributes.
type bulkDeferred struct {
	op    *bulkOp
	res   *Resource
	id    string         // the id created, once created
	left  map[string]any // the left-out attributes, extension ones under their URN
	waits []int          // the operations whose bulkIds they reference
}

// breakCycle picks the POST to create without its references, with its
// data and deps reduced, or nil when no operation of a cycle can be.
func (q *request) breakCycle(ops []*bulkOp, results []*bulkResult) (*bulkOp, *bulkDeferred) {
	byBulkID := map[string]int{}
	for _, op := range ops {
		if op.method == http.MethodPost && op.bulkID != "" {
			byBulkID[op.bulkID] = op.index
		}
	}
	unrun := func(ref string) bool {
		j, ok := byBulkID[ref]
		return ok && results[j] == nil
	}
	for _, op := range ops {
		if results[op.index] != nil || op.err != nil || op.method != http.MethodPost || op.offCycle {
			continue
		}
		if !onCycle(op, ops, results) {
			// Running operations and breaking cycles only remove edges,
			// so it stays off every cycle: each is searched from once.
			op.offCycle = true
			continue
		}
		res, _, err := q.bulkTarget(op, nil)
		if err != nil {
			continue
		}
		kept, left, ok := leaveOut(res.Type, op.data, unrun)
		if !ok {
			continue
		}
		reduced := &bulkOp{index: op.index, path: op.path, data: kept}
		var deps []int
		for _, ref := range reduced.refs() {
			deps = append(deps, byBulkID[ref])
		}
		reduced.deps = deps
		if !depsDone(reduced, results) {
			continue
		}
		var waits []int
		walkStrings(left, func(s string) {
			if ref, ok := strings.CutPrefix(s, bulkIDPrefix); ok && !slices.Contains(waits, byBulkID[ref]) {
				waits = append(waits, byBulkID[ref])
			}
		})
		op.data, op.deps = kept, deps
		return op, &bulkDeferred{op: op, res: res, left: left, waits: waits}
	}
	return nil, nil
}

// onCycle reports whether op, not yet run, waits on itself through
// operations not yet run.
func onCycle(op *bulkOp, ops []*bulkOp, results []*bulkResult) bool {
	seen := map[int]bool{}
	stack := slices.Clone(op.deps)
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if j == op.index {
			return true
		}
		if seen[j] || results[j] != nil {
			continue
		}
		seen[j] = true
		stack = append(stack, ops[j].deps...)
	}
	return false
}

// leaveOut splits a POST's data into what is created now and the
// attributes (top-level, or of an extension) holding a reference for
// which unrun is true. It is not ok when one of those may not be absent:
// a required attribute, or all of a required extension.
func leaveOut(rt *schema.ResourceType, data any, unrun func(string) bool) (kept, left map[string]any, ok bool) {
	m, isObj := data.(map[string]any)
	if !isObj {
		return nil, nil, false
	}
	holds := func(v any) bool {
		found := false
		walkStrings(v, func(s string) {
			if ref, ok := strings.CutPrefix(s, bulkIDPrefix); ok && unrun(ref) {
				found = true
			}
		})
		return found
	}
	kept, left = make(map[string]any, len(m)), map[string]any{}
	for k, v := range m {
		if !holds(v) {
			kept[k] = v
			continue
		}
		sub, isSub := v.(map[string]any)
		if ext := rt.Extension(k); ext != nil && isSub {
			keptSub, leftSub := map[string]any{}, map[string]any{}
			for sk, sv := range sub {
				if !holds(sv) {
					keptSub[sk] = sv
					continue
				}
				if a := ext.Attr(sk); a != nil && a.Required {
					return nil, nil, false
				}
				leftSub[sk] = sv
			}
			if len(keptSub) == 0 && extensionRequired(rt, ext.ID) {
				return nil, nil, false
			}
			if len(keptSub) > 0 {
				kept[k] = keptSub
			}
			left[k] = leftSub
			continue
		}
		if a := coreAttr(rt, k); a != nil && a.Required || strings.EqualFold(k, "schemas") {
			return nil, nil, false
		}
		left[k] = v
	}
	return kept, left, true
}

func extensionRequired(rt *schema.ResourceType, urn string) bool {
	for _, e := range rt.Extensions {
		if e.Schema.ID == urn {
			return e.Required
		}
	}
	return false
}

// completeDeferred adds d's left-out attributes, now that the operations
// they reference have run: the final entry and true, or a 409 entry and
// false when the attempt failed.
func (q *request) completeDeferred(d *bulkDeferred, ids map[string]string, results []*bulkResult) (bulkResult, bool) {
	for _, j := range d.waits {
		if st, _ := strconv.Atoi(results[j].Status); st >= 400 {
			return q.abandonDeferred(d, "an operation it references failed"), false
		}
	}
	patch := map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "add", "value": resolve(d.left, ids)}},
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return q.abandonDeferred(d, "its references could not be encoded"), false
	}
	// attributes=id asks for a 200 with the resource and its ETag.
	rec, err := q.serveInternal(q.r.Context(), d.res, http.MethodPatch, d.id, "attributes=id", body, "")
	if err != nil {
		return q.abandonDeferred(d, "adding its references failed"), false
	}
	if rec.status >= 400 {
		var se struct {
			Detail string `json:"detail"`
		}
		why := "adding its references answered " + strconv.Itoa(rec.status)
		if json.Unmarshal(rec.body.Bytes(), &se) == nil && se.Detail != "" {
			why += " (" + se.Detail + ")"
		}
		return q.abandonDeferred(d, why), false
	}
	out := *results[d.op.index]
	if v := rec.header.Get("ETag"); v != "" {
		out.Version = v
	}
	return out, true
}

// abandonDeferred deletes the resource d created without its references
// and returns the 409 entry saying why and what is left.
func (q *request) abandonDeferred(d *bulkDeferred, why string) bulkResult {
	names := make([]string, 0, len(d.left))
	for k, v := range d.left {
		if sub, ok := v.(map[string]any); ok && d.res.Type.Extension(k) != nil {
			for sk := range sub {
				names = append(names, k+":"+sk)
			}
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	detail := "The operation is part of a circular bulkId reference that could not be resolved: it was created without " +
		strings.Join(names, ", ") + ", and " + why + "; "
	// The delete runs even when the client has gone, so that a stopped
	// attempt leaves nothing behind.
	rec, err := q.serveInternal(context.WithoutCancel(q.r.Context()), d.res, http.MethodDelete, d.id, "", nil, "")
	if err == nil && rec.status == http.StatusNoContent {
		detail += "the resource was deleted again."
	} else {
		detail += "the resource is left without them at " + q.base + "/" + strings.Trim(d.res.Type.Endpoint, "/") + "/" + url.PathEscape(d.id) + "."
	}
	r := errResult(d.op, &Error{Status: http.StatusConflict, Detail: detail})
	r.served = true // its create, the attempt and the delete made records
	return r
}
