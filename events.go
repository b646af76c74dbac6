package scim

import (
	"crypto/rand"
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"time"
)

// EventKind says what happened to a resource.
type EventKind string

// Event kinds. A resource type other than User and Group gets kinds named
// the same way from its lower-cased name, e.g. "device.created".
const (
	UserCreated EventKind = "user.created"
	// UserUpdated: attributes changed, other than a change of active that
	// UserDeactivated or UserReactivated describes.
	UserUpdated EventKind = "user.updated"
	// UserDeactivated: active went from true (or absent, which counts as
	// true) to false. Changes lists every attribute the write changed.
	UserDeactivated EventKind = "user.deactivated"
	// UserReactivated: active went from false to true (or absent).
	UserReactivated EventKind = "user.reactivated"
	UserDeleted     EventKind = "user.deleted"
	GroupCreated    EventKind = "group.created"
	// GroupUpdated: attributes other than members changed.
	GroupUpdated EventKind = "group.updated"
	GroupDeleted EventKind = "group.deleted"
	// MembersAdded: the users in Event.Members became members of the group.
	MembersAdded EventKind = "group.members.added"
	// MembersRemoved: the users in Event.Members stopped being members of
	// the group, by a group write or because they were deleted.
	MembersRemoved EventKind = "group.members.removed"
)

// Event describes one change to one resource, after it committed. Its JSON
// encoding is what the example server's -events flag prints.
type Event struct {
	// ID identifies the event. It is unique, and the same on every
	// delivery of the event, so a handler can drop repeats.
	ID   string    `json:"id"`
	Kind EventKind `json:"kind"`
	// Tenant, ResourceType ("User", "Group") and ResourceID name the
	// resource that changed.
	Tenant       string `json:"tenant"`
	ResourceType string `json:"resourceType"`
	ResourceID   string `json:"resourceId"`
	// Version is the resource's version after the change as its store
	// keeps it (responses show it in meta.version and ETag as the weak
	// entity-tag W/"<Version>"); empty after a delete.
	Version string `json:"version,omitempty"`
	// Time is when the store made the change.
	Time time.Time `json:"time"`
	// Changes are the attributes the write changed, in path order. A
	// created resource lists every attribute with no Old value, a deleted
	// one every attribute with no New value. Group members are not listed
	// here but in MembersAdded and MembersRemoved events.
	Changes []Change `json:"changes,omitempty"`
	// Members are the user ids of a MembersAdded or MembersRemoved event,
	// sorted: exactly the ones whose membership the write changed.
	Members []string `json:"members,omitempty"`
	// RequestID is the request's X-Request-Id (see RequestInfo).
	RequestID string `json:"requestId,omitempty"`
	// UserAgent is the User-Agent of the identity provider that sent the
	// request, cut to 256 bytes.
	UserAgent string `json:"userAgent,omitempty"`
}

// Change is one changed attribute. Values are in the resource's JSON form
// (what UserDoc and GroupDoc return): strings, bools, json.Number,
// []any and map[string]any; nil means absent.
//
// Attribute is the attribute's path: "active", "name.givenName" (a
// single-valued complex attribute is compared sub-attribute by
// sub-attribute), "emails" (a multi-valued attribute is compared, and
// reported, whole), and for an extension its URN and the attribute,
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".
// id, meta, schemas, a user's groups and a group's members never appear,
// and neither does any attribute named password.
type Change struct {
	Attribute string `json:"attribute"`
	Old       any    `json:"old,omitempty"`
	New       any    `json:"new,omitempty"`
}

// CommittedWrite is one committed write to a resource, from which Events
// builds the events it makes. Stores with an Outbox build their events
// with it, inside the write's transaction.
type CommittedWrite struct {
	Tenant string
	// ResourceType is the resource type's name: "User", "Group", or a
	// host's own.
	ResourceType string
	// Old and New are the resource in its JSON form before and after the
	// write: a nil Old means it was created, a nil New that it was
	// deleted. The id is read from "id" and the version from
	// "meta"."version". They are only read.
	Old, New map[string]any
	// MembersAdded and MembersRemoved are the user ids whose membership of
	// a group the write really changed. Members lists in Old and New are
	// not compared: a store that changes members as deltas knows them
	// without reading the whole list.
	MembersAdded, MembersRemoved []string
	// Time is when the change was made; zero means now.
	Time time.Time
	// Request is the request that made the change (RequestInfoFrom).
	Request RequestInfo
}

// Events returns the events of w, in order: the resource's own event
// (created, updated, deactivated, reactivated or deleted), then for a
// group MembersAdded and MembersRemoved. A write that changed nothing
// makes none. Each event gets a new random ID.
func (w CommittedWrite) Events() []Event {
	if w.Old == nil && w.New == nil {
		return nil
	}
	at := w.Time
	if at.IsZero() {
		at = time.Now()
	}
	base := Event{
		Tenant:       w.Tenant,
		ResourceType: w.ResourceType,
		ResourceID:   docString(w.New, "id"),
		Time:         at.UTC(),
		RequestID:    w.Request.ID,
		UserAgent:    w.Request.UserAgent,
	}
	if base.ResourceID == "" {
		base.ResourceID = docString(w.Old, "id")
	}
	if meta, ok := w.New["meta"].(map[string]any); ok {
		base.Version, _ = meta["version"].(string)
	}
	var out []Event
	changes := diffDocs(w.ResourceType, w.Old, w.New)
	if kind := w.kind(changes); kind != "" {
		e := base
		e.Kind, e.Changes = kind, changes
		out = append(out, e)
	}
	if w.ResourceType == "Group" && w.New != nil {
		for _, m := range []struct {
			kind EventKind
			ids  []string
		}{{MembersAdded, w.MembersAdded}, {MembersRemoved, w.MembersRemoved}} {
			if len(m.ids) > 0 {
				e := base
				e.Kind, e.Members = m.kind, slices.Sorted(slices.Values(m.ids))
				out = append(out, e)
			}
		}
	}
	for i := range out {
		out[i].ID = newEventID()
	}
	return out
}

