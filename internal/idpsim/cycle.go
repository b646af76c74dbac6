package idpsim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
)

// userAction is one change the IdP propagates for a user in an
// incremental cycle.
type userAction uint8

const (
	actChange  userAction = iota // some attributes, sometimes the manager
	actRename                    // a new userName
	actDisable                   // active false (Okta: deactivate instead of delete too)
	actEnable                    // active true
	actDelete                    // hard delete (Entra only)
)

var actionNames = [...]string{"update", "rename", "disable", "enable", "delete"}

// userPlan is a planned user change.
type userPlan struct {
	user    int32
	act     userAction
	attrs   []int // for actChange
	manager int32 // new manager for actChange, or -1
}

// groupAction is one change for a group.
type groupAction uint8

const (
	gactMembers groupAction = iota
	gactRename
	gactDelete
)

var groupActionNames = [...]string{"members", "rename", "delete"}

// groupPlan is a planned group change.
type groupPlan struct {
	group  int32
	act    groupAction
	add    []int32  // users to add
	remove []string // member ids to remove
}

// cyclePlan is everything an incremental cycle changes.
type cyclePlan struct {
	users   []userPlan // all but deletes
	deletes []int32
	groups  []groupPlan
}

// plan draws cycle c's changes from the seed: about 10% of users change
// attributes, 2% are renamed, 3% disabled, half of the disabled re-enabled
// and 1% deleted (at least one of each when there are users); 30% of
// groups change members, 5% are renamed and 2% deleted. It depends only on
// the seed, the cycle and the model, never on scheduling.
func (s *simulation) plan(c int) *cyclePlan {
	rng := rand.New(rand.NewPCG(s.cfg.Seed, uint64(c)))
	p := &cyclePlan{}
	var liveUsers []int32
	for i := range s.users {
		if s.users[i].state == live {
			liveUsers = append(liveUsers, int32(i))
		}
	}
	rng.Shuffle(len(liveUsers), func(a, b int) { liveUsers[a], liveUsers[b] = liveUsers[b], liveUsers[a] })
	l := len(liveUsers)
	want := [...]int{
		actChange:  max(1, l/10),
		actRename:  max(1, l/50),
		actDisable: max(1, l*3/100),
		actDelete:  max(1, l/100),
	}
	disabled := 0
	for _, i := range liveUsers {
		if !s.users[i].active {
			disabled++
		}
	}
	want[actEnable] = (disabled + 1) / 2
	deleting := map[int32]bool{}
	for _, i := range liveUsers {
		u := &s.users[i]
		act := userAction(255)
		switch {
		case !u.active && want[actEnable] > 0:
			act = actEnable
		case s.cfg.Mode.entra() && int(i) >= s.pool && want[actDelete] > 0:
			act = actDelete
		case want[actChange] > 0:
			act = actChange
		case want[actRename] > 0:
			act = actRename
		case u.active && want[actDisable] > 0:
			act = actDisable
		}
		if act == 255 {
			continue
		}
		want[act]--
		if act == actDelete {
			deleting[i] = true
			p.deletes = append(p.deletes, i)
			continue
		}
		up := userPlan{user: i, act: act, manager: -1}
		if act == actChange {
			perm := rng.Perm(numAttrs)
			up.attrs = perm[:1+rng.IntN(4)]
			slices.Sort(up.attrs)
			if rng.IntN(5) == 0 && s.pool > 1 {
				m := int32(rng.IntN(s.pool))
				if m != i && m != u.manager && s.users[m].state == live {
					up.manager = m
				}
			}
		}
		p.users = append(p.users, up)
	}

	var liveGroups []int32
	for g := range s.groups {
		if s.groups[g].state == live {
			liveGroups = append(liveGroups, int32(g))
		}
	}
	rng.Shuffle(len(liveGroups), func(a, b int) { liveGroups[a], liveGroups[b] = liveGroups[b], liveGroups[a] })
	lg := len(liveGroups)
	gwant := [...]int{gactMembers: max(1, lg*3/10), gactRename: max(1, lg/20), gactDelete: 0}
	if lg > 2 {
		gwant[gactDelete] = max(1, lg/50)
	}
	for _, g := range liveGroups {
		act := groupAction(255)
		for a := gactMembers; a <= gactDelete; a++ {
			if gwant[a] > 0 {
				act = a
				break
			}
		}
		if act == 255 {
			break
		}
		gwant[act]--
		gp := groupPlan{group: g, act: act}
		if act == gactMembers {
			gp.remove, gp.add = s.planMembers(rng, int(g), deleting)
		}
		p.groups = append(p.groups, gp)
	}
	return p
}

