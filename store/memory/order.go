package memory

import "github.com/scimkit/scim"

// order keeps records in insertion order. A delete only marks the record
// (the caller sets its dead flag and calls removed); the slice is compacted
// once dead entries outnumber live ones, so deletes cost O(1) amortized
// and a scan never visits more than twice the live records.
type order[T interface{ isDead() bool }] struct {
	items []T
	dead  int
}

func (o *order[T]) add(x T) { o.items = append(o.items, x) }

// removed notes that one item has been marked dead, and compacts if due.
func (o *order[T]) removed() {
	o.dead++
	o.compact()
}

// compact drops dead items once they outnumber live ones. It must not run
// while each is iterating.
func (o *order[T]) compact() {
	if o.dead > 32 && o.dead > len(o.items)/2 {
		live := o.items[:0]
		for _, x := range o.items {
			if !x.isDead() {
				live = append(live, x)
			}
		}
		clear(o.items[len(live):]) // drop references for the collector
		o.items = live
		o.dead = 0
	}
}

// each calls fn for every live item in insertion order.
func (o *order[T]) each(fn func(T)) {
	for _, x := range o.items {
		if !x.isDead() {
			fn(x)
		}
	}
}

// member is one entry of a group's member set.
type member struct {
	user    *userRec
	display string
	typ     string
	dead    bool
}

func (m *member) isDead() bool { return m.dead }

func (m *member) out() scim.Member {
	return scim.Member{Value: m.user.u.ID, Display: m.display, Type: m.typ}
}

// memberSet is a group's members: a set keyed by user id for O(1) add and
// remove, plus insertion order for stable output.
type memberSet struct {
	byID  map[string]*member
	order order[*member]
}

// add inserts or updates (display and type) the member for u, and keeps
// u's reverse index in step.
func (ms *memberSet) add(g *groupRec, u *userRec, m scim.Member) {
	if e := ms.byID[u.u.ID]; e != nil {
		e.display, e.typ = m.Display, m.Type
		return
	}
	if ms.byID == nil {
		ms.byID = make(map[string]*member)
	}
	e := &member{user: u, display: m.Display, typ: m.Type}
	ms.byID[u.u.ID] = e
	ms.order.add(e)
	if u.groups == nil {
		u.groups = make(map[*groupRec]struct{}, 1)
	}
	u.groups[g] = struct{}{}
}

// remove deletes the member with the given id, if present, and its
// reverse index entry. It does not compact, so it is safe during each.
func (ms *memberSet) remove(g *groupRec, id string) {
	e := ms.byID[id]
	if e == nil {
		return
	}
	delete(ms.byID, id)
	delete(e.user.groups, g)
	e.dead = true
	ms.order.dead++
}

// compact reclaims dead entries when they outnumber live ones.
func (ms *memberSet) compact() { ms.order.compact() }

// clear removes every member.
func (ms *memberSet) clear(g *groupRec) {
	for _, e := range ms.byID {
		delete(e.user.groups, g)
	}
	*ms = memberSet{}
}

// list returns the members in insertion order, or nil when there are none.
func (ms *memberSet) list() []scim.Member {
	if len(ms.byID) == 0 {
		return nil
	}
	out := make([]scim.Member, 0, len(ms.byID))
	ms.order.each(func(e *member) { out = append(out, e.out()) })
	return out
}