// kind returns the kind of the resource's own event, or "" for none.
func (w CommittedWrite) kind(changes []Change) EventKind {
	prefix := strings.ToLower(w.ResourceType) + "."
	switch {
	case w.Old == nil:
		return EventKind(prefix + "created")
	case w.New == nil:
		return EventKind(prefix + "deleted")
	case len(changes) == 0:
		return ""
	}
	if w.ResourceType == "User" {
		was, is := docActive(w.Old), docActive(w.New)
		switch {
		case was && !is:
			return UserDeactivated
		case !was && is:
			return UserReactivated
		}
	}
	return EventKind(prefix + "updated")
}

// docActive reads active as User.IsActive does: absent is true.
func docActive(doc map[string]any) bool {
	b, ok := doc["active"].(bool)
	return !ok || b
}

func docString(doc map[string]any, key string) string {
	s, _ := doc[key].(string)
	return s
}

// diffDocs returns the attribute changes from old to new, sorted by path.
func diffDocs(resourceType string, old, new map[string]any) []Change {
	return diffChanges(nil, resourceType, old, new, true)
}

// diffChanges appends the attribute changes from old to new to out,
// sorted by path; with values, each with copies of its old and new
// values, else with the attribute's name alone.
func diffChanges(out []Change, resourceType string, old, new map[string]any, values bool) []Change {
	skip := func(k string) bool {
		switch k {
		case "id", "meta", "schemas":
			return true
		case "groups":
			return resourceType == "User"
		case "members":
			return resourceType == "Group"
		}
		return false
	}
	for _, k := range unionKeys(old, new) {
		if skip(k) || passwordName(k) {
			continue
		}
		ov, nv := old[k], new[k]
		if strings.HasPrefix(k, "urn:") {
			om, ook := objectOrAbsent(ov)
			nm, nok := objectOrAbsent(nv)
			if ook && nok {
				for _, a := range unionKeys(om, nm) {
					if !passwordName(a) {
						out = diffAttr(out, changePath{k, ":", a}, om[a], nm[a], values)
					}
				}
				continue
			}
		}
		out = diffAttr(out, changePath{name: k}, ov, nv, values)
	}
	return out
}

// changePath is an attribute's path as a Change names it, joined only for
// an attribute that changed: most of a write's attributes do not.
type changePath struct{ parent, sep, name string }

func (p changePath) String() string { return p.parent + p.sep + p.name }

// diffAttr appends the change of one attribute: a single-valued complex
// one sub-attribute by sub-attribute, any other whole.
func diffAttr(out []Change, path changePath, ov, nv any, values bool) []Change {
	om, ook := objectOrAbsent(ov)
	nm, nok := objectOrAbsent(nv)
	if ook && nok && (om != nil || nm != nil) {
		full := path.String()
		for _, s := range unionKeys(om, nm) {
			if !passwordName(s) {
				out = diffValue(out, changePath{full, ".", s}, om[s], nm[s], values)
			}
		}
		return out
	}
	return diffValue(out, path, ov, nv, values)
}

func diffValue(out []Change, path changePath, ov, nv any, values bool) []Change {
	ov, nv = absentIfEmpty(ov), absentIfEmpty(nv)
	if sameValue(ov, nv) {
		return out
	}
	if !values {
		return append(out, Change{Attribute: path.String()})
	}
	// Copies: the documents go on to be encoded and decorated while the
	// event is delivered in the background.
	return append(out, Change{Attribute: path.String(), Old: deepCopy(ov), New: deepCopy(nv)})
}

// sameValue is reflect.DeepEqual for documents, without reflection (and
// its map of visited values) for the JSON types they hold; other types
// go to reflect.DeepEqual. Its depth is the document's, which the
// parsers bound.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		if len(x) > 0 && &x[0] == &y[0] {
			return true // one list, as reflect.DeepEqual finds too
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		if reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer() {
			return true // one map
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// objectOrAbsent returns v as an object, with true when v is an object or
// absent.
func objectOrAbsent(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case nil:
		return nil, true
	}
	return nil, false
}

// absentIfEmpty treats an empty list or object as absent, as the JSON form
// of the typed model (which omits them) does.
func absentIfEmpty(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil
		}
	case map[string]any:
		if len(x) == 0 {
			return nil
		}
	}
	return v
}

func passwordName(name string) bool { return strings.EqualFold(name, "password") }

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// newEventID returns 128 random bits in hex.
func newEventID() string { return randomHex(16) }

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b)
}
