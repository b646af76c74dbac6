package scim_test

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/store/memory"
)

// serveConfig serves cfg (a memory store and a static token added) and
// returns a client of it.
func serveConfig(t *testing.T, cfg scim.Config) *e2e.Client {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = memory.New()
	}
	cfg.Auth = scim.StaticToken("a", tokenA)
	srv, err := scim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e2e.Serve(t, srv, tokenA)
}

// forStores runs f on memory, SQLite and, when SCIMKIT_TEST_POSTGRES is
// set, PostgreSQL.
func forStores(t *testing.T, f func(t *testing.T, open func(t *testing.T) scim.Store)) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) { f(t, open) })
	}
}

// found returns the ids of the users filter finds.
func found(c *e2e.Client, filter string) []string {
	c.T.Helper()
	r := c.Must(200, "GET", "/Users?filter="+url.QueryEscape(filter), "")
	var ids []string
	list, _ := r.Body["Resources"].([]any)
	for _, u := range list {
		ids = append(ids, e2e.Path(u, "id").(string))
	}
	return ids
}

// TestActiveNeverGrantedByAbsence: active left out never makes a user
// active; a user created without it is active in every view.
func TestActiveNeverGrantedByAbsence(t *testing.T) {
	const deactivate = `{"op":"replace","path":"active","value":false}`
	tests := []struct {
		name   string
		create string
		// steps after create: method and body against /Users/{id}
		steps      [][2]string
		wantActive bool
	}{
		{"created without active (OneLogin)", `{"schemas":["urn:scim:schemas:core:2.0"],"userName":"ol@x"}`, nil, true},
		{"created with active false", `{"userName":"f@x","active":false}`, nil, false},
		{"created with active null", `{"userName":"n@x","active":null}`, nil, true},
		{"PUT without active after deactivation", e2e.UserBody("p@x"), [][2]string{
			{"PATCH", e2e.PatchBody(deactivate)},
			{"PUT", `{"userName":"p@x","displayName":"P"}`},
		}, false},
		{"PUT with active null after deactivation", e2e.UserBody("pn@x"), [][2]string{
			{"PATCH", e2e.PatchBody(deactivate)},
			{"PUT", `{"userName":"pn@x","active":null}`},
		}, false},
		{"PATCH remove active after deactivation", e2e.UserBody("r@x"), [][2]string{
			{"PATCH", e2e.PatchBody(deactivate)},
			{"PATCH", e2e.PatchBody(`{"op":"remove","path":"active"}`)},
		}, false},
		{"PATCH replace active null after deactivation", e2e.UserBody("rn@x"), [][2]string{
			{"PATCH", e2e.PatchBody(deactivate)},
			{"PATCH", e2e.PatchBody(`{"op":"replace","value":{"active":null,"title":"T"}}`)},
		}, false},
		{"PUT reactivates when it says so", e2e.UserBody("ra@x"), [][2]string{
			{"PATCH", e2e.PatchBody(deactivate)},
			{"PUT", `{"userName":"ra@x","active":"True"}`},
		}, true},
		{"PUT without active keeps active", e2e.UserBody("k@x"), [][2]string{
			{"PUT", `{"userName":"k@x"}`},
		}, true},
	}
	forStores(t, func(t *testing.T, open func(t *testing.T) scim.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := serveConfig(t, scim.Config{Store: open(t)})
				id := c.CreateUser(tt.create)
				for _, s := range tt.steps {
					c.Must(200, s[0], "/Users/"+id, s[1])
				}
				got := c.Must(200, "GET", "/Users/"+id, "")
				if a, ok := got.Body["active"].(bool); !ok || a != tt.wantActive {
					t.Errorf("active = %v, want %v", got.Body["active"], tt.wantActive)
				}
				want := map[bool][]string{true: {id}, false: nil}
				if diff := cmp.Diff(want[tt.wantActive], found(c, "active eq true")); diff != "" {
					t.Errorf("active eq true (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(want[!tt.wantActive], found(c, "active eq false")); diff != "" {
					t.Errorf("active eq false (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// TestPrivilegeAttributes: roles, entitlements and userType are written
// by identity providers only when Config.WritablePrivileges says so;
// otherwise they are ignored on every method and stored values are kept,
// and the rest of the request is applied.
func TestPrivilegeAttributes(t *testing.T) {
	const admin = `"roles":[{"value":"admin"}],"entitlements":[{"value":"all"}],"userType":"Admin"`
	tests := []struct {
		name     string
		writable []string
		method   string // on the user created by create; POST creates
		body     string
		want     map[string]any // privilege attributes and title after the request
	}{
		{"POST ignored", nil, "POST", `{"userName":"u@x","title":"T",` + admin + `}`,
			map[string]any{"title": "T"}},
		{"POST with Entra's empty roles", nil, "POST", `{"userName":"u@x","title":"T","roles":[]}`,
			map[string]any{"title": "T"}},
		{"PUT ignored, nothing cleared", nil, "PUT", `{"userName":"u@x","title":"T2"}`,
			map[string]any{"title": "T2", "roles": []any{map[string]any{"value": "viewer"}}, "userType": "Employee"}},
		{"PUT cannot raise", nil, "PUT", `{"userName":"u@x","title":"T2",` + admin + `}`,
			map[string]any{"title": "T2", "roles": []any{map[string]any{"value": "viewer"}}, "userType": "Employee"}},
		{"PATCH add with path", nil, "PATCH", e2e.PatchBody(`{"op":"add","path":"roles","value":[{"value":"admin"}]},{"op":"replace","path":"title","value":"T2"}`),
			map[string]any{"title": "T2", "roles": []any{map[string]any{"value": "viewer"}}, "userType": "Employee"}},
		{"PATCH path-less", nil, "PATCH", e2e.PatchBody(`{"op":"replace","value":{"userType":"Admin","entitlements":[{"value":"all"}]}}`),
			map[string]any{"title": "T", "roles": []any{map[string]any{"value": "viewer"}}, "userType": "Employee"}},
		{"PATCH value filter", nil, "PATCH", e2e.PatchBody(`{"op":"replace","path":"roles[value eq \"viewer\"].value","value":"admin"}`),
			map[string]any{"title": "T", "roles": []any{map[string]any{"value": "viewer"}}, "userType": "Employee"}},
		{"PATCH remove", nil, "PATCH", e2e.PatchBody(`{"op":"remove","path":"roles"},{"op":"remove","path":"userType"}`),
			map[string]any{"title": "T", "roles": []any{map[string]any{"value": "viewer"}}, "userType": "Employee"}},
		{"writable roles: PATCH", []string{"roles"}, "PATCH", e2e.PatchBody(`{"op":"add","path":"roles","value":[{"value":"admin"}]},{"op":"replace","path":"userType","value":"Admin"}`),
			map[string]any{"title": "T", "roles": []any{map[string]any{"value": "viewer"}, map[string]any{"value": "admin"}}, "userType": "Employee"}},
		{"writable all: PUT clears", scim.PrivilegeAttributes(), "PUT", `{"userName":"u@x"}`, map[string]any{}},
		{"writable all: POST", scim.PrivilegeAttributes(), "POST", `{"userName":"u@x",` + admin + `}`,
			map[string]any{"roles": []any{map[string]any{"value": "admin"}}, "entitlements": []any{map[string]any{"value": "all"}}, "userType": "Admin"}},
	}
	pick := func(doc map[string]any) map[string]any {
		out := map[string]any{}
		for _, k := range []string{"roles", "entitlements", "userType", "title"} {
			if v, ok := doc[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	forStores(t, func(t *testing.T, open func(t *testing.T) scim.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// The host seeds the stored privileges itself, through the store.
				st := open(t)
				c := serveConfig(t, scim.Config{Store: st, WritablePrivileges: tt.writable})
				var id string
				if tt.method == "POST" {
					id = c.CreateUser(tt.body)
				} else {
					u, err := st.CreateUser(t.Context(), "a", &scim.User{UserName: "u@x", Title: "T", UserType: "Employee", Roles: []scim.MultiValue{{Value: "viewer"}}})
					if err != nil {
						t.Fatal(err)
					}
					id = u.ID
					c.Must(200, tt.method, "/Users/"+id, tt.body)
				}
				got := pick(c.Must(200, "GET", "/Users/"+id, "").Body)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("after %s (-want +got):\n%s", tt.method, diff)
				}
			})
		}
	})
}

func TestWritablePrivilegesUnknownName(t *testing.T) {
	_, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("a", tokenA), WritablePrivileges: []string{"groups"}})
	if err == nil {
		t.Fatal("NewServer accepted WritablePrivileges [groups]")
	}
}
