package idpsim

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Groups are provisioned in three phases: match or create each group;
// then all membership PATCHes, those of one group concurrently; then one
// read-back per group.

// memberBatch is how many members one Entra group PATCH adds at most: Entra
// batches membership changes (the batch size is undocumented).
const memberBatch = 10

// groupPath is the resource path of group g.
func (s *simulation) groupPath(g int) string { return "/Groups/" + url.PathEscape(s.groups[g].id) }

// groupPatchStatus is what a group PATCH must answer: Entra expects 204;
// Okta also accepts 200.
func (s *simulation) groupPatchStatus() []int {
	if s.cfg.Mode == Okta {
		return []int{http.StatusNoContent, http.StatusOK}
	}
	return []int{http.StatusNoContent}
}

// provisionGroup is the initial cycle for group g: match by displayName,
// in the Entra modes then by externalId (a group an earlier run renamed),
// then create it. Okta's Group Push links groups by name alone: in Okta
// mode a group an earlier run renamed is left as it is and a new one is
// created.
func (s *simulation) provisionGroup(ctx context.Context, g int) {
	gm := &s.groups[g]
	o := s.groupOp(g, "provision")
	name := s.groupName(g, gm.nameGen)
	res := s.checkList(ctx, o, s.groupLookupPath(name), "the displayName lookup")
	if res != nil && res.total == 0 && s.cfg.Mode.entra() {
		res = s.checkList(ctx, o, s.groupMatchPath("externalId", s.groupExternalID(g)), "the externalId lookup")
	}
	switch {
	case res == nil:
		gm.state = broken
		o.end(Failed, "")
		return
	case res.total == 0:
		if !s.createGroup(ctx, o, g) {
			return
		}
	case len(res.resources) == 0:
		gm.state = broken
		o.fail("filter reports matches but returns no usable resource", "totalResults %d", res.total)
		o.end(Failed, "")
		return
	default:
		if s.cfg.Mode.entra() {
			s.checkExcluded(o, "the group lookup", res.resources[0])
		}
		id, _ := res.resources[0]["id"].(string)
		gm.id, gm.state = id, live
		// Adopt the members it has, so that the read-backs compare with
		// what the server should hold; bring back a name an earlier run
		// changed, and (Entra) a differing externalId.
		r, ok := s.call(ctx, o, kGet, http.MethodGet, s.groupPath(g), nil, "GET /Groups/{id}", http.StatusOK)
		var doc map[string]any
		if ok {
			doc = o.object(r, "GET /Groups/{id}")
		}
		if doc == nil {
			o.end(Failed, "")
			return
		}
		ids, _ := memberIDs(doc)
		s.adoptMembers(g, ids)
		var ops []obj
		var changed []string
		if dn, _ := doc["displayName"].(string); dn != name {
			ops, changed = append(ops, s.groupRenameOp(g)), append(changed, "displayName")
		}
		if ext, _ := doc["externalId"].(string); s.cfg.Mode.entra() && ext != s.groupExternalID(g) {
			ops = append(ops, obj{{"op", s.opName("replace")}, {"path", "externalId"}, {"value", s.groupExternalID(g)}})
			changed = append(changed, "externalId")
		}
		if len(ops) > 0 {
			s.patchGroup(ctx, o, g, patchBody(ops...))
			s.verifyGroup(ctx, o, g, false, false)
			s.expectGroupFound(ctx, o, g)
			o.end(Updated, fmt.Sprintf("matched id %s with %d members; %s updated", id, len(gm.members), strings.Join(changed, " and ")))
		} else {
			o.end(Skipped, fmt.Sprintf("matched id %s with %d members", id, len(gm.members)))
		}
	}
}

