package elimityscim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	escim "github.com/elimity-com/scim"
	fp "github.com/scim2/filter-parser/v2"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// groupHandler serves the core Group type: member changes reach the
// elimity handler's Patch as deltas.
type groupHandler struct{ *handler }

// PatchMembers implements scim.MemberPatcher with one call of the elimity
// handler's Patch: a "replace" or "remove" per group attribute that doc
// changes, then the member operations. It answers 204 No Content.
func (h groupHandler) PatchMembers(ctx context.Context, tenant, id string, doc map[string]any, ops []scim.MemberOp, ifVersion string) (map[string]any, error) {
	defer h.lock(tenant, id)()
	var patch []escim.PatchOperation
	if doc != nil || ifVersion != "" {
		old, err := h.Get(ctx, tenant, id, scim.GetOptions{ExcludeMembers: true})
		if err != nil {
			return nil, err
		}
		if v, _ := old["meta"].(map[string]any)["version"].(string); ifVersion != "" && v != ifVersion {
			return nil, scim.ErrVersionMismatch
		}
		if doc != nil {
			patch = h.attributeOps(old, doc)
		}
	}
	for _, op := range ops {
		mo, err := h.memberOps(op)
		if err != nil {
			return nil, err
		}
		patch = append(patch, mo...)
	}
	if len(patch) == 0 {
		return nil, nil
	}
	req, err := h.request(ctx, tenant, http.MethodPatch, id, nil, ifVersion)
	if err != nil {
		return nil, err
	}
	_, err = h.h.Patch(req, id, patch)
	return nil, scimError(err)
}

// attributeOps are the operations that turn old into doc, attribute by
// attribute, members aside (readOnly ones never differ: attributes drops
// them).
func (h groupHandler) attributeOps(old, doc map[string]any) []escim.PatchOperation {
	oldAttrs, newAttrs := attributes(h.rt, old), attributes(h.rt, doc)
	var ops []escim.PatchOperation
	diff := func(uri string, attrs []*schema.Attribute, before, after map[string]any) {
		for _, a := range attrs {
			if uri == "" && a.Name == "members" {
				continue
			}
			was, is := before[a.Name], after[a.Name]
			if reflect.DeepEqual(was, is) {
				continue
			}
			op := escim.PatchOperation{Op: escim.PatchOperationReplace, Path: path(uri, a.Name, nil), Value: is}
			if is == nil {
				op = escim.PatchOperation{Op: escim.PatchOperationRemove, Path: op.Path}
			}
			ops = append(ops, op)
		}
	}
	diff("", slices.Concat(h.rt.Schema.Attributes, []*schema.Attribute{externalID}), oldAttrs, newAttrs)
	for _, e := range h.rt.Extensions {
		before, _ := oldAttrs[e.Schema.ID].(map[string]any)
		after, _ := newAttrs[e.Schema.ID].(map[string]any)
		diff(e.Schema.ID, e.Schema.Attributes, before, after)
	}
	return ops
}

// memberOps are the elimity operations of one member delta.
func (h groupHandler) memberOps(op scim.MemberOp) ([]escim.PatchOperation, error) {
	switch op.Kind {
	case scim.AddMembers:
		return []escim.PatchOperation{{Op: escim.PatchOperationAdd, Path: path("", "members", nil), Value: h.members(op.Members)}}, nil
	case scim.ReplaceMembers:
		return []escim.PatchOperation{{Op: escim.PatchOperationReplace, Path: path("", "members", nil), Value: h.members(op.Members)}}, nil
	case scim.RemoveAllMembers:
		return []escim.PatchOperation{{Op: escim.PatchOperationRemove, Path: path("", "members", nil)}}, nil
	case scim.RemoveMembers:
		ops := make([]escim.PatchOperation, len(op.Members))
		for i, m := range op.Members {
			eq := &fp.AttributeExpression{AttributePath: fp.AttributePath{AttributeName: "value"}, Operator: fp.EQ, CompareValue: m.Value}
			ops[i] = escim.PatchOperation{Op: escim.PatchOperationRemove, Path: path("", "members", eq)}
		}
		return ops, nil
	case scim.RemoveMatchingMembers:
		f, err := expression(op.Filter)
		if err != nil {
			return nil, err
		}
		return []escim.PatchOperation{{Op: escim.PatchOperationRemove, Path: path("", "members", f)}}, nil
	}
	return nil, fmt.Errorf("elimityscim: unknown member operation %d", op.Kind)
}

// members is a member list as elimity's validation passes it.
func (h groupHandler) members(ms []scim.Member) []any {
	list, _ := attributes(h.rt, scim.GroupDoc(&scim.Group{Members: ms}))["members"].([]any)
	if list == nil {
		list = []any{}
	}
	return list
}

// path is the filter-parser path uri:name[f].
func path(uri, name string, f fp.Expression) *fp.Path {
	p := &fp.Path{AttributePath: fp.AttributePath{AttributeName: name}, ValueExpression: f}
	if uri != "" {
		p.AttributePath.URIPrefix = &uri
	}
	return p
}

// expression converts a resolved scimkit filter into filter-parser's
// form, the one elimity handlers read.
func expression(e filter.Expr) (fp.Expression, error) {
	switch n := e.(type) {
	case *filter.And, *filter.Or:
		l, r, op := logical(n)
		left, err := expression(l)
		if err != nil {
			return nil, err
		}
		right, err := expression(r)
		if err != nil {
			return nil, err
		}
		return &fp.LogicalExpression{Left: left, Right: right, Operator: op}, nil
	case *filter.Not:
		x, err := expression(n.X)
		if err != nil {
			return nil, err
		}
		return &fp.NotExpression{Expression: x}, nil
	case *filter.Compare:
		v := n.Value
		if num, ok := v.(filter.Number); ok {
			var err error
			if v, err = number(num); err != nil {
				return nil, err
			}
		}
		return &fp.AttributeExpression{AttributePath: attrPath(n.Path), Operator: fp.CompareOperator(n.Op), CompareValue: v}, nil
	case *filter.ValuePath:
		f, err := expression(n.Filter)
		if err != nil {
			return nil, err
		}
		return &fp.ValuePath{AttributePath: attrPath(n.Path), ValueFilter: f}, nil
	}
	return nil, errors.New("elimityscim: unknown filter node")
}

func logical(e filter.Expr) (l, r filter.Expr, op fp.LogicalOperator) {
	if a, ok := e.(*filter.And); ok {
		return a.Left, a.Right, fp.AND
	}
	o := e.(*filter.Or)
	return o.Left, o.Right, fp.OR
}

func attrPath(p filter.AttrPath) fp.AttributePath {
	out := fp.AttributePath{AttributeName: p.Name}
	if p.URI != "" {
		out.URIPrefix = &p.URI
	}
	if p.Sub != "" {
		out.SubAttribute = &p.Sub
	}
	return out
}

// number is a filter number as filter-parser gives it: an int when it is
// whole, else a float64.
func number(n filter.Number) (any, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, err
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int(f), nil
	}
	return f, nil
}
