package scim_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/internal/eventtest"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/memory"
)

const deviceURN = "urn:example:params:scim:schemas:core:2.0:Device"

// deviceType is a host resource type with a required, an immutable and a
// canonical-valued attribute.
func deviceType() *schema.ResourceType {
	return &schema.ResourceType{ID: "Device", Name: "Device", Endpoint: "/Devices", Schema: &schema.Schema{
		ID: deviceURN, Name: "Device",
		Attributes: []*schema.Attribute{
			{Name: "serialNumber", Required: true, Uniqueness: schema.UniquenessServer},
			{Name: "model", Mutability: schema.Immutable},
			{Name: "kind", CanonicalValues: []string{"laptop", "phone"}},
			{Name: "enrolled", Type: schema.Boolean},
		},
	}}
}

// devices is a plain-maps ResourceHandler for deviceType.
type devices struct {
	mu   sync.Mutex
	rows map[string]map[string]doc // tenant -> id -> device
}

func (d *devices) Create(_ context.Context, tenant string, in doc) (doc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rows[tenant] == nil {
		d.rows[tenant] = map[string]doc{}
	}
	row := clone(in)
	row["id"] = rand.Text()
	stamp(row, "")
	d.rows[tenant][row["id"].(string)] = row
	return clone(row), nil
}

func (d *devices) Get(_ context.Context, tenant, id string, _ scim.GetOptions) (doc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	row, ok := d.rows[tenant][id]
	if !ok {
		return nil, scim.ErrNotFound
	}
	return clone(row), nil
}

func (d *devices) Replace(_ context.Context, tenant, id string, in doc, ifVersion string) (doc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.rows[tenant][id]
	if !ok {
		return nil, scim.ErrNotFound
	}
	meta := old["meta"].(doc)
	if ifVersion != "" && ifVersion != meta["version"] {
		return nil, scim.ErrVersionMismatch
	}
	row := clone(in)
	row["id"] = id
	stamp(row, meta["created"].(string))
	d.rows[tenant][id] = row
	return clone(row), nil
}

func (d *devices) Delete(_ context.Context, tenant, id, _ string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.rows[tenant][id]; !ok {
		return scim.ErrNotFound
	}
	delete(d.rows[tenant], id)
	return nil
}

func (d *devices) List(_ context.Context, tenant string, q scim.Query) (*scim.Page[doc], error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var matched []doc
	for _, row := range d.rows[tenant] {
		if q.Filter == nil || filter.Match(q.Filter, row) {
			matched = append(matched, row)
		}
	}
	return page(matched, q), nil
}

// TestCustomResourceType: a host's own resource type gets the same
// validation, PATCH engine and events as the built-in ones.
func TestCustomResourceType(t *testing.T) {
	rec := eventtest.NewRecorder()
	srv, err := scim.NewServer(scim.Config{
		Resources: []scim.Resource{{Type: deviceType(), Handler: &devices{rows: map[string]map[string]doc{}}}},
		Auth:      scim.StaticToken("a", tokenA),
		Events:    rec.Handle,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := e2e.Serve(t, srv, tokenA)
	for _, tc := range []struct {
		body, scimType string
	}{
		{`{"model":"X1"}`, "invalidValue"},                             // serialNumber is required
		{`{"serialNumber":"   "}`, "invalidValue"},                     // and not blank
		{`{"serialNumber":"S1","kind":"tablet"}`, "invalidValue"},      // not a canonical value
		{`{"serialNumber":"S1","enrolled":"maybe"}`, "invalidValue"},   // not a boolean
		{`{"serialNumber":"S1","serialNumber":"S2"}`, "invalidSyntax"}, // given twice
		{`{"serialNumber":["S1","S2"]}`, "invalidValue"},               // a list for a single value
	} {
		if r := h.Do("POST", "/Devices", tc.body); r.Status != 400 || r.Body["scimType"] != tc.scimType {
			t.Errorf("POST %s: %d %s, want 400 %s", tc.body, r.Status, r.Raw, tc.scimType)
		}
	}
	// A device body sent to /Users, and the other way round.
	if r := h.Do("POST", "/Devices", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"serialNumber":"S1"}`); r.Status != 400 || r.Body["scimType"] != "invalidSyntax" {
		t.Errorf("POST /Devices with the User schema: %d %s", r.Status, r.Raw)
	}
	id := h.Must(201, "POST", "/Devices", `{"serialNumber":"S1","model":"X1","kind":"Laptop","enrolled":"True"}`).Body["id"].(string)
	got := h.Must(200, "GET", "/Devices/"+id, "").Body
	if got["enrolled"] != true || got["kind"] != "Laptop" || e2e.Path(got, "meta", "resourceType") != "Device" {
		t.Errorf("GET: %v", got)
	}
	if r := h.Do("PUT", "/Devices/"+id, `{"serialNumber":"S1","model":"X2"}`); r.Status != 400 || r.Body["scimType"] != "mutability" {
		t.Errorf("PUT changing an immutable attribute: %d %s", r.Status, r.Raw)
	}
	p := h.Must(200, "PATCH", "/Devices/"+id, e2e.PatchBody(`{"op":"replace","value":{"enrolled":"False","kind":"phone"}}`)).Body
	if p["enrolled"] != false || p["kind"] != "phone" || p["model"] != "X1" {
		t.Errorf("PATCH: %v", p)
	}
	if r := h.Do("PATCH", "/Devices/"+id, e2e.PatchBody(`{"op":"remove","path":"serialNumber"}`)); r.Status != 400 {
		t.Errorf("PATCH removing a required attribute: %d %s", r.Status, r.Raw)
	}
	h.Must(204, "DELETE", "/Devices/"+id, "")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	var kinds []scim.EventKind
	for _, e := range rec.Events() {
		kinds = append(kinds, e.Kind)
	}
	want := []scim.EventKind{"device.created", "device.updated", "device.deleted"}
	if len(kinds) != len(want) || kinds[0] != want[0] || kinds[1] != want[1] || kinds[2] != want[2] {
		t.Errorf("events %v, want %v", kinds, want)
	}
	if _, problems := eventtest.Replay(rec.Events()); len(problems) > 0 {
		t.Errorf("event stream: %v", problems)
	}
}

// TestOtherTypesSchema: a body naming the core schema of a host's type is
// refused at another endpoint, as RFC 7643's core schemas are.
func TestOtherTypesSchema(t *testing.T) {
	srv, err := scim.NewServer(scim.Config{
		Store:     memory.New(),
		Resources: []scim.Resource{{Type: deviceType(), Handler: &devices{rows: map[string]map[string]doc{}}}},
		Auth:      scim.StaticToken("a", tokenA),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := e2e.Serve(t, srv, tokenA)
	if r := h.Do("POST", "/Users", `{"schemas":["`+deviceURN+`"],"userName":"a@x"}`); r.Status != 400 || r.Body["scimType"] != "invalidSyntax" {
		t.Errorf("POST /Users with the Device schema: %d %s", r.Status, r.Raw)
	}
	if r := h.Do("GET", "/Users", ""); r.Body["totalResults"] != 0.0 {
		t.Errorf("a refused POST stored a user: %s", r.Raw)
	}
	h.Must(201, "POST", "/Devices", `{"schemas":["`+deviceURN+`"],"serialNumber":"S1"}`)
}