// createGroup POSTs group g and reads it back as Entra does, without
// members.
func (s *simulation) createGroup(ctx context.Context, o *op, g int) bool {
	gm := &s.groups[g]
	r, _ := s.call(ctx, o, kCreate, http.MethodPost, "/Groups", s.groupResource(g), "POST /Groups", http.StatusCreated)
	if r == nil || r.status >= 300 {
		gm.state = broken
		o.end(Failed, "")
		return false
	}
	doc := o.object(r, "POST /Groups")
	id, _ := doc["id"].(string)
	if id == "" {
		gm.state = broken
		o.fail(ReasonNoID, "%s answered %d", r, r.status)
		o.end(Failed, "")
		return false
	}
	gm.id, gm.state = id, live
	s.checkGroup(o, r, "in the POST response", doc, g, true, false)
	s.verifyGroup(ctx, o, g, false, false)
	s.expectGroupFound(ctx, o, g)
	o.end(Created, "id "+id)
	return true
}

// memberBatchTask is one membership PATCH of the initial cycle: users to
// add, or member ids to remove.
type memberBatchTask struct {
	group  int
	users  []int32
	remove []string
}

// planInitialMembers draws each group's members, records them in the
// model, and splits them into PATCHes of memberBatch members. A matched
// group's members that are simulated users but not drawn are removed, so
// that after the initial cycle the groups hold what they hold after one on
// a fresh server.
func (s *simulation) planInitialMembers() []memberBatchTask {
	var tasks []memberBatchTask
	for g := range s.groups {
		gm := &s.groups[g]
		if gm.state != live || s.cfg.Members == 0 {
			continue
		}
		want, drop := s.pickMembers(g)
		if len(drop) > 0 {
			for _, id := range drop {
				delete(gm.members, id)
			}
			tasks = append(tasks, memberBatchTask{group: g, remove: drop})
			gm.batches++
			gm.removed = len(drop)
		}
		gm.added = len(want)
		for k := 0; k < len(want); k += memberBatch {
			batch := want[k:min(k+memberBatch, len(want))]
			for _, j := range batch {
				gm.members[s.users[j].id] = j
			}
			tasks = append(tasks, memberBatchTask{group: g, users: batch})
			gm.batches++
		}
	}
	return tasks
}

// sendMemberBatch sends one membership PATCH. The batches of a group run
// concurrently, as Entra's do, so a server that updates membership by
// read-modify-write loses members here.
func (s *simulation) sendMemberBatch(ctx context.Context, t memberBatchTask) {
	g := t.group
	o := s.groupOp(g, "members batch")
	var ops []obj
	if len(t.remove) > 0 {
		ops = s.memberRemoveOps(t.remove)
	} else {
		ops = []obj{s.memberAddOp(t.users)}
	}
	if s.cfg.Mode == Okta {
		ops = append([]obj{s.groupRenameOp(g)}, ops...)
	}
	s.patchGroup(ctx, o, g, patchBody(ops...))
	if o.failed() {
		s.groups[g].batchFails.Add(1)
	}
	o.endCheck()
}

// checkInitialMembers reads group g's members back once all its batches
// are done.
func (s *simulation) checkInitialMembers(ctx context.Context, g int) {
	gm := &s.groups[g]
	if gm.state != live || s.cfg.Members == 0 {
		return
	}
	o := s.groupOp(g, "members")
	if gm.batches == 0 {
		o.end(Skipped, fmt.Sprintf("%d members, none to add", len(gm.members)))
		return
	}
	s.verifyGroup(ctx, o, g, true, gm.removed > 0)
	if n := gm.batchFails.Load(); n > 0 {
		o.fail("member PATCHes failed", "%d of %d PATCHes failed (see the members batch lines)", n, gm.batches)
	}
	note := fmt.Sprintf("%d members added in %d concurrent PATCHes", gm.added, gm.batches)
	if gm.removed > 0 {
		note = fmt.Sprintf("%d members added and %d removed in %d concurrent PATCHes", gm.added, gm.removed, gm.batches)
	}
	o.end(Updated, note)
}

