package scim

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// groupMembersAttr is the core Group schema's members attribute, which
// member filters resolve against.
var groupMembersAttr = sync.OnceValue(func() *schema.Attribute {
	return schema.CoreGroup().Attr("members")
})

// splitGroupPatch separates the operations on a group's members from the
// others and turns them into store deltas, so that concurrent member
// changes are never lost to a read-modify-write of the whole list:
//
//   - add "members" [..]                         -> AddMembers
//   - remove "members" with a value list (Entra)  -> RemoveMembers of only those
//   - remove "members" with no value             -> RemoveAllMembers
//   - remove members[value eq "x" (or value eq "y" ..)] -> RemoveMembers
//   - remove members[any other filter]           -> RemoveMatchingMembers
//   - replace "members" [..] (Okta)              -> ReplaceMembers
//   - replace "members" with no value or []      -> RemoveAllMembers
//   - a path-less add or replace whose value object has a "members" key:
//     that key is split out as the same operation with path "members"
//
// An add or remove with an empty list changes nothing. Member values must
// be non-empty strings; "$ref" (often null) is dropped since the server
// fills it, "display" and "type" are kept. Operations on member
// sub-attributes (members[..].display, add/replace with a filter) are 400
// mutability: they are immutable. The other operations are returned
// unchanged, in order, for ApplyPatch.
func splitGroupPatch(ops []PatchOp) (attrOps []PatchOp, memberOps []MemberOp, err error) {
	for i, op := range ops {
		kind := strings.ToLower(op.Op)
		if !validOp(kind) {
			return nil, nil, opError(i, Errorf(InvalidSyntax, "\"op\" must be \"add\", \"replace\" or \"remove\"."))
		}
		path := strings.TrimSpace(op.Path)
		if path == "" {
			if kind == "remove" {
				attrOps = append(attrOps, op) // ApplyPatch answers noTarget
				continue
			}
			rest, members, found, err := splitMembersKey(op.Value)
			if err != nil {
				return nil, nil, opError(i, err)
			}
			if !found {
				attrOps = append(attrOps, op)
				continue
			}
			if rest != nil {
				attrOps = append(attrOps, PatchOp{Op: op.Op, Value: rest})
			}
			mo, err := memberOpsFor(kind, filter.Path{}, members)
			if err != nil {
				return nil, nil, opError(i, err)
			}
			memberOps = append(memberOps, mo...)
			continue
		}
		fp, err := filter.ParsePath(path)
		if err != nil {
			return nil, nil, opError(i, pathError(err))
		}
		if !isMembersPath(fp.Attr) {
			attrOps = append(attrOps, op)
			continue
		}
		v, err := decodeValue(op.Value)
		if err != nil {
			return nil, nil, opError(i, err)
		}
		mo, err := memberOpsFor(kind, fp, v)
		if err != nil {
			return nil, nil, opError(i, err)
		}
		memberOps = append(memberOps, mo...)
	}
	return attrOps, memberOps, nil
}

func isMembersPath(ap filter.AttrPath) bool {
	return (ap.URI == "" || strings.EqualFold(ap.URI, schema.GroupURN)) && strings.EqualFold(ap.Name, "members")
}

// splitMembersKey finds a "members" key (any case, optionally
// URN-qualified) in a path-less value object and returns the object
// without it (nil when nothing is left) and the members value. found is
// false when the value is not an object or has no such key.
func splitMembersKey(raw json.RawMessage) (rest json.RawMessage, members any, found bool, err error) {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, nil, false, nil
	}
	var key string
	for k := range m {
		if strings.EqualFold(k, "members") || strings.EqualFold(k, schema.GroupURN+":members") {
			if found {
				return nil, nil, false, errDuplicate("members")
			}
			key, found = k, true
		}
	}
	if !found {
		return nil, nil, false, nil
	}
	if members, err = decodeValue(m[key]); err != nil {
		return nil, nil, false, err
	}
	delete(m, key)
	if len(m) > 0 {
		if rest, err = json.Marshal(m); err != nil {
			return nil, nil, false, Errorf(InvalidSyntax, "\"value\" is not valid JSON.")
		}
	}
	return rest, members, true, nil
}

