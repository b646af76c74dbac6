package schema

import (
	"strings"
	"sync/atomic"
)

// Attribute lookup runs for every attribute of every request, so it must
// neither allocate nor lock. A short list is scanned; a longer one gets a
// map built on first use and published atomically, so a Schema literal
// works without a constructor and stays a plain copyable value (an
// atomic.Value, unlike atomic.Pointer, carries no copy guard for vet).

// linearMax is the longest list scanned rather than indexed: below it a
// scan with strings.EqualFold beats lower-casing the name and hashing it.
const linearMax = 8

// maxKey is the longest name lower-cased on the stack; longer names (never
// valid attribute names in practice) are scanned for.
const maxKey = 64

// index finds attributes of one list by name, case-insensitively.
type index struct {
	v atomic.Value // *table
}

// table maps ASCII-lower-cased names to attributes. It remembers the list
// it was built from: a copied Schema whose Attributes were replaced gets a
// new table instead of a stale one.
type table struct {
	attrs  []*Attribute
	byName map[string]*Attribute
}

func (x *index) lookup(attrs []*Attribute, name string) *Attribute {
	if len(attrs) <= linearMax {
		return scan(attrs, name)
	}
	t := x.table(attrs)
	var buf [maxKey]byte
	if len(name) > len(buf) {
		return scan(attrs, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 {
			return scan(attrs, name) // strings.EqualFold's Unicode folding
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return t.byName[string(buf[:len(name)])]
}

// table returns the map for attrs, building it when there is none yet or it
// was built from another list.
func (x *index) table(attrs []*Attribute) *table {
	t, _ := x.v.Load().(*table)
	if t != nil && len(t.attrs) == len(attrs) && &t.attrs[0] == &attrs[0] {
		return t
	}
	t = &table{attrs: attrs, byName: make(map[string]*Attribute, len(attrs))}
	for _, a := range attrs {
		if a == nil {
			continue
		}
		k := strings.ToLower(a.Name)
		if _, dup := t.byName[k]; !dup { // the first wins, as in scan
			t.byName[k] = a
		}
	}
	x.v.Store(t)
	return t
}

// warm builds the map now, so that a validated definition is never written
// to again while requests read it.
func (x *index) warm(attrs []*Attribute) {
	if len(attrs) > linearMax {
		x.table(attrs)
	}
}

func scan(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if a != nil && strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}
