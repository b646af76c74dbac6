package idpsim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// userPath is the resource path of user i.
func (s *simulation) userPath(i int) string { return "/Users/" + url.PathEscape(s.users[i].id) }

// provisionUser is the initial cycle for user i: match by userName, then
// by externalId, then create, or update the match.
//
// The second matching attribute is Entra's matching precedence (userName
// first, then externalId, which holds the Entra object id); in Okta mode it
// stands for Okta's stored link to the user it created. It is what lets a
// run reconcile with an earlier run of the same seed, whose incremental
// cycles renamed some users: found by externalId, they are renamed back
// instead of created again.
func (s *simulation) provisionUser(ctx context.Context, i int) {
	u := &s.users[i]
	o := s.userOp(i, "provision")
	res := s.checkList(ctx, o, s.userLookupPath(s.userName(i, u.nameGen)), "the userName lookup")
	if res != nil && res.total == 0 {
		res = s.checkList(ctx, o, s.userMatchPath("externalId", s.externalID(i)), "the externalId lookup")
		if res != nil && res.total > 1 {
			u.state = broken
			o.fail("filter externalId eq matched several users: the IdP cannot tell which one it provisioned", "%d users", res.total)
			o.end(Failed, "")
			return
		}
	}
	switch {
	case res == nil:
		u.state = broken
		o.end(Failed, "")
	case res.total == 0:
		s.createUser(ctx, o, i)
	case len(res.resources) == 0:
		u.state = broken
		o.fail("filter reports matches but returns no usable resource", "totalResults %d", res.total)
		o.end(Failed, "")
	case res.total > 1:
		u.state = broken
		o.fail("filter userName eq matched several users: userName must be unique", "%d users", res.total)
		o.end(Failed, "")
	default:
		s.matchUser(ctx, o, i, res.resources[0])
	}
}

// createUser POSTs user i and reads it back.
func (s *simulation) createUser(ctx context.Context, o *op, i int) {
	u := &s.users[i]
	r, _ := s.call(ctx, o, kCreate, http.MethodPost, "/Users", s.userResource(i, false), "POST /Users", http.StatusCreated)
	if r == nil || r.status >= 300 {
		u.state = broken
		o.end(Failed, "")
		return
	}
	doc := o.object(r, "POST /Users")
	id, _ := doc["id"].(string)
	if id == "" {
		u.state = broken
		o.fail(ReasonNoID, "%s answered %d", r, r.status)
		o.end(Failed, "")
		return
	}
	s.setUserID(i, id)
	u.state = live
	s.checkUser(o, r, "in the POST response", doc, i, true)
	s.verifyUser(ctx, o, i)
	if s.cfg.Mode == Okta {
		// Okta's current tests look the new user up upper-cased.
		s.expectUserFoundAs(ctx, o, i, strings.ToUpper(s.userName(i, u.nameGen)), ReasonCaseSensitive)
	} else {
		s.expectUserFound(ctx, o, i, ReasonLookupMissed)
	}
	o.end(Created, "id "+id)
}

// matchUser adopts an existing user found by a matching lookup and
// updates what differs (its userName too, when it was found by
// externalId), as Entra does on a first cycle over existing data.
func (s *simulation) matchUser(ctx context.Context, o *op, i int, found map[string]any) {
	u := &s.users[i]
	id, _ := found["id"].(string)
	s.setUserID(i, id)
	u.state = live
	r, ok := s.call(ctx, o, kGet, http.MethodGet, s.userPath(i), nil, "GET /Users/{id}", http.StatusOK)
	if !ok {
		o.end(Failed, "")
		return
	}
	doc := o.object(r, "GET /Users/{id}")
	if doc == nil {
		o.end(Failed, "")
		return
	}
	diff, active := s.userDiff(doc, i)
	u.hasMgr = managerID(doc)
	ext, _ := doc["externalId"].(string)
	name, _ := doc["userName"].(string)
	renamed := name != s.userName(i, u.nameGen)
	if len(diff) == 0 && !active && ext == s.externalID(i) && !renamed {
		s.expectUserFound(ctx, o, i, ReasonLookupMissed)
		o.end(Skipped, "matched id "+id+", already in sync")
		return
	}
	if s.cfg.Mode == Okta {
		// The PUT replaces the whole user: a manager it had is gone until
		// the manager phase sends it again.
		u.hasMgr = ""
		s.oktaPut(ctx, o, i)
	} else {
		old := make([]uint16, len(diff))
		for k, a := range diff {
			if _, has, _ := attrValue(doc, a); has {
				old[k] = 1
			}
		}
		ops := s.attrOps(i, diff, old)
		if renamed {
			ops = append(ops, s.renameOp(s.userName(i, u.nameGen)))
		}
		if ext != s.externalID(i) {
			ops = append(ops, obj{{"op", s.opName("replace")}, {"path", "externalId"}, {"value", s.externalID(i)}})
		}
		if active {
			ops = append(ops, s.activeOp(u.active))
		}
		s.patchUser(ctx, o, i, patchBody(ops...))
		s.verifyUser(ctx, o, i)
	}
	s.expectUserFound(ctx, o, i, ReasonLookupMissed)
	o.end(Updated, fmt.Sprintf("matched id %s, %d attributes updated", id, len(diff)))
}

