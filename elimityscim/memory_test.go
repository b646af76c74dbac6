package elimityscim_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	escim "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	fp "github.com/scim2/filter-parser/v2"
	"github.com/scimkit/scim/elimityscim"
)

// memory is an in-memory database of users and groups per tenant, served
// by two elimity ResourceHandlers (memory.users and memory.groups) written
// the way elimity's own tests write theirs, plus what a real one needs:
// a lock, stable order, userName uniqueness, member references, versions
// that honour If-Match, and a user's groups.
type memory struct {
	mu      sync.Mutex
	seq     int
	tenants map[string]*tenantData
	// ignoreIfMatch makes the handlers write whatever the version.
	ignoreIfMatch bool
	// calls records every request: method, URL and If-Match.
	calls []string
	// userPatches counts calls of the users' Patch.
	userPatches int
	// patches records the operations the groups' Patch received.
	patches [][]string
}

type tenantData struct{ users, groups map[string]*record }

type record struct {
	id      string
	seq     int
	attrs   map[string]any
	version int
	created time.Time
	changed time.Time
}

func newMemory() *memory { return &memory{tenants: map[string]*tenantData{}} }

// users and groups are the two elimity handlers over m.
func (m *memory) users() escim.ResourceHandler  { return kind{m, false} }
func (m *memory) groups() escim.ResourceHandler { return kind{m, true} }

// types are the elimity resource types a team would hand elimity's server.
func (m *memory) types() []escim.ResourceType {
	return []escim.ResourceType{userType(m.users()), groupType(m.groups())}
}

type kind struct {
	m     *memory
	group bool
}

// begin locks m, records r and returns the tenant's data of the kind.
func (k kind) begin(r *http.Request) (*tenantData, map[string]*record) {
	k.m.mu.Lock()
	k.m.calls = append(k.m.calls, strings.TrimSpace(r.Method+" "+r.URL.String()+" "+r.Header.Get("If-Match")))
	tenant := elimityscim.Tenant(r.Context())
	td := k.m.tenants[tenant]
	if td == nil {
		td = &tenantData{users: map[string]*record{}, groups: map[string]*record{}}
		k.m.tenants[tenant] = td
	}
	if k.group {
		return td, td.groups
	}
	return td, td.users
}

// now is the clock: a second per write, so that no test depends on time.
func (m *memory) now() time.Time {
	m.seq++
	return time.Date(2026, 1, 1, 0, 0, m.seq, 0, time.UTC)
}

func (k kind) Create(r *http.Request, attrs escim.ResourceAttributes) (escim.Resource, error) {
	td, recs := k.begin(r)
	defer k.m.mu.Unlock()
	if err := k.check(td, "", attrs); err != nil {
		return escim.Resource{}, err
	}
	now := k.m.now()
	prefix := "u"
	if k.group {
		prefix = "g"
	}
	rec := &record{id: prefix + strconv.Itoa(k.m.seq), seq: k.m.seq, attrs: clone(attrs), version: 1, created: now, changed: now}
	recs[rec.id] = rec
	return k.resource(td, rec), nil
}

func (k kind) Get(r *http.Request, id string) (escim.Resource, error) {
	td, recs := k.begin(r)
	defer k.m.mu.Unlock()
	rec, ok := recs[id]
	if !ok {
		return escim.Resource{}, errors.ScimErrorResourceNotFound(id)
	}
	return k.resource(td, rec), nil
}

// GetAll pages in creation order. Like most elimity handlers it does not
// filter; the adapter never asks it to.
func (k kind) GetAll(r *http.Request, params escim.ListRequestParams) (escim.Page, error) {
	td, recs := k.begin(r)
	defer k.m.mu.Unlock()
	all := slices.SortedFunc(maps.Values(recs), func(a, b *record) int { return a.seq - b.seq })
	p := escim.Page{TotalResults: len(all), Resources: []escim.Resource{}}
	from := min(max(params.StartIndex, 1)-1, len(all))
	for _, rec := range all[from:min(from+max(params.Count, 0), len(all))] {
		p.Resources = append(p.Resources, k.resource(td, rec))
	}
	return p, nil
}

func (k kind) Replace(r *http.Request, id string, attrs escim.ResourceAttributes) (escim.Resource, error) {
	td, recs := k.begin(r)
	defer k.m.mu.Unlock()
	rec, err := k.writable(r, recs, id)
	if err != nil {
		return escim.Resource{}, err
	}
	if err := k.check(td, id, attrs); err != nil {
		return escim.Resource{}, err
	}
	rec.attrs = clone(attrs)
	k.m.bump(rec)
	return k.resource(td, rec), nil
}

func (k kind) Delete(r *http.Request, id string) error {
	td, recs := k.begin(r)
	defer k.m.mu.Unlock()
	if _, err := k.writable(r, recs, id); err != nil {
		return err
	}
	delete(recs, id)
	if !k.group {
		for _, g := range td.groups {
			if ms := members(g.attrs); slices.ContainsFunc(ms, isMember(id)) {
				g.attrs["members"] = slices.DeleteFunc(ms, isMember(id))
				k.m.bump(g)
			}
		}
	}
	return nil
}

