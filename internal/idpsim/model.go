package idpsim

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// objState is what the simulator believes about an object on the server.
type objState uint8

const (
	pending objState = iota // not provisioned yet
	live                    // provisioned, with a known id
	gone                    // deleted
	broken                  // provisioning failed; later operations skip it
)

// userModel is the simulator's view of one user: what the IdP last sent.
// Attribute values are regenerated from generations, so a user costs a few
// dozen bytes whatever the number of attributes.
type userModel struct {
	id      string
	gens    [numAttrs]uint16 // 0: never sent
	nameGen uint16           // userName generation, from 1
	manager int32            // index of the manager, -1 for none
	mgrSet  bool             // the manager has been sent
	hasMgr  string           // manager id a matched user already had
	active  bool
	state   objState
}

// groupModel is the simulator's view of one group.
type groupModel struct {
	id      string
	nameGen uint16
	members map[string]int32 // member id → user index (-1: not ours)
	state   objState

	added      int          // members added in the initial cycle
	removed    int          // ... and removed (matched groups)
	batches    int          // ... in this many PATCHes
	batchFails atomic.Int32 // ... of which failed
}

// initUsers fills the initial model: which attributes each user has and
// who manages whom. Managers come from a pool of the first tenth of the
// users, and only pool members manage; pool members are never deleted, so
// a manager reference never dangles.
func (s *simulation) initUsers() {
	n := s.cfg.Users
	s.users = make([]userModel, n)
	s.pool = max(1, n/10)
	for i := range s.users {
		u := &s.users[i]
		u.nameGen, u.active, u.manager = 1, true, -1
		for a := range attrs {
			if mix(s.cfg.Seed, uint64(i), domPresent, uint64(a))%100 >= attrs[a].absent {
				u.gens[a] = 1
			}
		}
		h := mix(s.cfg.Seed, uint64(i), domManager, 0)
		switch {
		case i == 0 || h%10 == 0:
		case i < s.pool:
			u.manager = int32((h >> 8) % uint64(i))
		default:
			u.manager = int32((h >> 8) % uint64(s.pool))
		}
	}
	s.groups = make([]groupModel, s.cfg.Groups)
	for g := range s.groups {
		s.groups[g] = groupModel{nameGen: 1, members: map[string]int32{}}
	}
}

// attrValue finds attribute a in a User document. found is false when it
// is absent; dups counts elements of a typed attribute sharing its type.
func attrValue(doc map[string]any, a int) (v any, found bool, dups int) {
	d := &attrs[a]
	switch d.kind {
	case simple:
		v, found = doc[d.name]
	case sub:
		if m, ok := doc[d.parent].(map[string]any); ok {
			v, found = m[d.name]
		}
	case ext:
		if m, ok := doc[entURN].(map[string]any); ok {
			v, found = m[d.name]
		}
	case typed:
		list, _ := doc[d.parent].([]any)
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if t, _ := m["type"].(string); !strings.EqualFold(t, d.typ) {
				continue
			}
			dups++
			if dups == 1 {
				v, found = m[d.name]
			}
		}
	}
	if v == nil {
		found = false
	}
	return v, found, dups
}

// checkUser compares a User document with what was sent for user i: every
// attribute sent so far must read back exactly. where says which response
// it is ("on GET", "in the POST response"). A partial document (the
// response to a write, which need not be the full resource) is checked
// only for what it contains; a GET must contain everything.
func (s *simulation) checkUser(o *op, r *response, where string, doc map[string]any, i int, partial bool) {
	u := &s.users[i]
	id, _ := doc["id"].(string)
	switch {
	case id == "" && !partial:
		o.fail("user without id", "%s %s", r, where)
	case id != "" && u.id != "" && id != u.id:
		o.fail("response is for a different user", "%s %s: id %q, expected %q", r, where, id, u.id)
		return
	}
	str := func(path string, got any, want string) {
		if got == nil && partial {
			return
		}
		s.checkString(o, r, where, path, got, want)
	}
	str("userName", doc["userName"], s.userName(i, u.nameGen))
	str("externalId", doc["externalId"], s.externalID(i))
	switch v := doc["active"].(type) {
	case bool:
		if v != u.active {
			o.fail("active does not read back as sent", "%s %s: sent %t, got %t", r, where, u.active, v)
		}
	case string:
		o.fail(ReasonActiveString, "%s %s: active = %q", r, where, v)
	case nil:
		if !partial {
			o.fail("active missing after write", "%s %s: sent %t", r, where, u.active)
		}
	default:
		o.fail("active is not a boolean", "%s %s: active = %s", r, where, show(v))
	}
	seenDup := map[string]bool{}
	for a := range attrs {
		v, found, dups := attrValue(doc, a)
		d := &attrs[a]
		if dups > 1 && !seenDup[d.parent+d.typ] {
			seenDup[d.parent+d.typ] = true
			o.fail(fmt.Sprintf("%s has %d elements of type %q: Entra requires unique types", d.parent, dups, d.typ), "%s %s", r, where)
		}
		if u.gens[a] == 0 || !found && partial {
			continue
		}
		want := s.value(a, i, u.gens[a])
		if !found {
			o.fail(d.path+" missing after write", "%s %s: sent %q", r, where, want)
			continue
		}
		s.checkString(o, r, where, d.path, v, want)
	}
	if u.mgrSet && u.manager >= 0 {
		if e, _ := doc[entURN].(map[string]any); !partial || e["manager"] != nil {
			s.checkManager(o, r, where, doc, s.users[u.manager].id)
		}
	}
}

