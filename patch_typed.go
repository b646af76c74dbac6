package scim

import (
	"errors"
	"slices"
	"strings"

	"github.com/scimkit/scim/schema"
)

// A user PATCH whose operations each add or replace one single-valued
// string or boolean core attribute (Entra's disable and re-enable, a
// title, a displayName) is applied to the typed user the store returns,
// with no document form of it: what the PATCH engine makes of such
// operations is known field by field. Anything else, and any operation
// the engine would refuse, takes the engine. TestTypedPatchParity holds
// the two to the same answers and the same stored users.

// typedSet is one operation of a typed PATCH: set the attribute name to
// value (a string or a bool), or clear it when value is nil.
type typedSet struct {
	name  string
	value any
}

// planTypedPatch returns ops as typed sets, or false when one of them
// needs the PATCH engine. vals are the operations' decoded values.
func (s *Server) planTypedPatch(rt *schema.ResourceType, ops []PatchOp, vals []any) ([]typedSet, bool) {
	if vals == nil || len(ops) > MaxPatchOperations || rt.Schema.ID != schema.UserURN {
		return nil, false
	}
	for _, e := range rt.Extensions {
		if e.Required {
			return nil, false // the engine checks the stored extension too
		}
	}
	p := &patcher{rt: rt}
	sets := make([]typedSet, 0, len(ops))
	for i, op := range ops {
		kind := strings.ToLower(op.Op)
		path := strings.TrimSpace(op.Path)
		if kind != "add" && kind != "replace" || path == "" {
			return nil, false
		}
		t, err := p.resolve(path)
		if err != nil || t.ext != nil || t.filter != nil || t.sub != nil {
			return nil, false
		}
		a := t.attr
		if a.MultiValued || a.Required || a.Mutability != schema.ReadWrite || isPassword(rt, a) ||
			!typedField(a) || slices.Contains(s.lockedPrivileges, a.Name) {
			return nil, false
		}
		v := vals[i]
		nv, err := normValueAt(a, p.named(t), v)
		if err != nil {
			return nil, false
		}
		if nv == nil && !isNull(v) && kind == "add" {
			continue // adding an empty list or object adds nothing
		}
		sets = append(sets, typedSet{name: a.Name, value: nv})
	}
	return sets, true
}

// typedField reports whether a is one of the User fields a typed PATCH
// sets.
func typedField(a *schema.Attribute) bool {
	switch a.Name {
	case "active":
		return a.Type == schema.Boolean
	case "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone":
		return a.Type == schema.String
	}
	return false
}

// apply sets the attribute on u.
func (t typedSet) apply(u *User) {
	if t.name == "active" {
		u.Active = nil
		if b, ok := t.value.(bool); ok {
			u.Active = &b
		}
		return
	}
	s, _ := t.value.(string)
	switch t.name {
	case "displayName":
		u.DisplayName = s
	case "nickName":
		u.NickName = s
	case "profileUrl":
		u.ProfileURL = s
	case "title":
		u.Title = s
	case "userType":
		u.UserType = s
	case "preferredLanguage":
		u.PreferredLanguage = s
	case "locale":
		u.Locale = s
	case "timezone":
		u.Timezone = s
	}
}

// sameTyped reports whether a and b agree on every attribute a typed
// PATCH sets.
func sameTyped(a, b *User) bool {
	return a.DisplayName == b.DisplayName && a.NickName == b.NickName && a.ProfileURL == b.ProfileURL &&
		a.Title == b.Title && a.UserType == b.UserType && a.PreferredLanguage == b.PreferredLanguage &&
		a.Locale == b.Locale && a.Timezone == b.Timezone && (a.Active == nil) == (b.Active == nil) &&
		(a.Active == nil || *a.Active == *b.Active)
}

// patchTyped runs the typed PATCH sets on the user id of store, as update
// runs the engine's: in the resource's turn, a compare-and-swap on the
// version read, retried when another write won. It returns the user as
// stored, written or not.
func (q *request) patchTyped(res *Resource, store UserStore, id string, sets []typedSet, ifMatch *etagSet) (*User, error) {
	ctx := q.r.Context()
	unlock, err := q.s.writes.lock(ctx, q.tenant+"\x00"+endpointKey(res.Type)+"\x00"+id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	for range maxWriteRetries {
		old, err := store.GetUser(ctx, q.tenant, id)
		if err != nil {
			return nil, err
		}
		cur := old.Meta.Version
		if !ifMatch.matches(cur) {
			return nil, ErrVersionMismatch
		}
		u := *old
		for _, t := range sets {
			t.apply(&u)
		}
		if a := res.Type.Schema.Attr("active"); a != nil && a.Type == schema.Boolean && u.Active == nil {
			// As guardAccess: active is never cleared, and a user without
			// it is active.
			u.Active = old.Active
			if u.Active == nil {
				u.Active = new(true)
			}
		}
		if sameTyped(old, &u) {
			return old, nil
		}
		u.ID = id
		var oldDoc map[string]any
		if q.changes {
			// Before the write: u shares old's lists with the store.
			oldDoc = UserDoc(old)
		}
		out, err := store.ReplaceUser(ctx, q.tenant, &u, cur)
		if errors.Is(err, ErrVersionMismatch) && cur != "" {
			continue
		}
		if err == nil {
			q.noteUserWrite(res, oldDoc, out)
		}
		return out, err
	}
	return nil, errBusy
}

// typedPatchStore returns the store behind res when a PATCH of it may
// take the typed path: the built-in user handler, answered in the default
// shape, with no hook or in-process event that needs the documents.
func (q *request) typedPatchStore(res *Resource, defaultShape bool) (UserStore, bool) {
	if _, ok := q.typedReplacer(res, defaultShape); !ok || q.s.cfg.BeforeWrite != nil {
		return nil, false
	}
	us, ok := res.Handler.(UserStore)
	return us, ok
}
