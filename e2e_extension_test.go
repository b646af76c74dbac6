package scim_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/internal/pgtest"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

const (
	junoURN      = "urn:ietf:params:scim:schemas:extension:junojourney:2.0:User"
	junoGroupURN = "urn:ietf:params:scim:schemas:extension:junojourney:2.0:Group"
)

// junoExtension is a host extension with an attribute of every type and
// characteristic.
func junoExtension() *schema.Schema {
	rw := func(a *schema.Attribute) *schema.Attribute {
		if a.Mutability == "" {
			a.Mutability = schema.ReadWrite
		}
		if a.Returned == "" {
			a.Returned = schema.ReturnedDefault
		}
		return a
	}
	return &schema.Schema{
		ID: junoURN, Name: "JunoJourneyUser", Description: "Juno Journey learner",
		Attributes: []*schema.Attribute{
			rw(&schema.Attribute{Name: "badgeNumber", Type: schema.String, Uniqueness: "server"}),
			rw(&schema.Attribute{Name: "employeeId", Type: schema.String, Indexed: true}),
			rw(&schema.Attribute{Name: "learnerLevel", Type: schema.String, CanonicalValues: []string{"beginner", "intermediate", "advanced"}}),
			rw(&schema.Attribute{Name: "remote", Type: schema.Boolean}),
			rw(&schema.Attribute{Name: "credits", Type: schema.Integer}),
			rw(&schema.Attribute{Name: "score", Type: schema.Decimal}),
			rw(&schema.Attribute{Name: "enrolled", Type: schema.DateTime}),
			rw(&schema.Attribute{Name: "profile", Type: schema.Reference, ReferenceTypes: []string{"external"}}),
			rw(&schema.Attribute{Name: "avatar", Type: schema.Binary}),
			rw(&schema.Attribute{Name: "mentor", Type: schema.Complex, SubAttributes: []*schema.Attribute{
				rw(&schema.Attribute{Name: "value", Type: schema.String}),
				rw(&schema.Attribute{Name: "display", Type: schema.String}),
			}}),
			rw(&schema.Attribute{Name: "skills", Type: schema.String, MultiValued: true}),
			rw(&schema.Attribute{Name: "secretCode", Type: schema.String, Returned: schema.ReturnedNever}),
			rw(&schema.Attribute{Name: "internalNote", Type: schema.String, Returned: schema.ReturnedRequest}),
			rw(&schema.Attribute{Name: "cohort", Type: schema.String, Mutability: schema.Immutable}),
			rw(&schema.Attribute{Name: "createdBy", Type: schema.String, Mutability: schema.ReadOnly}),
		},
	}
}

func junoGroupExtension() *schema.Schema {
	return &schema.Schema{ID: junoGroupURN, Name: "JunoJourneyGroup", Attributes: []*schema.Attribute{
		{Name: "costCenter", Type: schema.String, Mutability: schema.ReadWrite, Returned: schema.ReturnedDefault, Uniqueness: "server"},
	}}
}