// checkString compares one string attribute.
func (s *simulation) checkString(o *op, r *response, where, path string, got any, want string) {
	switch v := got.(type) {
	case string:
		if v != want {
			o.fail(path+" does not read back as sent", "%s %s: sent %q, got %q", r, where, want, v)
		}
	case nil:
		o.fail(path+" missing after write", "%s %s: sent %q", r, where, want)
	default:
		o.fail(path+" is not a string", "%s %s: sent %q, got %s", r, where, want, show(v))
	}
}

// checkManager requires the manager as an object {"value": id}: Entra
// sends a bare id but reads back only the object form.
func (s *simulation) checkManager(o *op, r *response, where string, doc map[string]any, want string) {
	e, _ := doc[entURN].(map[string]any)
	switch m := e["manager"].(type) {
	case map[string]any:
		if v, _ := m["value"].(string); v != want {
			o.fail("manager.value does not read back as sent", "%s %s: sent %q, got %s", r, where, want, show(m))
		}
	case string:
		o.fail(ReasonManagerString, "%s %s: manager = %q", r, where, m)
	case []any:
		o.fail("manager returned as an array: Entra cannot read it back", "%s %s: manager = %s", r, where, show(m))
	case nil:
		o.fail("manager missing after write: the reference was not stored", "%s %s: sent %q", r, where, want)
	default:
		o.fail("manager is not an object", "%s %s: manager = %s", r, where, show(m))
	}
}

// userDiff lists what differs between a found user's document and the
// model: attributes and active. The manager reference is compared later,
// when every manager's id is known.
func (s *simulation) userDiff(doc map[string]any, i int) (diff []int, active bool) {
	u := &s.users[i]
	for a := range attrs {
		if u.gens[a] == 0 {
			continue
		}
		v, found, _ := attrValue(doc, a)
		if sv, _ := v.(string); !found || sv != s.value(a, i, u.gens[a]) {
			diff = append(diff, a)
		}
	}
	if b, ok := doc["active"].(bool); !ok || b != u.active {
		active = true
	}
	return diff, active
}

// managerID reads the manager id of a User document ("" for none).
func managerID(doc map[string]any) string {
	e, _ := doc[entURN].(map[string]any)
	m, _ := e["manager"].(map[string]any)
	v, _ := m["value"].(string)
	return v
}

// memberIDs reads a Group document's member ids; members may be absent or
// null (Okta).
func memberIDs(doc map[string]any) (ids map[string]bool, bad string) {
	ids = map[string]bool{}
	switch v := doc["members"].(type) {
	case nil:
	case []any:
		for _, e := range v {
			m, ok := e.(map[string]any)
			id, _ := m["value"].(string)
			if !ok || id == "" {
				return ids, show(e)
			}
			ids[id] = true
		}
	default:
		return ids, show(v)
	}
	return ids, ""
}

// checkMembers compares a Group document's members with the model.
// removal says the last PATCH removed members, so an empty group is the
// dangerous clear-the-group defect.
func (s *simulation) checkMembers(o *op, r *response, doc map[string]any, g int, removal bool) {
	gm := &s.groups[g]
	got, bad := memberIDs(doc)
	if bad != "" {
		o.fail("members is not a list of {\"value\": id}", "%s: %s", r, bad)
		return
	}
	var missing, extra []string
	for id := range gm.members {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if _, ok := gm.members[id]; !ok {
			extra = append(extra, id)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return
	}
	// Report the defect once: from here on, compare with what the server
	// holds.
	defer s.adoptMembers(g, got)
	if removal && len(got) == 0 && len(gm.members) > 0 {
		o.fail(ReasonGroupCleared, "%s: expected %d members, got none", r, len(gm.members))
		return
	}
	for _, id := range extra {
		if j, ok := s.userIndex(id); ok && s.users[j].state == gone {
			o.fail(ReasonDeletedMember, "%s: %s (u%06d) was deleted", r, id, j)
			return
		}
	}
	o.fail(ReasonMembersDiffer, "%s: %d missing %s, %d unexpected %s", r,
		len(missing), brief(missing), len(extra), brief(extra))
}

// adoptMembers makes the server's member list the model's.
func (s *simulation) adoptMembers(g int, ids map[string]bool) {
	gm := &s.groups[g]
	clear(gm.members)
	for id := range ids {
		j, ok := s.userIndex(id)
		if !ok {
			j = -1
		}
		gm.members[id] = int32(j)
	}
}

// brief shows at most three ids.
func brief(ids []string) string {
	if len(ids) > 3 {
		return "[" + strings.Join(ids[:3], " ") + " ...]"
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// userIndex maps a user id to its index, for deleted-member detection.
func (s *simulation) userIndex(id string) (int, bool) {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	j, ok := s.byID[id]
	return int(j), ok
}

func (s *simulation) setUserID(i int, id string) {
	s.users[i].id = id
	s.idxMu.Lock()
	s.byID[id] = int32(i)
	s.idxMu.Unlock()
}

// obj is a JSON object that keeps its keys in order, so request bodies
// look like the IdP's.
type obj []kv

type kv struct {
	k string
	v any
}

// MarshalJSON implements json.Marshaler.
func (o obj) MarshalJSON() ([]byte, error) { return appendJSON(nil, o) }
