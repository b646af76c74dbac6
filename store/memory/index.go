package memory

// keyIndex finds records by a string key: a folded userName, externalId or
// displayName. It holds a 64-bit hash of each key (tenant.hash) instead of
// the key, so it keeps no string alive and costs the same per record
// whatever the key's length. get returns every record whose key has the
// hash; a caller that needs the exact key, like the userName uniqueness
// check, compares it.
//
// Almost every hash has one record (userNames are unique and externalIds
// are in practice), so that record sits in one map and the rare others in
// a set per hash: a key many records share (a department a host indexes,
// one externalId on many users) costs the same to add to and remove from
// as a unique one.
type keyIndex[R comparable] struct {
	one  map[uint64]R              // the first record with each hash
	more map[uint64]map[R]struct{} // the others
}

// add indexes r under h. Adding it twice is a no-op.
func (x *keyIndex[R]) add(h uint64, r R) {
	first, ok := x.one[h]
	switch {
	case !ok:
		if x.one == nil {
			x.one = make(map[uint64]R)
		}
		x.one[h] = r
	case first != r:
		set := x.more[h]
		if set == nil {
			if x.more == nil {
				x.more = make(map[uint64]map[R]struct{})
			}
			set = make(map[R]struct{}, 1)
			x.more[h] = set
		}
		set[r] = struct{}{}
	}
}

// remove drops r from under h, if it is there.
func (x *keyIndex[R]) remove(h uint64, r R) {
	first, ok := x.one[h]
	if !ok {
		return
	}
	set := x.more[h]
	if first == r {
		if len(set) == 0 {
			delete(x.one, h)
			return
		}
		for next := range set { // another takes its place
			x.one[h] = next
			delete(set, next)
			break
		}
	} else {
		delete(set, r)
	}
	if len(set) == 0 {
		delete(x.more, h)
	}
}

// get returns the records under h in no particular order, or nil. The
// slice is the caller's.
func (x *keyIndex[R]) get(h uint64) []R {
	first, ok := x.one[h]
	if !ok {
		return nil
	}
	out := make([]R, 1, 1+len(x.more[h]))
	out[0] = first
	for r := range x.more[h] {
		out = append(out, r)
	}
	return out
}

// find returns a record under h for which match is true.
func (x *keyIndex[R]) find(h uint64, match func(R) bool) (R, bool) {
	if first, ok := x.one[h]; ok {
		if match(first) {
			return first, true
		}
		for r := range x.more[h] {
			if match(r) {
				return r, true
			}
		}
	}
	var zero R
	return zero, false
}
