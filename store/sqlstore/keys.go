package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// keySet is the extension attributes the store indexes, by resource type.
type keySet struct {
	user, group []scim.IndexedAttribute
}

// keysMetaKey names the indexed list in scim_meta, so that a store opened
// with another list rebuilds the key tables before it answers from them.
const keysMetaKey = "indexed_attributes"

// IndexAttributes implements scim.Indexer. The list is recorded in the
// database; when it differs from the recorded one (an attribute newly
// indexed or made unique), the key tables are rebuilt from the stored
// resources in one transaction, and existing duplicates of a unique
// attribute make it fail, naming the attribute, with nothing changed.
func (s *Store) IndexAttributes(attrs []scim.IndexedAttribute) error {
	ks := &keySet{}
	for _, a := range attrs {
		switch a.ResourceType {
		case "User":
			ks.user = append(ks.user, a)
		case "Group":
			ks.group = append(ks.group, a)
		default:
			return fmt.Errorf("sqlstore: cannot index attributes of resource type %q", a.ResourceType)
		}
	}
	want, err := json.Marshal(attrs)
	if err != nil {
		return err
	}
	ctx := context.Background()
	err = s.write(ctx, func(ctx context.Context, t *tx) error {
		var have string
		err := t.queryRow(ctx, "SELECT value FROM scim_meta WHERE key = ?", keysMetaKey).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if have == string(want) {
			return nil
		}
		if err := s.rebuildKeys(ctx, t, ks); err != nil {
			return err
		}
		_, err = t.exec(ctx, "DELETE FROM scim_meta WHERE key = ?", keysMetaKey)
		if err == nil {
			_, err = t.exec(ctx, "INSERT INTO scim_meta (key, value) VALUES (?, ?)", keysMetaKey, string(want))
		}
		return err
	})
	if err != nil {
		return err
	}
	s.keys.Store(ks)
	return nil
}

// indexed returns the indexed attributes of users and groups.
func (s *Store) indexed() *keySet {
	if ks := s.keys.Load(); ks != nil {
		return ks
	}
	return &keySet{}
}

