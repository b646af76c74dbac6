package memory

import (
	"slices"

	"github.com/scimkit/scim"
)

// hit is a match of a sorted list, with the key it sorts by.
type hit[R any] struct {
	r   R
	key scim.SortKey
}

// sortWindow orders hits by key, ties by creation order, the whole order
// reversed when descending (scim.Query), and returns the 1-based window
// from start of at most count hits, or, when after is set, the first
// count hits past it.
func sortWindow[R interface{ seqNo() uint64 }](hits []hit[R], descending bool, after *scim.Position, start, count int) []hit[R] {
	slices.SortFunc(hits, func(a, b hit[R]) int {
		c := a.key.Compare(b.key)
		if c == 0 {
			c = bySeq(a.r, b.r)
		}
		if descending {
			return -c
		}
		return c
	})
	if after != nil {
		i, _ := slices.BinarySearchFunc(hits, *after, func(h hit[R], p scim.Position) int {
			c := position(h.r, h.key).Compare(p)
			if descending {
				c = -c
			}
			if c == 0 {
				return -1 // the position itself is before the page
			}
			return c
		})
		start = i + 1
	}
	if start > len(hits) {
		return nil
	}
	return hits[start-1 : min(len(hits), start-1+count)]
}

// userKey returns r's sort key under by. The attributes admin screens
// sort on are read from the record's head without decoding the user; u,
// when not nil, is r decoded (and valid only during the call).
func userKey(r *userRec, u *scim.User, q scim.Query) scim.SortKey {
	p := q.SortBy
	if u == nil && p.Sub == "" && (p.IsCore("userName") || p.IsCore("externalId")) || p.IsCore("meta") {
		name, ext, created, modified := userHead(r.blob)
		return scim.UserSortKey(p, &scim.User{UserName: name, ExternalID: ext, Meta: scim.Meta{Created: created, LastModified: modified}})
	}
	if u == nil {
		u = r.unpack()
	}
	if p.IsCore("groups") && u.Groups == nil {
		u.Groups = groupRefs(r)
	}
	if p.IsCore("id") {
		u.ID = r.id.String()
	}
	return scim.UserSortKey(p, u)
}

// groupKey returns r's sort key under q.SortBy; members are listed only
// when the sort looks at them.
func groupKey(r *groupRec, q scim.Query) scim.SortKey {
	g := &r.g
	if q.SortBy.IsCore("members") {
		c := r.g // shallow: only read, under the lock
		c.Members = r.members.list()
		g = &c
	}
	return scim.GroupSortKey(q.SortBy, g)
}

// position is r's place in a list's order under key.
func position[R interface{ seqNo() uint64 }](r R, key scim.SortKey) scim.Position {
	return scim.Position{Key: key, Seq: int64(r.seqNo())}
}
