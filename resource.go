package scim

import (
	"bytes"
	"encoding/json"

	"github.com/scimkit/scim/filter"
)

// toDoc converts a typed resource to its JSON form: a map with canonical
// attribute names, numbers as json.Number, extensions under their URN keys.
func toDoc(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		// The typed model has only strings, bools, slices and structs.
		panic("scim: cannot encode resource: " + err.Error())
	}
	return decodeDoc(b)
}

func decodeDoc(b []byte) map[string]any {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		panic("scim: cannot decode resource: " + err.Error())
	}
	return m
}

// fromDoc converts a JSON-form resource into a typed one. The document must
// already be normalised and validated against the resource type's schema.
func fromDoc(doc map[string]any, v any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// UserDoc returns u in its JSON form, the form filter.Match evaluates.
func UserDoc(u *User) map[string]any { return toDoc(u) }

// GroupDoc returns g in its JSON form, the form filter.Match evaluates.
func GroupDoc(g *Group) map[string]any { return toDoc(g) }

// MatchUser reports whether u matches the resolved filter f; a nil filter
// matches every user. Stores that evaluate filters in memory use it.
func MatchUser(f filter.Expr, u *User) bool {
	return f == nil || filter.Match(f, UserDoc(u))
}

// MatchGroup reports whether g matches the resolved filter f; a nil filter
// matches every group.
func MatchGroup(f filter.Expr, g *Group) bool {
	return f == nil || filter.Match(f, GroupDoc(g))
}

// MatchMember reports whether the group member m matches f, a filter
// resolved relative to the members attribute (as in MemberOp.Filter).
func MatchMember(f filter.Expr, m Member) bool {
	return f == nil || filter.Match(f, toDoc(m))
}
