package scim

import (
	"github.com/scimkit/scim/filter"
)

// MatchUser reports whether u matches the resolved filter f; a nil filter
// matches every user. Stores that evaluate filters in memory use it.
func MatchUser(f filter.Expr, u *User) bool {
	if f == nil {
		return true
	}
	// Lookups by userName, externalId or id are on every provisioning
	// cycle's path: they read one scalar, so skip building the whole doc.
	var doc map[string]any // made only when the filter reads a value
	if scalarsOnly(f, func(name string) bool {
		v, ok := userScalar(u, name)
		if ok && v != nil {
			if doc == nil {
				doc = make(map[string]any, 2)
			}
			doc[name] = v
		}
		return ok
	}) {
		return filter.Match(f, doc)
	}
	return filter.Match(f, UserDoc(u))
}

// scalarsOnly reports whether every comparison in f is on a top-level core
// attribute that add accepts; add is called with each one's name.
func scalarsOnly(f filter.Expr, add func(name string) bool) bool {
	switch x := f.(type) {
	case *filter.And:
		return scalarsOnly(x.Left, add) && scalarsOnly(x.Right, add)
	case *filter.Or:
		return scalarsOnly(x.Left, add) && scalarsOnly(x.Right, add)
	case *filter.Not:
		return scalarsOnly(x.X, add)
	case *filter.Compare:
		p := x.Path
		return p.Sub == "" && p.Resolved.Attr != nil && p.Resolved.Schema != nil && !p.Resolved.Extension && p.Resolved.Sub == nil && add(p.Name)
	}
	return false
}

// userScalar returns the JSON-form value of u's single-valued top-level
// attribute name (nil when absent), or false for any other attribute.
func userScalar(u *User, name string) (any, bool) {
	var s string
	switch name {
	case "id":
		s = u.ID
	case "externalId":
		s = u.ExternalID
	case "userName":
		return u.UserName, true // present even when empty, as in UserDoc
	case "displayName":
		s = u.DisplayName
	case "nickName":
		s = u.NickName
	case "profileUrl":
		s = u.ProfileURL
	case "title":
		s = u.Title
	case "userType":
		s = u.UserType
	case "preferredLanguage":
		s = u.PreferredLanguage
	case "locale":
		s = u.Locale
	case "timezone":
		s = u.Timezone
	case "active":
		if u.Active == nil {
			return nil, true
		}
		return *u.Active, true
	default:
		return nil, false
	}
	if s == "" {
		return nil, true
	}
	return s, true
}

// MatchGroup reports whether g matches the resolved filter f; a nil filter
// matches every group.
func MatchGroup(f filter.Expr, g *Group) bool {
	return f == nil || filter.Match(f, GroupDoc(g))
}

// MatchMember reports whether the group member m matches f, a filter
// resolved relative to the members attribute (as in MemberOp.Filter).
func MatchMember(f filter.Expr, m Member) bool {
	return f == nil || filter.Match(f, memberDoc(m))
}
