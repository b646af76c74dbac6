package memory

import "slices"

// keyIndex finds records by a string key: a folded userName, externalId or
// displayName. It holds a 64-bit hash of each key (tenant.hash) instead of
// the key, so it keeps no string alive and costs the same per record
// whatever the key's length. get returns every record whose key has the
// hash; a caller that needs the exact key, like the userName uniqueness
// check, compares it.
//
// Almost every hash has one record (userNames are unique and externalIds
// are in practice), so that record sits in one map and the rare others in
// a second.
type keyIndex[R comparable] struct {
	one  map[uint64]R   // the first record with each hash
	more map[uint64][]R // the others, in no order
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
	case first != r && !slices.Contains(x.more[h], r):
		if x.more == nil {
			x.more = make(map[uint64][]R)
		}
		x.more[h] = append(x.more[h], r)
	}
}

// remove drops r from under h, if it is there.
func (x *keyIndex[R]) remove(h uint64, r R) {
	rest := x.more[h]
	if first, ok := x.one[h]; ok && first == r {
		if len(rest) == 0 {
			delete(x.one, h)
			return
		}
		x.one[h] = rest[len(rest)-1]
		rest = slices.Delete(rest, len(rest)-1, len(rest)) // clears the slot
	} else if i := slices.Index(rest, r); i >= 0 {
		rest = slices.Delete(rest, i, i+1)
	} else {
		return
	}
	if len(rest) == 0 {
		delete(x.more, h)
	} else {
		x.more[h] = rest
	}
}

// get returns the records under h in no particular order, or nil. The
// slice is the caller's.
func (x *keyIndex[R]) get(h uint64) []R {
	first, ok := x.one[h]
	if !ok {
		return nil
	}
	return append([]R{first}, x.more[h]...)
}

// find returns a record under h for which match is true.
func (x *keyIndex[R]) find(h uint64, match func(R) bool) (R, bool) {
	if first, ok := x.one[h]; ok {
		if match(first) {
			return first, true
		}
		for _, r := range x.more[h] {
			if match(r) {
				return r, true
			}
		}
	}
	var zero R
	return zero, false
}
