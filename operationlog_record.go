package scim

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// The request pipeline fills one LogRecord per operation: classify names
// the operation from the method and path before anything runs, fail sets
// the scimType asError gives, writes note what they changed, and
// logOperation hands the finished record to Config.OperationLog and the
// request log line.

// maxLoggedID bounds a resource id taken from a request path.
const maxLoggedID = 256

// Op values of LogRecord.Op that are not WriteOps.
const (
	logGet       = "get"
	logList      = "list"
	logSearch    = "search"
	logBulk      = "bulk"
	logDiscovery = "discovery"
	logMe        = "me"
)

// wantsChanges reports whether writes compute their changed attribute
// names: for an OperationLog, or for a Logger that logs successful
// requests (at Debug).
func (s *Server) wantsChanges(ctx context.Context) bool {
	return s.cfg.OperationLog != nil || s.log.Enabled(ctx, slog.LevelDebug)
}

// classify splits the path into q.segs and names the operation, its
// resource type and id in q.log, as route will serve them.
func (q *request) classify() {
	if path := strings.Trim(q.r.URL.Path, "/"); path != "" {
		q.segs = strings.Split(path, "/")
	}
	segs, rec := q.segs, q.log
	get := q.r.Method == http.MethodGet || q.r.Method == http.MethodHead
	switch {
	case len(segs) == 0:
		rec.Op = logList
		if !get {
			rec.Op = logSearch
		}
		return
	case strings.EqualFold(segs[0], "ServiceProviderConfig"), strings.EqualFold(segs[0], "ResourceTypes"), strings.EqualFold(segs[0], "Schemas"):
		rec.Op = logDiscovery
		return
	case strings.EqualFold(segs[0], "Bulk"):
		rec.Op = logBulk
		return
	case strings.EqualFold(segs[0], "Me"):
		rec.Op, rec.ResourceType = logMe, "User"
		return
	case strings.EqualFold(segs[0], ".search"):
		rec.Op = logSearch
		return
	}
	res := q.s.byPath[strings.ToLower(segs[0])]
	if res == nil || len(segs) > 2 {
		return
	}
	rec.ResourceType = res.Type.Name
	switch {
	case len(segs) == 1 && get:
		rec.Op = logList
	case len(segs) == 1 && q.r.Method == http.MethodPost:
		rec.Op = string(OpCreate)
	case len(segs) == 1:
	case segs[1] == ".search":
		rec.Op = logSearch
	default:
		rec.ResourceID = boundedUTF8(segs[1], maxLoggedID)
		rec.Op = methodOp(q.r.Method)
	}
}

// methodOp is the Op of a method on one resource; "" for none.
func methodOp(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return logGet
	case http.MethodPost:
		return string(OpCreate)
	case http.MethodPut:
		return string(OpReplace)
	case http.MethodPatch:
		return string(OpPatch)
	case http.MethodDelete:
		return string(OpDelete)
	}
	return ""
}

// logOperation finishes rec (its Status and Duration set) and hands it
// to Config.OperationLog, when rec has a tenant, and to the Logger as a
// record with message msg: at Error for a 5xx, Info for a 4xx and 501,
// Debug otherwise.
func (s *Server) logOperation(ctx context.Context, msg string, rec *LogRecord, attrs ...slog.Attr) {
	rec.Outcome = OutcomeSuccess
	if rec.Status >= 400 {
		rec.Outcome = OutcomeFailure
	}
	if s.cfg.OperationLog != nil && rec.Tenant != "" {
		s.cfg.OperationLog.LogOperation(ctx, *rec)
	}
	level := slog.LevelDebug
	switch {
	case rec.Status >= 500 && rec.Status != http.StatusNotImplemented:
		level = slog.LevelError
	case rec.Status >= 400:
		level = slog.LevelInfo
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	all := make([]slog.Attr, 0, 12+len(attrs))
	all = append(all, slog.String("method", rec.Method))
	all = append(all, attrs...)
	all = append(all, slog.Int("status", rec.Status), slog.String("tenant", rec.Tenant),
		slog.Duration("duration", rec.Duration), slog.String("op", rec.Op), slog.String("outcome", rec.Outcome))
	if rec.ResourceType != "" {
		all = append(all, slog.String("resource_type", rec.ResourceType))
	}
	if rec.ResourceID != "" {
		all = append(all, slog.String("resource_id", rec.ResourceID))
	}
	if rec.SCIMType != "" {
		all = append(all, slog.String("scim_type", rec.SCIMType))
	}
	if len(rec.Changed) > 0 {
		all = append(all, slog.Any("changed", rec.Changed))
	}
	all = append(all, slog.String("request_id", rec.RequestID))
	s.log.LogAttrs(ctx, level, msg, all...)
}

// noteUserWrite is noteWrite for a user written through the typed path,
// which has no document form of it unless the changed names are wanted.
func (q *request) noteUserWrite(res *Resource, old map[string]any, u *User) {
	if !q.changes {
		if u.ID != "" {
			q.log.ResourceID = u.ID
		}
		return
	}
	q.noteWrite(res, old, UserDoc(u), false)
}

// noteWrite records in q.log what a committed write of res changed, from
// the resource before (nil: created) and after it (nil: deleted). A
// group's members are compared when both documents hold them (withMembers).
func (q *request) noteWrite(res *Resource, old, new map[string]any, withMembers bool) {
	if id := docString(new, "id"); id != "" {
		q.log.ResourceID = id
	}
	if !q.changes || new == nil {
		return
	}
	q.log.Changed = changedNames(res.Type.Name, old, new)
	if res.Type.Name == "Group" && withMembers {
		added, removed := memberDelta(docMembers(old), docMembers(new))
		q.noteMembers(added, removed)
	}
}

// noteMembers records the ids whose membership a write changed, and
// "members" among the changed attributes when there are any.
func (q *request) noteMembers(added, removed []string) {
	if len(added) == 0 && len(removed) == 0 {
		return
	}
	rec := q.log
	if !slices.Contains(rec.Changed, "members") {
		rec.Changed = append(rec.Changed, "members")
		slices.Sort(rec.Changed)
	}
	rec.MembersAdded, rec.MembersOmitted = boundIDs(added, rec.MembersOmitted)
	rec.MembersRemoved, rec.MembersOmitted = boundIDs(removed, rec.MembersOmitted)
}

// opMembers returns the ids a group PATCH's member operations add and
// remove by value, and whether those are all it does: false when an
// operation replaces, empties or filters the members, whose effect only
// the group before and after tells.
func opMembers(ops []MemberOp) (added, removed []string, ok bool) {
	for _, op := range ops {
		switch op.Kind {
		case AddMembers:
			for _, m := range op.Members {
				added = append(added, m.Value)
			}
		case RemoveMembers:
			for _, m := range op.Members {
				removed = append(removed, m.Value)
			}
		default:
			return nil, nil, false
		}
	}
	return added, removed, true
}

// boundIDs returns ids sorted, without repeats and cut to
// MaxLoggedMembers, with omitted increased by the ids cut.
func boundIDs(ids []string, omitted int) ([]string, int) {
	if len(ids) == 0 {
		return nil, omitted
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) > MaxLoggedMembers {
		omitted += len(ids) - MaxLoggedMembers
		ids = ids[:MaxLoggedMembers:MaxLoggedMembers]
	}
	return ids, omitted
}

// changedNames returns the attribute names diffDocs reports, sorted.
func changedNames(resourceType string, old, new map[string]any) []string {
	changes := diffChanges(nil, resourceType, old, new, false)
	if len(changes) == 0 {
		return nil
	}
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.Attribute
	}
	return names
}
