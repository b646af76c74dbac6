package scim

import (
	"context"
	"time"
)

// The request pipeline publishes the events of writes to resources whose
// handlers record none themselves (every resource type but the built-in
// ones over a Store that is an Outbox), in-process and after commit,
// from the documents it read before the write and got back from it.

// publishes reports whether the Server publishes res's events itself.
func (q *request) publishes(res *Resource) bool {
	return q.s.inproc != nil && !res.recorded
}

// lockFor holds res's event order lock for id when the Server publishes
// its events; the returned func releases it.
func (q *request) lockFor(res *Resource, id string) func() {
	if !q.publishes(res) {
		return func() {}
	}
	return q.s.lockResource(q.tenant, res.Type.Name, id)
}

// published publishes the events of a committed write of res from the
// resource before (nil: created) and after it (nil: deleted), both read
// with their members. The documents are only read.
func (q *request) published(ctx context.Context, res *Resource, before, after map[string]any) {
	if !q.publishes(res) {
		return
	}
	w := CommittedWrite{Tenant: q.tenant, ResourceType: res.Type.Name, Old: before, New: after, Time: lastModified(after)}
	w.MembersAdded, w.MembersRemoved = memberDelta(docMembers(before), docMembers(after))
	q.s.publish(ctx, w)
	if after == nil && res.Type.Name == "User" {
		q.publishDepartures(ctx, before)
	}
}

// publishDepartures publishes, for each group the deleted user old was
// in, that the user left it, with the group's version after the delete.
func (q *request) publishDepartures(ctx context.Context, old map[string]any) {
	groups := q.s.byPath["groups"]
	id, _ := old["id"].(string)
	if groups == nil || id == "" || !q.publishes(groups) {
		return
	}
	list, _ := old["groups"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		gid, _ := m["value"].(string)
		g, err := groups.Handler.Get(ctx, q.tenant, gid, GetOptions{ExcludeMembers: true})
		if err != nil {
			continue // deleted meanwhile
		}
		q.s.publish(ctx, CommittedWrite{Tenant: q.tenant, ResourceType: groups.Type.Name, Old: g, New: g,
			MembersRemoved: []string{id}, Time: lastModified(g)})
	}
}

// docMembers returns the members of a JSON-form group; nil for none.
func docMembers(doc map[string]any) []Member {
	list, _ := doc["members"].([]any)
	out := make([]Member, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		if v, _ := m["value"].(string); v != "" {
			out = append(out, Member{Value: v})
		}
	}
	return out
}

// lastModified returns a document's meta.lastModified; zero when absent.
func lastModified(doc map[string]any) time.Time {
	meta, _ := doc["meta"].(map[string]any)
	s, _ := meta["lastModified"].(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