// rebuildKeys fills the key tables anew from every stored user and group.
func (s *Store) rebuildKeys(ctx context.Context, t *tx, ks *keySet) error {
	for _, q := range []string{"DELETE FROM scim_user_keys", "DELETE FROM scim_group_keys"} {
		if _, err := t.exec(ctx, q); err != nil {
			return err
		}
	}
	type owner struct{ tenant, id string }
	read := func(q string, decode func([]byte) (scim.Extensions, error)) (map[owner]scim.Extensions, error) {
		rs, err := t.query(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		out := map[owner]scim.Extensions{}
		for rs.Next() {
			var o owner
			var doc []byte
			if err := rs.Scan(&o.tenant, &o.id, &doc); err != nil {
				return nil, err
			}
			e, err := decode(doc)
			if err != nil {
				return nil, fmt.Errorf("sqlstore: %s: %w", o.id, err)
			}
			if len(e) > 0 {
				out[o] = e
			}
		}
		return out, rs.Err()
	}
	if len(ks.user) > 0 {
		users, err := read("SELECT tenant, id, doc FROM scim_users", func(b []byte) (scim.Extensions, error) {
			var u scim.User
			err := json.Unmarshal(b, &u)
			return u.Extensions, err
		})
		if err != nil {
			return err
		}
		for o, e := range users {
			if err := putKeys(ctx, t, "scim_user_keys", "user_id", o.tenant, o.id, ks.user, e); err != nil {
				return err
			}
		}
	}
	if len(ks.group) > 0 {
		groups, err := read("SELECT tenant, id, ext FROM scim_groups WHERE ext IS NOT NULL", decodeExtensions)
		if err != nil {
			return err
		}
		for o, e := range groups {
			if err := putKeys(ctx, t, "scim_group_keys", "group_id", o.tenant, o.id, ks.group, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// errDuplicateKey is a unique extension attribute's value held twice.
type errDuplicateKey struct{ attr string }

func (e errDuplicateKey) Error() string {
	return "sqlstore: two resources of one tenant have the same value of unique attribute " + e.attr
}

// Is makes the error match scim.ErrConflict.
func (e errDuplicateKey) Is(target error) bool { return target == scim.ErrConflict }

// putKeys inserts the key rows of one resource (table, with owner column
// col) for the attributes attrs of its extensions e.
func putKeys(ctx context.Context, t *tx, table, col, tenant, id string, attrs []scim.IndexedAttribute, e scim.Extensions) error {
	for _, a := range attrs {
		v, ok := a.Value(e)
		if !ok || !storable(v) {
			continue
		}
		fold := filter.Fold(v)
		var uniq any
		if a.Unique {
			uniq = fold
			if a.CaseExact {
				uniq = v
			}
		}
		_, err := t.exec(ctx, "INSERT INTO "+table+" (tenant, "+col+", attr, value, value_fold, uniq) VALUES (?, ?, ?, ?, ?, ?)",
			tenant, id, a.Path(), v, fold, uniq)
		if t.d.isUnique(err) {
			return errDuplicateKey{attr: a.Path()}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// replaceKeys replaces the key rows of one resource.
func replaceKeys(ctx context.Context, t *tx, table, col, tenant, id string, attrs []scim.IndexedAttribute, e scim.Extensions) error {
	if len(attrs) == 0 {
		return nil
	}
	if _, err := t.exec(ctx, "DELETE FROM "+table+" WHERE tenant = ? AND "+col+" = ?", tenant, id); err != nil {
		return err
	}
	return putKeys(ctx, t, table, col, tenant, id, attrs, e)
}

// encodeExtensions returns the ext column of a group: its extensions'
// JSON form, or nil for none.
func encodeExtensions(e scim.Extensions) (any, error) {
	if len(e) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// extColumn scans a groups row's ext column into e.
type extColumn struct{ e *scim.Extensions }

// Scan implements sql.Scanner.
func (c extColumn) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("sqlstore: ext column holds %T", src)
	}
	e, err := decodeExtensions(b)
	*c.e = e
	return err
}

// decodeExtensions reads an ext column.
func decodeExtensions(b []byte) (scim.Extensions, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var e scim.Extensions
	if err := d.Decode(&e); err != nil {
		return nil, err
	}
	if len(e) == 0 {
		return nil, nil
	}
	return e, nil
}

// keyCompare compiles "attr eq literal" on an indexed extension attribute
// to a lookup in its key table, or reports that none serves x.
func (c *compiler) keyCompare(x *filter.Compare) (cond, bool) {
	if c.keys == nil {
		return cond{}, false
	}
	var attrs []scim.IndexedAttribute
	table, owner := "scim_user_keys k", "k.user_id"
	if c.attrs.kind == "user" {
		attrs = c.keys.user
	} else {
		attrs = c.keys.group
		table, owner = "scim_group_keys k", "k.group_id"
	}
	r := x.Path.Resolved
	if x.Op != filter.Eq || !r.Extension || r.Attr == nil || r.Sub != nil || x.Path.Sub != "" {
		return cond{}, false
	}
	i := slices.IndexFunc(attrs, func(a scim.IndexedAttribute) bool {
		return r.Schema.ID == a.Schema && r.Attr.Name == a.Name
	})
	if i < 0 {
		return cond{}, false
	}
	a := attrs[i]
	var inner cond
	switch v := x.Value.(type) {
	case string:
		if !storable(v) {
			return cond{}, false
		}
		// value_fold serves case-exact attributes as a superset too.
		inner = cond{where: "k.attr = ? AND k.value_fold = ?", args: []any{a.Path(), filter.Fold(v)}, exact: !a.CaseExact, keyed: true}
		if a.CaseExact {
			inner.where += " AND k.value = ?"
			inner.args = append(inner.args, v)
			inner.exact = true
		}
	case filter.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return cond{}, false // a float literal: compared in Go
		}
		// Integers are stored as the client wrote them, which JSON makes
		// canonical but for "-0"; Go checks the candidates.
		inner = cond{where: "k.attr = ? AND k.value_fold = ?", args: []any{a.Path(), strconv.FormatInt(n, 10)}, keyed: true}
	default:
		return cond{}, false
	}
	return c.existsCond(table, owner, inner), true
}