func errMemberSubs() *Error {
	return Errorf(Mutability, "Member sub-attributes are immutable; add or remove members instead.")
}

// memberOpsFor translates one operation on members (fp.Attr names
// members; fp is zero for a path-less value) into store deltas.
func memberOpsFor(kind string, fp filter.Path, v any) ([]MemberOp, error) {
	if fp.Attr.Sub != "" || fp.Sub != "" {
		return nil, errMemberSubs()
	}
	if fp.Filter != nil {
		if kind != "remove" {
			return nil, errMemberSubs()
		}
		f, err := filter.ResolveWithin(fp.Filter, groupMembersAttr())
		if err != nil {
			return nil, pathError(err)
		}
		if ms, ok := memberValues(f, nil); ok {
			return []MemberOp{{Kind: RemoveMembers, Members: dedupeMembers(ms)}}, nil
		}
		return []MemberOp{{Kind: RemoveMatchingMembers, Filter: f}}, nil
	}
	if kind == "remove" && isNull(v) {
		return []MemberOp{{Kind: RemoveAllMembers}}, nil
	}
	ms, err := memberList(v)
	if err != nil {
		return nil, err
	}
	switch {
	case kind == "replace" && len(ms) == 0:
		return []MemberOp{{Kind: RemoveAllMembers}}, nil
	case kind == "replace":
		return []MemberOp{{Kind: ReplaceMembers, Members: ms}}, nil
	case len(ms) == 0:
		return nil, nil
	case kind == "add":
		return []MemberOp{{Kind: AddMembers, Members: ms}}, nil
	}
	return []MemberOp{{Kind: RemoveMembers, Members: ms}}, nil
}

// memberValues recognises value eq "x", alone or in an or-chain, and
// returns those members.
func memberValues(e filter.Expr, acc []Member) ([]Member, bool) {
	switch n := e.(type) {
	case *filter.Or:
		acc, ok := memberValues(n.Left, acc)
		if !ok {
			return nil, false
		}
		return memberValues(n.Right, acc)
	case *filter.Compare:
		s, ok := n.Value.(string)
		if n.Op != filter.Eq || !strings.EqualFold(n.Path.Name, "value") || n.Path.URI != "" || n.Path.Sub != "" || !ok || s == "" {
			return nil, false
		}
		return append(acc, Member{Value: s}), true
	}
	return nil, false
}

// memberList checks a list of members (one object is a one-element list)
// and returns them without duplicates.
func memberList(v any) ([]Member, error) {
	if isNull(v) {
		return nil, nil
	}
	var l []any
	switch x := v.(type) {
	case []any:
		l = x
	case map[string]any:
		l = []any{x}
	default:
		return nil, errType("members", "a list of objects")
	}
	attr := groupMembersAttr()
	ms := make([]Member, 0, len(l))
	for _, e := range l {
		m, err := normElement(attr, "members", e)
		if err != nil {
			return nil, err
		}
		val, _ := m["value"].(string)
		if strings.TrimSpace(val) == "" {
			return nil, Errorf(InvalidValue, "Every member needs a non-empty \"value\".")
		}
		mem := Member{Value: val}
		mem.Display, _ = m["display"].(string)
		mem.Type, _ = m["type"].(string)
		ms = append(ms, mem)
	}
	return dedupeMembers(ms), nil
}

// dedupeMembers keeps the first of members with the same value.
func dedupeMembers(ms []Member) []Member {
	seen := make(map[string]bool, len(ms))
	return slices.DeleteFunc(ms, func(m Member) bool {
		if seen[m.Value] {
			return true
		}
		seen[m.Value] = true
		return false
	})
}
