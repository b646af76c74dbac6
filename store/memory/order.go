package memory

import (
	"slices"
	"strings"

	"github.com/scimkit/scim"
)

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

// out returns the member with value, its user's ID.
func (m *member) out(value string) scim.Member {
	return scim.Member{Value: value, Display: m.display, Type: m.typ}
}

// memberSet is a group's members: a set keyed by user record for O(1) add
// and remove, plus insertion order for stable output.
type memberSet struct {
	byUser map[*userRec]*member
	order  order[*member]
}

// add inserts or updates (display and type) the member for u, and keeps
// u's reverse index in step. The member's strings are copied, so the
// store keeps none of the caller's memory.
func (ms *memberSet) add(g *groupRec, u *userRec, m scim.Member) {
	display, typ := strings.Clone(m.Display), memberType(m.Type)
	if e := ms.byUser[u]; e != nil {
		e.display, e.typ = display, typ
		return
	}
	if ms.byUser == nil {
		ms.byUser = make(map[*userRec]*member)
	}
	e := &member{user: u, display: display, typ: typ}
	ms.byUser[u] = e
	ms.order.add(e)
	u.groups = append(u.groups, g)
}

// memberType returns an owned copy of a member's type, sharing one copy
// of the values the server uses.
func memberType(t string) string {
	switch t {
	case "User":
		return "User"
	case "Group":
		return "Group"
	}
	return strings.Clone(t)
}

// remove deletes u's membership, if any, and its reverse index entry. It
// does not compact, so it is safe during each.
func (ms *memberSet) remove(g *groupRec, u *userRec) {
	e := ms.byUser[u]
	if e == nil {
		return
	}
	delete(ms.byUser, u)
	u.leave(g)
	e.dead = true
	ms.order.dead++
}

// leave drops g from u's reverse index.
func (u *userRec) leave(g *groupRec) {
	if i := slices.Index(u.groups, g); i >= 0 {
		last := len(u.groups) - 1
		u.groups[i] = u.groups[last]
		u.groups[last] = nil
		u.groups = u.groups[:last]
	}
}

// compact reclaims dead entries when they outnumber live ones.
func (ms *memberSet) compact() { ms.order.compact() }

// clear removes every member.
func (ms *memberSet) clear(g *groupRec) {
	for u := range ms.byUser {
		u.leave(g)
	}
	*ms = memberSet{}
}

// list returns the members in insertion order, or nil when there are none.
// Their values (user IDs) share one allocation.
func (ms *memberSet) list() []scim.Member {
	n := len(ms.byUser)
	if n == 0 {
		return nil
	}
	ids := make([]byte, 0, n*idLen)
	ms.order.each(func(e *member) { ids = e.user.id.appendText(ids) })
	text := string(ids)
	out := make([]scim.Member, 0, n)
	ms.order.each(func(e *member) {
		out = append(out, e.out(text[:idLen]))
		text = text[idLen:]
	})
	return out
}