// patchUser sends a user PATCH: 200 with the user (checked) or 204.
func (s *simulation) patchUser(ctx context.Context, o *op, i int, body []byte) bool {
	r, ok := s.call(ctx, o, kPatchUser, http.MethodPatch, s.userPath(i), body, "PATCH /Users/{id}", http.StatusOK, http.StatusNoContent)
	if ok && r.status == http.StatusOK {
		if doc := o.object(r, "PATCH /Users/{id}"); doc != nil {
			s.checkUser(o, r, "in the PATCH response", doc, i, true)
		}
	}
	return ok
}

// oktaPut is Okta's profile update: GET the user, then PUT the whole
// object; then the careful integrator's read-back.
func (s *simulation) oktaPut(ctx context.Context, o *op, i int) {
	if _, ok := s.call(ctx, o, kGet, http.MethodGet, s.userPath(i), nil, "GET /Users/{id}", http.StatusOK); !ok {
		return
	}
	r, ok := s.call(ctx, o, kPut, http.MethodPut, s.userPath(i), s.userResource(i, true), "PUT /Users/{id}", http.StatusOK)
	if ok {
		if doc := o.object(r, "PUT /Users/{id}"); doc != nil {
			s.checkUser(o, r, "in the PUT response", doc, i, true)
		}
	}
	s.verifyUser(ctx, o, i)
}

// verifyUser reads user i back and compares every attribute sent so far.
func (s *simulation) verifyUser(ctx context.Context, o *op, i int) {
	r, ok := s.call(ctx, o, kGet, http.MethodGet, s.userPath(i), nil, "GET /Users/{id}", http.StatusOK)
	if !ok {
		return
	}
	if doc := o.object(r, "GET /Users/{id}"); doc != nil {
		s.checkUser(o, r, "on GET", doc, i, false)
	}
}

// expectUserFound requires the userName lookup to find user i.
func (s *simulation) expectUserFound(ctx context.Context, o *op, i int, reason string) {
	s.expectUserFoundAs(ctx, o, i, s.userName(i, s.users[i].nameGen), reason)
}

// expectUserFoundAs requires a userName lookup for name to find user i.
func (s *simulation) expectUserFoundAs(ctx context.Context, o *op, i int, name, reason string) {
	u := &s.users[i]
	res := s.checkList(ctx, o, s.userLookupPath(name), "the userName lookup")
	if res != nil && !res.has(u.id) {
		o.fail(reason, "filter userName eq %q: totalResults %d, id %s not among the results", name, res.total, u.id)
	}
}

// expectUserMissing requires a userName lookup to find nothing.
func (s *simulation) expectUserMissing(ctx context.Context, o *op, name, reason string) {
	res := s.checkList(ctx, o, s.userLookupPath(name), "the userName lookup")
	if res != nil && res.total != 0 {
		o.fail(reason, "filter userName eq %q: totalResults %d", name, res.total)
	}
}

// provisionManager writes user i's manager reference after all users
// exist, in a PATCH of its own as Entra does.
func (s *simulation) provisionManager(ctx context.Context, i int) {
	u := &s.users[i]
	if u.manager < 0 || u.state != live || u.mgrSet {
		return
	}
	o := s.userOp(i, "manager")
	if s.users[u.manager].state != live {
		o.end(Skipped, fmt.Sprintf("manager u%06d was not provisioned", u.manager))
		return
	}
	if u.hasMgr != "" && u.hasMgr == s.users[u.manager].id && s.managerConfirmed(ctx, o, i) {
		u.mgrSet = true
		o.end(Skipped, fmt.Sprintf("manager u%06d already set", u.manager))
		return
	}
	s.sendManager(ctx, o, i, u.hasMgr == "")
	o.end(Updated, fmt.Sprintf("manager u%06d", u.manager))
}

// managerConfirmed asks the server whether user i already has its manager,
// as Entra does before writing a reference (Okta reads the user).
func (s *simulation) managerConfirmed(ctx context.Context, o *op, i int) bool {
	u := &s.users[i]
	mid := s.users[u.manager].id
	if s.cfg.Mode == Okta {
		r, ok := s.call(ctx, o, kGet, http.MethodGet, s.userPath(i), nil, "GET /Users/{id}", http.StatusOK)
		if !ok {
			return false
		}
		doc := o.object(r, "GET /Users/{id}")
		return doc != nil && managerID(doc) == mid
	}
	res := s.checkList(ctx, o, s.referencePath(u.id, mid), "the reference check filter id eq and manager eq")
	return res != nil && res.total == 1 && res.has(u.id)
}

// sendManager sets user i's manager: Entra PATCHes the bare id, then runs
// its reference check and reads the user back; Okta PUTs the whole user.
func (s *simulation) sendManager(ctx context.Context, o *op, i int, first bool) {
	u := &s.users[i]
	u.mgrSet = true
	if s.cfg.Mode == Okta {
		s.oktaPut(ctx, o, i)
		return
	}
	mid := s.users[u.manager].id
	s.patchUser(ctx, o, i, s.managerPatch(mid, first))
	res := s.checkList(ctx, o, s.referencePath(u.id, mid), "the reference check filter id eq and manager eq")
	if res != nil && (res.total != 1 || !res.has(u.id)) {
		o.fail(ReasonReference, "filter id eq %q and manager eq %q: totalResults %d", u.id, mid, res.total)
	}
	s.verifyUser(ctx, o, i)
}