// extStores returns the stores the extension tests run on.
func extStores(t *testing.T) map[string]func(t *testing.T) scim.Store {
	return map[string]func(t *testing.T) scim.Store{
		"memory": func(t *testing.T) scim.Store { return memory.New() },
		"sqlite": func(t *testing.T) scim.Store {
			s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "scim.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) scim.Store {
			db := pgtest.DB(t, pgtest.SchemaDSN(t))
			s, err := sqlstore.Open(context.Background(), db, sqlstore.Postgres)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

// newExtHarness is newHarness on store with the Juno extensions registered.
func newExtHarness(t *testing.T, store scim.Store) *harness {
	t.Helper()
	srv, err := scim.NewServer(scim.Config{
		Store:           store,
		Auth:            scim.StaticToken("a", tokenA),
		UserExtensions:  []schema.Extension{{Schema: junoExtension()}},
		GroupExtensions: []schema.Extension{{Schema: junoGroupExtension()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Client: e2e.Serve(t, srv, tokenA), logs: &e2e.Log{}}
}

// junoBody is a POST body in the shapes identity providers send:
// booleans as strings, a legacy [{"value":x}] wrapper, numbers as JSON
// numbers, and data under an unregistered URN.
const junoBody = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + junoURN + `"],
	"userName": "ada@juno.example",
	"` + junoURN + `": {
		"badgeNumber": [{"value": "B-100"}],
		"employeeId": "E-100",
		"learnerLevel": "Beginner",
		"remote": "True",
		"credits": 12,
		"score": 4.5,
		"enrolled": "2026-01-02T03:04:05Z",
		"profile": "https://juno.example/ada",
		"avatar": "aGVsbG8=",
		"mentor": "m-1",
		"skills": ["go", "sql"],
		"secretCode": "s3cret",
		"internalNote": "vip",
		"cohort": "2026",
		"createdBy": "someone",
		"unknownAttribute": "dropped"
	},
	"urn:ietf:params:scim:schemas:extension:unregistered:2.0:User": {"x": "y"}
}`

// junoWant is the extension as the server keeps and returns it by
// default: normalised, without returned never or request attributes or
// readOnly input.
var junoWant = map[string]any{
	"badgeNumber":  "B-100",
	"employeeId":   "E-100",
	"learnerLevel": "Beginner",
	"remote":       true,
	"credits":      float64(12),
	"score":        4.5,
	"enrolled":     "2026-01-02T03:04:05Z",
	"profile":      "https://juno.example/ada",
	"avatar":       "aGVsbG8=",
	"mentor":       map[string]any{"value": "m-1"},
	"skills":       []any{"go", "sql"},
	"cohort":       "2026",
}

func TestExtensionOverHTTP(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			testExtensionOverHTTP(t, open(t))
		})
	}
}

func testExtensionOverHTTP(t *testing.T, store scim.Store) {
	h := newExtHarness(t, store)
	r := h.Must(201, "POST", "/Users", junoBody)
	id := r.Body["id"].(string)
	if d := cmp.Diff(junoWant, r.Body[junoURN]); d != "" {
		t.Errorf("POST response extension (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]any{"urn:ietf:params:scim:schemas:core:2.0:User", junoURN}, r.Body["schemas"]); d != "" {
		t.Errorf("schemas (-want +got):\n%s", d)
	}
	if strings.Contains(r.Raw, "unregistered") || strings.Contains(r.Raw, "s3cret") || strings.Contains(r.Raw, "someone") {
		t.Errorf("response holds unregistered, returned:never or readOnly input: %s", r.Raw)
	}
	got := h.Must(200, "GET", "/Users/"+id, "")
	if d := cmp.Diff(junoWant, got.Body[junoURN]); d != "" {
		t.Errorf("GET extension (-want +got):\n%s", d)
	}

	// From Go: the host reads the values into its own struct.
	var juno struct {
		BadgeNumber string  `json:"badgeNumber"`
		Remote      bool    `json:"remote"`
		Credits     int     `json:"credits"`
		Score       float64 `json:"score"`
		Mentor      struct {
			Value string `json:"value"`
		} `json:"mentor"`
		SecretCode string `json:"secretCode"`
	}
	u, err := store.GetUser(t.Context(), "a", id)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Extensions.Decode(junoURN, &juno); err != nil {
		t.Fatal(err)
	}
	if juno.BadgeNumber != "B-100" || !juno.Remote || juno.Credits != 12 || juno.Score != 4.5 || juno.Mentor.Value != "m-1" || juno.SecretCode != "s3cret" {
		t.Errorf("decoded extension: %+v", juno)
	}

	// Filters, indexed or not.
	for _, tt := range []struct {
		filter string
		n      int
	}{
		{junoURN + `:employeeId eq "e-100"`, 1},
		{junoURN + `:badgeNumber eq "B-100"`, 1},
		{junoURN + `:credits gt 10`, 1},
		{junoURN + `:remote eq false`, 0},
		{junoURN + `:mentor.value eq "m-1"`, 1},
		{junoURN + `:skills eq "sql"`, 1},
		{`userName eq "ada@juno.example" and ` + junoURN + `:learnerLevel eq "beginner"`, 1},
	} {
		l := h.Must(200, "GET", "/Users?filter="+urlQuery(tt.filter), "")
		if n := int(l.Body["totalResults"].(float64)); n != tt.n {
			t.Errorf("%s: %d results, want %d", tt.filter, n, tt.n)
		}
	}
	s := h.Must(200, "POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"`+junoURN+`:employeeId eq \"E-100\""}`)
	if n := s.Body["totalResults"].(float64); n != 1 {
		t.Errorf(".search on an extension attribute: %v results", n)
	}

	// PATCH in every path form.
	patch := func(ops string) map[string]any {
		t.Helper()
		return h.Must(200, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`).Body[junoURN].(map[string]any)
	}
	if e := patch(`{"op":"Replace","path":"` + junoURN + `:credits","value":13}`); e["credits"] != float64(13) {
		t.Errorf("path replace: %v", e)
	}
	if e := patch(`{"op":"replace","value":{"` + junoURN + `:learnerLevel":"advanced","` + junoURN + `:mentor.display":"Grace"}}`); e["learnerLevel"] != "advanced" || e2e.Path(e, "mentor", "display") != "Grace" {
		t.Errorf("path-less URN-qualified keys: %v", e)
	}
	if e := patch(`{"op":"add","value":{"` + junoURN + `":{"remote":"False","skills":["rust"]}}}`); e["remote"] != false || len(e["skills"].([]any)) != 3 {
		t.Errorf("path-less extension object: %v", e)
	}
	if e := patch(`{"op":"remove","path":"` + junoURN + `:skills","value":["go"]}`); len(e["skills"].([]any)) != 2 {
		t.Errorf("remove of listed values: %v", e)
	}
	if e := patch(`{"op":"replace","path":"` + junoURN + `:mentor[value eq \"m-1\"].display","value":"Ada's mentor"}`); e2e.Path(e, "mentor", "display") != "Ada's mentor" {
		t.Errorf("value filter in a path: %v", e)
	}
	if e := patch(`{"op":"remove","path":"` + junoURN + `:avatar"}`); e["avatar"] != nil {
		t.Errorf("remove: %v", e)
	}

	// Refused values change nothing.
	before := h.Must(200, "GET", "/Users/"+id, "").Raw
	for _, tt := range []struct{ body, scimType string }{
		{`{"op":"replace","path":"` + junoURN + `:learnerLevel","value":"expert"}`, "invalidValue"},
		{`{"op":"replace","path":"` + junoURN + `:credits","value":"many"}`, "invalidValue"},
		{`{"op":"replace","path":"` + junoURN + `:enrolled","value":"yesterday"}`, "invalidValue"},
		{`{"op":"replace","path":"` + junoURN + `:cohort","value":"2027"}`, "mutability"},
		{`{"op":"replace","path":"` + junoURN + `:createdBy","value":"x"}`, "mutability"},
		{`{"op":"replace","path":"` + junoURN + `:nosuch","value":"x"}`, "invalidPath"},
	} {
		r := h.Do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+tt.body+`]}`)
		if r.Status != 400 || r.Body["scimType"] != tt.scimType {
			t.Errorf("%s: %d %v, want 400 %s", tt.body, r.Status, r.Body["scimType"], tt.scimType)
		}
	}
	if after := h.Must(200, "GET", "/Users/"+id, "").Raw; after != before {
		t.Errorf("refused PATCHes changed the user:\nbefore %s\nafter  %s", before, after)
	}

	// Projection.
	p := h.Must(200, "GET", "/Users/"+id+"?attributes="+junoURN+":credits,"+junoURN+":internalNote", "")
	if d := cmp.Diff(map[string]any{"credits": float64(13), "internalNote": "vip"}, p.Body[junoURN]); d != "" || p.Body["userName"] != nil {
		t.Errorf("attributes= on extension attributes (-want +got):\n%s\n%s", d, p.Raw)
	}
	p = h.Must(200, "GET", "/Users/"+id+"?excludedAttributes="+junoURN, "")
	if p.Body[junoURN] != nil || p.Body["userName"] == nil {
		t.Errorf("excludedAttributes= the extension: %s", p.Raw)
	}

	// Uniqueness, and a group extension.
	dup := strings.Replace(junoBody, "ada@juno.example", "bob@juno.example", 1)
	if r := h.Do("POST", "/Users", dup); r.Status != 409 || r.Body["scimType"] != "uniqueness" {
		t.Errorf("POST with a taken badgeNumber: %d %s", r.Status, r.Raw)
	}
	g := h.Must(201, "POST", "/Groups", `{"displayName":"Sales","`+junoGroupURN+`":{"costCenter":"CC-1"}}`)
	if e2e.Path(g.Body, junoGroupURN, "costCenter") != "CC-1" {
		t.Errorf("group extension: %s", g.Raw)
	}
	gid := g.Body["id"].(string)
	h.Must(204, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"`+junoGroupURN+`:costCenter","value":"CC-2"}]}`)
	if v := e2e.Path(h.Must(200, "GET", "/Groups/"+gid, "").Body, junoGroupURN, "costCenter"); v != "CC-2" {
		t.Errorf("group extension after PATCH: %v", v)
	}
	h.Must(201, "POST", "/Groups", `{"displayName":"Other","`+junoGroupURN+`":{"costCenter":"CC-1"}}`)
	if r := h.Do("POST", "/Groups", `{"displayName":"Third","`+junoGroupURN+`":{"costCenter":"cc-2"}}`); r.Status != 409 {
		t.Errorf("POST group with a taken costCenter: %d %s", r.Status, r.Raw)
	}
}

// urlQuery escapes a filter for a query string.
func urlQuery(s string) string { return url.QueryEscape(s) }

// TestExtensionDiscovery: a registered extension is listed in /Schemas
// with its attributes and in /ResourceTypes with its required flag.
func TestExtensionDiscovery(t *testing.T) {
	h := newExtHarness(t, memory.New())
	s := h.Must(200, "GET", "/Schemas/"+junoURN, "").Body
	attrs, _ := s["attributes"].([]any)
	if len(attrs) != len(junoExtension().Attributes) {
		t.Fatalf("/Schemas/%s lists %d attributes, want %d: %v", junoURN, len(attrs), len(junoExtension().Attributes), s)
	}
	byName := map[string]map[string]any{}
	for _, a := range attrs {
		m := a.(map[string]any)
		byName[m["name"].(string)] = m
	}
	for name, want := range map[string]map[string]any{
		"badgeNumber":  {"type": "string", "uniqueness": "server", "mutability": "readWrite"},
		"learnerLevel": {"canonicalValues": []any{"beginner", "intermediate", "advanced"}},
		"credits":      {"type": "integer"},
		"secretCode":   {"returned": "never"},
		"cohort":       {"mutability": "immutable"},
		"skills":       {"multiValued": true},
		"profile":      {"type": "reference", "referenceTypes": []any{"external"}},
	} {
		for k, v := range want {
			if d := cmp.Diff(v, byName[name][k]); d != "" {
				t.Errorf("/Schemas %s.%s (-want +got):\n%s", name, k, d)
			}
		}
	}
	if sub := e2e.Path(byName["mentor"], "subAttributes", 1, "name"); sub != "display" {
		t.Errorf("mentor sub-attributes: %v", byName["mentor"]["subAttributes"])
	}
	if loc := e2e.Path(s, "meta", "location"); loc != h.Base+"/Schemas/"+junoURN {
		t.Errorf("meta.location = %v", loc)
	}
	all := h.Must(200, "GET", "/Schemas", "").Body
	if n := all["totalResults"].(float64); n != 5 { // User, enterprise, Juno User, Group, Juno Group
		t.Errorf("/Schemas lists %v schemas, want 5", n)
	}
	rt := h.Must(200, "GET", "/ResourceTypes/User", "").Body
	want := []any{
		map[string]any{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false},
		map[string]any{"schema": junoURN, "required": false},
	}
	if d := cmp.Diff(want, rt["schemaExtensions"]); d != "" {
		t.Errorf("/ResourceTypes/User schemaExtensions (-want +got):\n%s", d)
	}
}

// TestNewServerRefusesBadExtensions: a malformed extension stops the
// server from starting, with an error naming the attribute.
func TestNewServerRefusesBadExtensions(t *testing.T) {
	for _, tt := range []struct {
		name string
		ext  *schema.Schema
		want string
	}{
		{"not a URN", &schema.Schema{ID: "junojourney", Attributes: []*schema.Attribute{{Name: "a"}}}, "junojourney"},
		{"duplicate names", &schema.Schema{ID: junoURN, Attributes: []*schema.Attribute{{Name: "badge"}, {Name: "Badge"}}}, `"Badge": the name is used twice`},
		{"sub-attributes on a string", &schema.Schema{ID: junoURN, Attributes: []*schema.Attribute{{Name: "badge", SubAttributes: []*schema.Attribute{{Name: "number"}}}}}, "badge"},
		{"unknown type", &schema.Schema{ID: junoURN, Attributes: []*schema.Attribute{{Name: "level", Type: "number"}}}, "level"},
		{"reserved name", &schema.Schema{ID: junoURN, Attributes: []*schema.Attribute{{Name: "id"}}}, "id"},
		{"indexed complex", &schema.Schema{ID: junoURN, Attributes: []*schema.Attribute{{Name: "mentor", Type: schema.Complex, Indexed: true, SubAttributes: []*schema.Attribute{{Name: "value"}}}}}, "mentor"},
		{"unique multi-valued", &schema.Schema{ID: junoURN, Attributes: []*schema.Attribute{{Name: "tags", MultiValued: true, Uniqueness: "server"}}}, "tags"},
		{"the core schema's URN", &schema.Schema{ID: "urn:ietf:params:scim:schemas:core:2.0:User", Attributes: []*schema.Attribute{{Name: "x"}}}, "core:2.0:User"},
	} {
		_, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("a", tokenA), UserExtensions: []schema.Extension{{Schema: tt.ext}}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewServer error %v, want one naming %q", tt.name, err, tt.want)
		}
	}
	// A host store without Indexer cannot keep a unique extension attribute.
	type plainStore struct{ scim.Store }
	_, err := scim.NewServer(scim.Config{Store: plainStore{memory.New()}, Auth: scim.StaticToken("a", tokenA), UserExtensions: []schema.Extension{{Schema: junoExtension()}}})
	if err == nil || !strings.Contains(err.Error(), "Indexer") {
		t.Errorf("NewServer with unique attributes on a store without Indexer: %v", err)
	}
}

// TestRequiredExtension: a required extension, and a required attribute
// in an extension, are enforced on create, replace and patch, and the
// flag is advertised.
func TestRequiredExtension(t *testing.T) {
	ext := &schema.Schema{ID: junoURN, Attributes: []*schema.Attribute{
		{Name: "badgeNumber", Required: true},
		{Name: "note"},
	}}
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("a", tokenA),
		UserExtensions: []schema.Extension{{Schema: ext, Required: true}}})
	if err != nil {
		t.Fatal(err)
	}
	h := e2e.Serve(t, srv, tokenA)
	rt := h.Must(200, "GET", "/ResourceTypes/User", "").Body
	if e2e.Path(rt, "schemaExtensions", 1, "required") != true {
		t.Errorf("schemaExtensions: %v", rt["schemaExtensions"])
	}
	for _, body := range []string{
		`{"userName":"a@x"}`,
		`{"userName":"a@x","` + junoURN + `":{"note":"no badge"}}`,
		`{"userName":"a@x","` + junoURN + `":{"badgeNumber":"  "}}`,
	} {
		if r := h.Do("POST", "/Users", body); r.Status != 400 || r.Body["scimType"] != "invalidValue" {
			t.Errorf("POST %s: %d %s", body, r.Status, r.Raw)
		}
	}
	id := h.CreateUser(`{"userName":"a@x","` + junoURN + `":{"badgeNumber":"B1"}}`)
	for _, tc := range []struct{ method, body string }{
		{"PUT", `{"userName":"a@x"}`},
		{"PATCH", e2e.PatchBody(`{"op":"remove","path":"` + junoURN + `:badgeNumber"}`)},
		{"PATCH", e2e.PatchBody(`{"op":"remove","path":"` + junoURN + `"}`)},
	} {
		if r := h.Do(tc.method, "/Users/"+id, tc.body); r.Status != 400 {
			t.Errorf("%s %s: %d %s", tc.method, tc.body, r.Status, r.Raw)
		}
	}
	if v := e2e.Path(h.Must(200, "GET", "/Users/"+id, "").Body, junoURN, "badgeNumber"); v != "B1" {
		t.Errorf("badgeNumber after refused writes: %v", v)
	}
}
