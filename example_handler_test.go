package scim_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// doc is a resource in its JSON form, as a ResourceHandler sees it.
type doc = map[string]any

// mapUsers serves Users from plain Go maps, standing in for a host's own
// user table. The Server validates every document before it gets here
// and runs PATCH by reading with Get and writing with Replace; the handler
// keeps ids, meta, versions and userName uniqueness.
type mapUsers struct {
	mu    sync.Mutex
	users map[string]map[string]doc // tenant -> id -> user
}

func newMapUsers() *mapUsers { return &mapUsers{users: map[string]map[string]doc{}} }

func (h *mapUsers) Create(_ context.Context, tenant string, d doc) (doc, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if userNameTaken(h.users[tenant], "", d["userName"].(string)) {
		return nil, scim.ErrConflict // 409 uniqueness
	}
	id := rand.Text()
	d = clone(d)
	d["id"] = id
	stamp(d, "")
	if h.users[tenant] == nil {
		h.users[tenant] = map[string]doc{}
	}
	h.users[tenant][id] = d
	return clone(d), nil
}

func (h *mapUsers) Get(_ context.Context, tenant, id string, _ scim.GetOptions) (doc, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.users[tenant][id]
	if !ok {
		return nil, scim.ErrNotFound // 404, also for another tenant's id
	}
	return clone(d), nil
}

func (h *mapUsers) Replace(_ context.Context, tenant, id string, d doc, ifVersion string) (doc, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.users[tenant][id]
	if !ok {
		return nil, scim.ErrNotFound
	}
	meta := old["meta"].(doc)
	if ifVersion != "" && ifVersion != meta["version"] {
		return nil, scim.ErrVersionMismatch // another write came first: the Server retries
	}
	if userNameTaken(h.users[tenant], id, d["userName"].(string)) {
		return nil, scim.ErrConflict
	}
	d = clone(d) // after a PATCH, d also holds the id and meta read by Get
	d["id"] = id
	stamp(d, meta["created"].(string))
	h.users[tenant][id] = d
	return clone(d), nil
}

func (h *mapUsers) Delete(_ context.Context, tenant, id, ifVersion string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.users[tenant][id]
	if !ok {
		return scim.ErrNotFound
	}
	if ifVersion != "" && ifVersion != d["meta"].(doc)["version"] {
		return scim.ErrVersionMismatch
	}
	delete(h.users[tenant], id)
	return nil
}

func (h *mapUsers) List(_ context.Context, tenant string, q scim.Query) (*scim.Page[doc], error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var matched []doc
	for _, id := range slices.Sorted(maps.Keys(h.users[tenant])) { // a stable order
		if d := h.users[tenant][id]; filter.Match(q.Filter, d) {
			matched = append(matched, d)
		}
	}
	return page(matched, q), nil
}

// userNameTaken reports whether a user other than id has userName,
// compared case-insensitively. A database would keep a unique index on
// scim.FoldUserName(userName) instead of scanning.
func userNameTaken(users map[string]doc, id, userName string) bool {
	for other, u := range users {
		if other != id && strings.EqualFold(u["userName"].(string), userName) {
			return true
		}
	}
	return false
}

// writes counts writes, so that every write gets a new version.
var writes atomic.Int64

// stamp sets d's meta: created (now, for a new resource), lastModified and
// a version that changes on every write.
func stamp(d doc, created string) {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	d["meta"] = doc{
		"created":      cmp.Or(created, now),
		"lastModified": now,
		"version":      fmt.Sprintf(`W/"%d"`, writes.Add(1)),
	}
}

// page returns the page q asks for of the resources matched.
func page(matched []doc, q scim.Query) *scim.Page[doc] {
	from := min(max(q.StartIndex, 1)-1, len(matched))
	to := min(from+q.Count, len(matched))
	p := &scim.Page[doc]{TotalResults: len(matched)}
	for _, d := range matched[from:to] {
		p.Resources = append(p.Resources, clone(d))
	}
	return p
}

// clone deep-copies a document, numbers kept as json.Number: the Server
// adds schemas and meta.location to what a handler returns, and that must
// not reach the handler's own copy.
func clone(d doc) doc {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // documents come from JSON and always encode
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out doc
	if err := dec.Decode(&out); err != nil {
		panic(err)
	}
	return out
}

// Serve /Users from the host's own maps: a Config.Resources entry for the
// User resource type replaces the built-in one, and no Config.Store is
// needed. The Server still authenticates, validates, normalises what
// identity providers send, runs PATCH and filters' parsing, and answers.
func ExampleResourceHandler() {
	srv, err := scim.NewServer(scim.Config{
		Auth:      scim.StaticToken("acme", "s3cret"),
		Resources: []scim.Resource{{Type: schema.User(), Handler: newMapUsers()}},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(http.StripPrefix("/scim/v2", srv))
	defer app.Close()

	send := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, app.URL+"/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		line := fmt.Sprint(method, " ", res.StatusCode)
		if t, ok := out["scimType"].(string); ok {
			line += " " + t
		}
		fmt.Println(line)
		return out
	}
	ada := send("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":true}`)
	send("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ADA@example.com"}`)
	send("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`)

	// Entra ID's lookup and its PATCH to deactivate, with a string boolean.
	found := send("GET", `/Users?filter=userName+eq+%22ADA%40example.com%22`, "")
	fmt.Println("found:", found["totalResults"])
	id := ada["id"].(string)
	patched := send("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	fmt.Println("active:", patched["active"], "version changed:", patched["meta"].(map[string]any)["version"] != ada["meta"].(map[string]any)["version"])

	send("DELETE", "/Users/"+id, "")
	send("GET", "/Users/"+id, "")
	// Output:
	// POST 201
	// POST 409 uniqueness
	// POST 400 invalidValue
	// GET 200
	// found: 1
	// PATCH 200
	// active: false version changed: true
	// DELETE 204
	// GET 404
}