// Patch applies the operations atomically: to a copy, checked, then kept.
// Like elimity's own handlers it answers without attributes, which
// elimity's server turns into 204 No Content.
func (k kind) Patch(r *http.Request, id string, ops []escim.PatchOperation) (escim.Resource, error) {
	td, recs := k.begin(r)
	defer k.m.mu.Unlock()
	if !k.group {
		k.m.userPatches++
	}
	rec, err := k.writable(r, recs, id)
	if err != nil {
		return escim.Resource{}, err
	}
	var seen []string
	attrs := clone(rec.attrs)
	for _, op := range ops {
		seen = append(seen, strings.TrimSpace(fmt.Sprintf("%s %v %v", op.Op, op.Path, op.Value)))
		if err := apply(attrs, op); err != nil {
			return escim.Resource{}, err
		}
	}
	if k.group {
		k.m.patches = append(k.m.patches, seen)
	}
	if err := k.check(td, id, attrs); err != nil {
		return escim.Resource{}, err
	}
	rec.attrs = attrs
	k.m.bump(rec)
	return escim.Resource{}, nil
}

// writable returns the record to change, honouring If-Match.
func (k kind) writable(r *http.Request, recs map[string]*record, id string) (*record, error) {
	rec, ok := recs[id]
	if !ok {
		return nil, errors.ScimErrorResourceNotFound(id)
	}
	if v := r.Header.Get("If-Match"); v != "" && v != version(rec) && !k.m.ignoreIfMatch {
		return nil, errors.ScimError{Status: http.StatusPreconditionFailed, Detail: "The resource has changed."}
	}
	return rec, nil
}

// check enforces userName uniqueness and member references.
func (k kind) check(td *tenantData, id string, attrs map[string]any) error {
	if k.group {
		for _, m := range members(attrs) {
			if td.users[m.(map[string]any)["value"].(string)] == nil {
				return errors.ScimErrorInvalidValue
			}
		}
		return nil
	}
	name, _ := attrs["userName"].(string)
	for _, u := range td.users {
		if u.id != id && strings.EqualFold(u.attrs["userName"].(string), name) {
			return errors.ScimErrorUniqueness
		}
	}
	return nil
}

func (m *memory) bump(rec *record) {
	rec.version++
	rec.changed = m.now()
}

// resource is rec as the handler returns it; a user lists its groups.
func (k kind) resource(td *tenantData, rec *record) escim.Resource {
	attrs := escim.ResourceAttributes(clone(rec.attrs))
	if !k.group {
		var groups []any
		for _, g := range slices.SortedFunc(maps.Values(td.groups), func(a, b *record) int { return a.seq - b.seq }) {
			if slices.ContainsFunc(members(g.attrs), isMember(rec.id)) {
				groups = append(groups, map[string]any{"value": g.id, "display": g.attrs["displayName"]})
			}
		}
		if groups != nil {
			attrs["groups"] = groups
		}
	}
	var ext optional.String
	if s, ok := attrs["externalId"].(string); ok {
		ext = optional.NewString(s)
	}
	created, changed := rec.created, rec.changed
	return escim.Resource{ID: rec.id, ExternalID: ext, Attributes: attrs,
		Meta: escim.Meta{Created: &created, LastModified: &changed, Version: version(rec)}}
}

func version(rec *record) string { return `W/"` + strconv.Itoa(rec.version) + `"` }

// apply is one PATCH operation on a resource's attributes: on members
// (add, replace, remove all or those a value filter matches), on a
// top-level or extension attribute, or path-less.
func apply(attrs map[string]any, op escim.PatchOperation) error {
	if op.Path == nil {
		v, ok := op.Value.(map[string]any)
		if !ok || op.Op == escim.PatchOperationRemove {
			return errors.ScimErrorNoTarget
		}
		maps.Copy(attrs, v)
		return nil
	}
	name := op.Path.AttributePath.AttributeName
	target := attrs
	if uri := op.Path.AttributePath.URI(); uri != "" {
		ext, _ := attrs[uri].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			attrs[uri] = ext
		}
		target = ext
	}
	switch {
	case name == "members" && op.Op == escim.PatchOperationAdd:
		ms := members(attrs)
		for _, m := range op.Value.([]any) {
			if !slices.ContainsFunc(ms, isMember(m.(map[string]any)["value"].(string))) {
				ms = append(ms, m)
			}
		}
		attrs["members"] = ms
	case name == "members" && op.Op == escim.PatchOperationRemove && op.Path.ValueExpression != nil:
		attrs["members"] = slices.DeleteFunc(members(attrs), func(m any) bool { return matches(op.Path.ValueExpression, m.(map[string]any)) })
	case op.Op == escim.PatchOperationRemove:
		delete(target, name)
	default:
		target[name] = op.Value
	}
	return nil
}

// matches evaluates a member value filter.
func matches(e fp.Expression, m map[string]any) bool {
	switch e := e.(type) {
	case *fp.LogicalExpression:
		if e.Operator == fp.AND {
			return matches(e.Left, m) && matches(e.Right, m)
		}
		return matches(e.Left, m) || matches(e.Right, m)
	case *fp.NotExpression:
		return !matches(e.Expression, m)
	case *fp.AttributeExpression:
		v, _ := m[e.AttributePath.AttributeName].(string)
		want, _ := e.CompareValue.(string)
		switch e.Operator {
		case fp.EQ:
			return strings.EqualFold(v, want)
		case fp.PR:
			return v != ""
		}
	}
	return false
}

func members(attrs map[string]any) []any {
	ms, _ := attrs["members"].([]any)
	return ms
}

func isMember(id string) func(any) bool {
	return func(m any) bool { return m.(map[string]any)["value"] == id }
}

// clone copies attributes deeply enough that neither side's later changes
// reach the other: maps and lists are copied, values shared.
func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return clone(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}
