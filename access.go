package scim

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/scimkit/scim/schema"
)

// privilegeAttributes are the User attributes a host may map to
// permissions.
var privilegeAttributes = []string{"roles", "entitlements", "userType"}

// PrivilegeAttributes returns the names of the User attributes a host may
// map to permissions: roles, entitlements and userType (RFC 7643 section
// 4.1). Identity providers write only those named in
// Config.WritablePrivileges; see there.
func PrivilegeAttributes() []string { return slices.Clone(privilegeAttributes) }

// checkPrivileges checks Config.WritablePrivileges and returns the names of
// the privilege attributes identity providers may not write.
func checkPrivileges(writable []string) ([]string, error) {
	for _, n := range writable {
		if !slices.Contains(privilegeAttributes, n) {
			return nil, fmt.Errorf("scim: Config.WritablePrivileges: %q is not one of %q", n, privilegeAttributes)
		}
	}
	var locked []string
	for _, n := range privilegeAttributes {
		if !slices.Contains(writable, n) {
			locked = append(locked, n)
		}
	}
	return locked, nil
}

// guardAccess returns the document a create (old nil), replace or patch
// of old stores in place of doc, so that no request grants access by what
// it leaves out or by attributes it may not write. It applies to resource
// types whose core schema is the RFC User schema:
//
//   - active absent (left out of a PUT, removed or set to null by a PATCH)
//     keeps the stored value, and a create without it stores true: a user
//     the server counts as active is active in every view (filters, GET,
//     User.IsActive), and a PUT that leaves active out never reactivates
//     a deactivated user;
//   - the privilege attributes identity providers may not write keep their
//     stored values (none on create), whatever the request says.
//
// doc is not modified.
func (s *Server) guardAccess(rt *schema.ResourceType, old, doc map[string]any) map[string]any {
	if rt.Schema.ID != schema.UserURN {
		return doc
	}
	out, cloned := doc, false
	set := func(name string, v any, ok bool) {
		if cur, had := out[name]; had == ok && (!ok || reflect.DeepEqual(cur, v)) {
			return
		}
		if !cloned {
			out, cloned = maps.Clone(doc), true
		}
		if ok {
			out[name] = v
		} else {
			delete(out, name)
		}
	}
	if a := rt.Schema.Attr("active"); a != nil && a.Type == schema.Boolean {
		if _, ok := doc[a.Name]; !ok {
			v, had := old[a.Name]
			if !had {
				v = true
			}
			set(a.Name, v, true)
		}
	}
	for _, n := range s.lockedPrivileges {
		if a := rt.Schema.Attr(n); a != nil {
			v, had := old[a.Name]
			set(a.Name, v, had)
		}
	}
	return out
}
