package memory

import (
	"errors"
	"math"
	"slices"
	"strconv"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// extKey is one indexed extension attribute of a tenant's users or groups:
// eq filters on it are answered from idx, and a unique one is checked on
// every write.
type extKey[R comparable] struct {
	attr scim.IndexedAttribute
	idx  keyIndex[R]
}

// IndexAttributes implements scim.Indexer. The attributes can be set while
// the store holds no users or groups, or again to the same list.
func (s *Store) IndexAttributes(attrs []scim.IndexedAttribute) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Equal(attrs, s.indexed) {
		return nil
	}
	for _, t := range s.tenants {
		t.mu.RLock()
		n := len(t.users) + len(t.groups)
		t.mu.RUnlock()
		if n > 0 {
			return errors.New("memory: IndexAttributes with a different list after users or groups were stored; give the final list before the first write")
		}
	}
	s.indexed = slices.Clone(attrs)
	for _, t := range s.tenants {
		t.mu.Lock()
		t.setKeys(s.indexed)
		t.mu.Unlock()
	}
	return nil
}

// setKeys makes empty indexes for attrs.
func (t *space) setKeys(attrs []scim.IndexedAttribute) {
	t.userKeys, t.groupKeys = nil, nil
	for _, a := range attrs {
		switch a.ResourceType {
		case "User":
			t.userKeys = append(t.userKeys, &extKey[*userRec]{attr: a})
		case "Group":
			t.groupKeys = append(t.groupKeys, &extKey[*groupRec]{attr: a})
		}
	}
}

// keyOf returns the index key of an attribute value: strings by their
// case fold (the index serves case-exact lookups too, as a superset),
// integers in canonical decimal form.
func keyOf(v string) string { return filter.Fold(v) }

// lookupKey returns the index key that a filter literal compares equal
// to, or false when the index cannot serve the literal.
func lookupKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return keyOf(x), true
	case filter.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return strconv.FormatInt(n, 10), true
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.Abs(f) > 1<<53 {
			return "", false
		}
		if f != math.Trunc(f) {
			return "\x00", true // equal to no integer: a key no value has
		}
		return strconv.FormatInt(int64(f), 10), true
	}
	return "", false
}

// valueKey returns a's index key in e, and whether e has a value.
func valueKey(a scim.IndexedAttribute, e scim.Extensions) (string, bool) {
	v, ok := a.Value(e)
	if !ok {
		return "", false
	}
	return keyOf(v), true
}

// sameValue reports whether two values of a are equal as its uniqueness
// compares them.
func sameValue(a scim.IndexedAttribute, x, y string) bool {
	if a.CaseExact {
		return x == y
	}
	return filter.Fold(x) == filter.Fold(y)
}

// names reports whether the comparison path p is the attribute a.
func names(a scim.IndexedAttribute, p filter.AttrPath) bool {
	r := p.Resolved
	return r.Extension && r.Schema != nil && r.Attr != nil && r.Sub == nil && p.Sub == "" &&
		r.Schema.ID == a.Schema && r.Attr.Name == a.Name
}

// extLookup answers "attr eq literal" from the index of keys, or reports
// that none serves e.
func extLookup[R comparable](t *space, keys []*extKey[R], e filter.Expr) ([]R, bool) {
	c, ok := e.(*filter.Compare)
	if !ok || c.Op != filter.Eq {
		return nil, false
	}
	for _, k := range keys {
		if !names(k.attr, c.Path) {
			continue
		}
		key, ok := lookupKey(c.Value)
		if !ok {
			return nil, false
		}
		return k.idx.get(t.hash(key)), true
	}
	return nil, false
}

// userKeysTaken reports whether a user other than except holds a value of
// a unique attribute that e has.
func (t *space) userKeysTaken(e scim.Extensions, except *userRec) bool {
	for _, k := range t.userKeys {
		v, ok := k.attr.Value(e)
		if !k.attr.Unique || !ok {
			continue
		}
		if _, taken := k.idx.find(t.hash(keyOf(v)), func(r *userRec) bool {
			if r == except {
				return false
			}
			other, ok := k.attr.Value(r.unpack().Extensions)
			return ok && sameValue(k.attr, v, other)
		}); taken {
			return true
		}
	}
	return false
}

// indexUserKeys adds (or, with remove, drops) r, whose extensions are e,
// to the tenant's extension indexes.
func (t *space) indexUserKeys(r *userRec, e scim.Extensions, remove bool) {
	for _, k := range t.userKeys {
		if key, ok := valueKey(k.attr, e); ok {
			if remove {
				k.idx.remove(t.hash(key), r)
			} else {
				k.idx.add(t.hash(key), r)
			}
		}
	}
}

// unindexUserKeys drops r from the extension indexes, reading its stored
// extensions only when the tenant has any.
func (t *space) unindexUserKeys(r *userRec) {
	if len(t.userKeys) > 0 {
		t.indexUserKeys(r, r.unpack().Extensions, true)
	}
}

// groupKeysTaken is userKeysTaken for groups.
func (t *space) groupKeysTaken(e scim.Extensions, except *groupRec) bool {
	for _, k := range t.groupKeys {
		v, ok := k.attr.Value(e)
		if !k.attr.Unique || !ok {
			continue
		}
		if _, taken := k.idx.find(t.hash(keyOf(v)), func(r *groupRec) bool {
			other, ok := k.attr.Value(r.g.Extensions)
			return r != except && ok && sameValue(k.attr, v, other)
		}); taken {
			return true
		}
	}
	return false
}

// indexGroupKeys is indexUserKeys for groups.
func (t *space) indexGroupKeys(r *groupRec, remove bool) {
	for _, k := range t.groupKeys {
		if key, ok := valueKey(k.attr, r.g.Extensions); ok {
			if remove {
				k.idx.remove(t.hash(key), r)
			} else {
				k.idx.add(t.hash(key), r)
			}
		}
	}
}

var _ scim.Indexer = (*Store)(nil)