// pickMembers draws the group's Members provisioned users,
// deterministically, and returns those not yet members, and the ids of
// members that are simulated users not drawn.
func (s *simulation) pickMembers(g int) (add []int32, drop []string) {
	gm := &s.groups[g]
	n := len(s.users)
	seen := map[int32]bool{}
	h := mix(s.cfg.Seed, uint64(g), domMembers, 0)
	for tries := 0; len(seen) < s.cfg.Members && tries < 20*s.cfg.Members+100; tries++ {
		h = mix(h, uint64(tries), 0, 0)
		j := int32(h % uint64(n))
		u := &s.users[j]
		if seen[j] || u.state != live {
			continue
		}
		seen[j] = true
		if _, ok := gm.members[u.id]; !ok {
			add = append(add, j)
		}
	}
	for id, j := range gm.members {
		if j >= 0 && !seen[j] {
			drop = append(drop, id)
		}
	}
	return add, s.sortMembers(g, drop)
}

// sortMembers orders member ids of group g by user index, then id: the
// server's ids differ from run to run, and plans must not depend on them.
func (s *simulation) sortMembers(g int, ids []string) []string {
	gm := &s.groups[g]
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(gm.members[a], gm.members[b]), strings.Compare(a, b))
	})
	return ids
}

// patchGroup sends a group PATCH.
func (s *simulation) patchGroup(ctx context.Context, o *op, g int, body []byte) bool {
	_, ok := s.call(ctx, o, kPatchGroup, http.MethodPatch, s.groupPath(g), body, "PATCH /Groups/{id}", s.groupPatchStatus()...)
	return ok
}

// verifyGroup reads group g back, with its members or (as Entra does)
// with excludedAttributes=members. removal says the last PATCH removed
// members.
func (s *simulation) verifyGroup(ctx context.Context, o *op, g int, members, removal bool) {
	path := s.groupPath(g)
	if !members && s.cfg.Mode.entra() {
		path += "?excludedAttributes=members"
	}
	r, ok := s.call(ctx, o, kGet, http.MethodGet, path, nil, "GET /Groups/{id}", http.StatusOK)
	if !ok {
		return
	}
	if doc := o.object(r, "GET /Groups/{id}"); doc != nil {
		s.checkGroup(o, r, "on GET", doc, g, members || s.cfg.Mode == Okta, removal)
	}
}

// checkGroup compares a Group document with the model: id, displayName,
// externalId (Entra sends one), and either the members or their absence
// under excludedAttributes=members.
func (s *simulation) checkGroup(o *op, r *response, where string, doc map[string]any, g int, members, removal bool) {
	gm := &s.groups[g]
	if id, _ := doc["id"].(string); id != gm.id {
		o.fail("response is for a different group", "%s %s: id %q, expected %q", r, where, id, gm.id)
		return
	}
	s.checkString(o, r, where, "displayName", doc["displayName"], s.groupName(g, gm.nameGen))
	if s.cfg.Mode.entra() {
		if ext, ok := doc["externalId"]; ok || where == "in the POST response" {
			s.checkString(o, r, where, "externalId", ext, s.groupExternalID(g))
		}
	}
	if members {
		s.checkMembers(o, r, doc, g, removal)
	} else {
		s.checkExcluded(o, r.String(), doc)
	}
}

// checkExcluded requires a group read with excludedAttributes=members to
// come without members.
func (s *simulation) checkExcluded(o *op, where string, doc map[string]any) {
	if ids, _ := memberIDs(doc); len(ids) > 0 {
		o.fail(ReasonMembersExcl, "%s: %d members returned", where, len(ids))
	}
}

// expectGroupFound requires the displayName lookup to find group g.
func (s *simulation) expectGroupFound(ctx context.Context, o *op, g int) {
	gm := &s.groups[g]
	name := s.groupName(g, gm.nameGen)
	res := s.checkList(ctx, o, s.groupLookupPath(name), "the displayName lookup")
	if res == nil {
		return
	}
	if !res.has(gm.id) {
		o.fail(ReasonGroupMissed, "filter displayName eq %q: totalResults %d, id %s not among the results", name, res.total, gm.id)
		return
	}
	if s.cfg.Mode.entra() {
		for _, m := range res.resources {
			s.checkExcluded(o, "the displayName lookup", m)
		}
	}
}