// planMembers picks 1-3 members to remove and 1-3 provisioned users (not
// being deleted) to add.
func (s *simulation) planMembers(rng *rand.Rand, g int, deleting map[int32]bool) (remove []string, add []int32) {
	gm := &s.groups[g]
	cur := make([]string, 0, len(gm.members))
	for id := range gm.members {
		cur = append(cur, id)
	}
	s.sortMembers(g, cur) // map order is random; the plan must not be
	nr := min(1+rng.IntN(3), len(cur))
	for _, k := range rng.Perm(len(cur))[:nr] {
		remove = append(remove, cur[k])
	}
	na := 1 + rng.IntN(3)
	for tries := 0; len(add) < na && tries < 50 && len(s.users) > 0; tries++ {
		j := int32(rng.IntN(len(s.users)))
		u := &s.users[j]
		if u.state != live || deleting[j] || slices.Contains(add, j) {
			continue
		}
		if _, ok := gm.members[u.id]; ok {
			continue
		}
		add = append(add, j)
	}
	return remove, add
}

// incrementalCycle runs cycle c: user changes, then group changes, then
// deletes, then a check that deleted users left their groups.
func (s *simulation) incrementalCycle(ctx context.Context, c int) {
	p := s.plan(c)
	s.phase(ctx, fmt.Sprintf("cycle %d: users", c), len(p.users), func(ctx context.Context, k int) {
		s.runUserPlan(ctx, p.users[k])
	})
	s.phase(ctx, fmt.Sprintf("cycle %d: groups", c), len(p.groups), func(ctx context.Context, k int) {
		s.runGroupPlan(ctx, p.groups[k])
	})
	s.phase(ctx, fmt.Sprintf("cycle %d: deletes", c), len(p.deletes), func(ctx context.Context, k int) {
		s.deleteUser(ctx, int(p.deletes[k]))
	})
	// The server must drop deleted users from their groups.
	var affected []int
	for g := range s.groups {
		gm := &s.groups[g]
		hit := false
		for _, i := range p.deletes {
			u := &s.users[i]
			if _, ok := gm.members[u.id]; ok && u.state == gone {
				delete(gm.members, u.id)
				hit = true
			}
		}
		if hit && gm.state == live {
			affected = append(affected, g)
		}
	}
	s.phase(ctx, fmt.Sprintf("cycle %d: group check", c), len(affected), func(ctx context.Context, k int) {
		o := s.groupOp(affected[k], "members after user deletes")
		s.verifyGroup(ctx, o, affected[k], true, false)
		o.endCheck()
	})
}

// runUserPlan carries out one planned user change: find the user by
// userName, write the change in the mode's form, read it back.
func (s *simulation) runUserPlan(ctx context.Context, up userPlan) {
	i := int(up.user)
	u := &s.users[i]
	name := actionNames[up.act]
	if s.cfg.Mode == Okta && up.act == actDisable {
		name = "deactivate"
	} else if s.cfg.Mode == Okta && up.act == actEnable {
		name = "reactivate"
	}
	o := s.userOp(i, name)
	lookupReason := ReasonLookupMissed
	if !u.active {
		lookupReason = ReasonDisabledHidden
	}
	s.expectUserFound(ctx, o, i, lookupReason)
	note := ""
	switch up.act {
	case actChange:
		old := make([]uint16, len(up.attrs))
		for k, a := range up.attrs {
			old[k] = u.gens[a]
			u.gens[a] = s.nextGen(a, i, u.gens[a])
		}
		note = fmt.Sprintf("%d attributes", len(up.attrs))
		if up.manager >= 0 {
			note += fmt.Sprintf(", manager u%06d", up.manager)
		}
		// The manager is a reference: Entra writes it in a PATCH of its
		// own, after the attributes; Okta PUTs everything at once.
		newManager := func() (first bool) {
			first = u.manager < 0 || !u.mgrSet
			u.manager, u.mgrSet = up.manager, true
			return first
		}
		if s.cfg.Mode == Okta {
			if up.manager >= 0 {
				newManager()
			}
			s.oktaPut(ctx, o, i)
			break
		}
		s.patchUser(ctx, o, i, patchBody(s.attrOps(i, up.attrs, old)...))
		if up.manager < 0 {
			s.verifyUser(ctx, o, i)
		} else {
			s.sendManager(ctx, o, i, newManager())
		}
	case actRename:
		oldName := s.userName(i, u.nameGen)
		u.nameGen++
		note = "to " + s.userName(i, u.nameGen)
		if s.cfg.Mode == Okta {
			s.oktaPut(ctx, o, i)
		} else {
			s.patchUser(ctx, o, i, patchBody(s.renameOp(s.userName(i, u.nameGen))))
			s.verifyUser(ctx, o, i)
		}
		s.expectUserFound(ctx, o, i, ReasonLookupMissed)
		s.expectUserMissing(ctx, o, oldName, ReasonOldNameFound)
	case actDisable, actEnable:
		u.active = up.act == actEnable
		s.patchUser(ctx, o, i, patchBody(s.activeOp(u.active)))
		s.verifyUser(ctx, o, i)
		s.expectUserFound(ctx, o, i, ReasonDisabledHidden)
	}
	o.end(Updated, note)
}

// deleteUser is Entra's hard delete: DELETE, then the user must be gone
// for GET (404 with the Error schema) and for the userName filter.
func (s *simulation) deleteUser(ctx context.Context, i int) {
	u := &s.users[i]
	o := s.userOp(i, "delete")
	s.expectUserFound(ctx, o, i, ReasonLookupMissed)
	if r, _ := s.call(ctx, o, kDelete, http.MethodDelete, s.userPath(i), nil, "DELETE /Users/{id}", http.StatusNoContent); r == nil {
		o.end(Failed, "")
		return
	}
	u.state = gone
	s.checkNotFound(ctx, o, s.userPath(i), "GET /Users/{id} after DELETE")
	s.expectUserMissing(ctx, o, s.userName(i, u.nameGen), ReasonDeletedFound)
	o.end(Updated, "deleted")
}

// runGroupPlan carries out one planned group change.
func (s *simulation) runGroupPlan(ctx context.Context, gp groupPlan) {
	g := int(gp.group)
	gm := &s.groups[g]
	o := s.groupOp(g, groupActionNames[gp.act])
	s.expectGroupFound(ctx, o, g)
	switch gp.act {
	case gactMembers:
		switch {
		case s.cfg.Mode == Okta:
			// One PATCH: the re-sent name, the removals, the additions.
			ops := []obj{s.groupRenameOp(g)}
			if len(gp.remove) > 0 {
				ops = append(ops, s.memberRemoveOps(gp.remove)...)
			}
			if len(gp.add) > 0 {
				ops = append(ops, s.memberAddOp(gp.add))
			}
			s.applyMembers(g, gp)
			s.patchGroup(ctx, o, g, patchBody(ops...))
			s.verifyGroup(ctx, o, g, true, len(gp.remove) > 0)
		default:
			// Entra: the removals, read back, then the additions.
			if len(gp.remove) > 0 {
				s.applyMembers(g, groupPlan{remove: gp.remove})
				s.patchGroup(ctx, o, g, patchBody(s.memberRemoveOps(gp.remove)...))
				s.verifyGroup(ctx, o, g, true, true)
			}
			if len(gp.add) > 0 {
				s.applyMembers(g, groupPlan{add: gp.add})
				s.patchGroup(ctx, o, g, patchBody(s.memberAddOp(gp.add)))
				s.verifyGroup(ctx, o, g, true, false)
			}
		}
		o.end(Updated, fmt.Sprintf("-%d +%d members", len(gp.remove), len(gp.add)))
	case gactRename:
		gm.nameGen++
		s.patchGroup(ctx, o, g, patchBody(s.groupRenameOp(g)))
		s.verifyGroup(ctx, o, g, false, false)
		s.expectGroupFound(ctx, o, g)
		o.end(Updated, "to "+s.groupName(g, gm.nameGen))
	case gactDelete:
		if r, _ := s.call(ctx, o, kDelete, http.MethodDelete, s.groupPath(g), nil, "DELETE /Groups/{id}", http.StatusNoContent); r == nil {
			o.end(Failed, "")
			return
		}
		gm.state = gone
		s.checkNotFound(ctx, o, s.groupPath(g), "GET /Groups/{id} after DELETE")
		// Group names need not be unique (Okta mode may leave an earlier
		// run's group of the same name): only the deleted id must be gone.
		res := s.checkList(ctx, o, s.groupLookupPath(s.groupName(g, gm.nameGen)), "the displayName lookup")
		if res != nil && res.has(gm.id) {
			o.fail("filter still finds a deleted group", "totalResults %d", res.total)
		}
		o.end(Updated, "deleted")
	}
}

// applyMembers updates the model with a membership change.
func (s *simulation) applyMembers(g int, gp groupPlan) {
	gm := &s.groups[g]
	for _, id := range gp.remove {
		delete(gm.members, id)
	}
	for _, j := range gp.add {
		gm.members[s.users[j].id] = j
	}
}
