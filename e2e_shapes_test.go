package scim_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// TestShapes: bodies of the wrong shape are refused with a clear 400 that
// does not echo long input, and change nothing; the leniencies identity
// providers need are kept.
func TestShapes(t *testing.T) {
	h := newHarness(t)
	uid := h.CreateUser(e2e.JunoUser)
	gid := h.CreateGroup(`{"displayName":"G","members":[{"value":"` + uid + `"}]}`)
	long := strings.Repeat("k", 300)
	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		scimType     string
		detail       string // a fragment the detail must contain
	}{
		{"schemas Group on /Users", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"g@x"}`, 400, "invalidSyntax", "core schema"},
		{"schemas User on /Groups", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"U"}`, 400, "invalidSyntax", "core schema"},
		{"schemas Group on PUT /Users", "PUT", "/Users/" + uid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"g@x"}`, 400, "invalidSyntax", "core schema"},
		{"schemas an object", "POST", "/Users", `{"schemas":{},"userName":"g@x"}`, 400, "invalidSyntax", `"schemas"`},
		{"displayName []", "POST", "/Users", `{"userName":"d@x","displayName":[]}`, 400, "invalidValue", `"displayName"`},
		{"displayName {}", "POST", "/Users", `{"userName":"d@x","displayName":{}}`, 400, "invalidValue", `"displayName"`},
		{"displayName [] on PUT", "PUT", "/Users/" + uid, `{"userName":"d@x","displayName":[]}`, 400, "invalidValue", `"displayName"`},
		{"title [] by PATCH", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"title","value":[]}`), 400, "invalidValue", `"title"`},
		{"title [] by path-less PATCH", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","value":{"title":[]}}`), 400, "invalidValue", `"title"`},
		{"active []", "POST", "/Users", `{"userName":"d@x","active":[]}`, 400, "invalidValue", `"active"`},
		{"group displayName []", "PUT", "/Groups/" + gid, `{"displayName":[]}`, 400, "invalidValue", `"displayName"`},
		{"unknown extension key by PATCH", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"add","value":{"` + e2e.EnterpriseURN + `":{"shoeSize":"9"}}}`), 400, "invalidPath", `"shoeSize"`},
		{"long unknown extension key by PATCH", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"add","value":{"` + e2e.EnterpriseURN + `":{"` + long + `":"9"}}}`), 400, "invalidPath", "no attribute"},
		{"control character in unknown key", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"add","value":{"` + e2e.EnterpriseURN + `":{"a\u202eb":"9"}}}`), 400, "invalidPath", "no attribute"},
		{"unknown path-less key", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"add","value":{"shoeSize":"9"}}`), 400, "invalidPath", `"shoeSize"`},
		{"unknown path-less sub-attribute", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"add","value":{"name.shoe":"9"}}`), 400, "invalidPath", `"name.shoe"`},
		{"long unknown path-less key", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"add","value":{"` + long + `":"9"}}`), 400, "invalidPath", "path"},
	}
	before := map[string]string{}
	get := func() map[string]string {
		return map[string]string{
			"user":  h.Must(200, "GET", "/Users/"+uid, "").Raw,
			"group": h.Must(200, "GET", "/Groups/"+gid, "").Raw,
			"users": h.Must(200, "GET", "/Users?count=100", "").Raw,
		}
	}
	before = get()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.Do(tt.method, tt.path, tt.body)
			if r.Status != tt.status || r.Body["scimType"] != tt.scimType {
				t.Fatalf("%d %v, want %d %s\n%s", r.Status, r.Body["scimType"], tt.status, tt.scimType, r.Raw)
			}
			detail, _ := r.Body["detail"].(string)
			if !strings.Contains(detail, tt.detail) {
				t.Errorf("detail %q does not contain %s", detail, tt.detail)
			}
			if strings.Contains(detail, long[:65]) || strings.Contains(detail, "\u202e") {
				t.Errorf("detail echoes the input: %q", detail)
			}
			if diff := cmp.Diff(before, get()); diff != "" {
				t.Errorf("a refused request changed what is stored (-before +after):\n%s", diff)
			}
		})
	}
}

// TestShapeLeniencies: what identity providers send stays accepted, on
// every method.
func TestShapeLeniencies(t *testing.T) {
	h := newHarness(t)
	mgr := h.CreateUser(e2e.UserBody("mgr@x"))
	tests := []struct {
		name   string
		create string
		patch  string // a PATCH of the created user, or ""
		path   []any
		want   any
	}{
		{"no schemas", `{"userName":"a@x","title":"T"}`, "", []any{"title"}, "T"},
		{"unknown and legacy URNs", `{"schemas":["urn:scim:schemas:core:1.0","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"],"userName":"b@x","title":"T"}`, "", []any{"title"}, "T"},
		{"legacy value wrapper", `{"userName":"c@x","title":[{"value":"T"}]}`, "", []any{"title"}, "T"},
		{"legacy value wrapper by PATCH", `{"userName":"d@x"}`, e2e.PatchBody(`{"op":"replace","path":"title","value":[{"$ref":null,"value":"T"}]}`), []any{"title"}, "T"},
		{"manager as a bare id", `{"userName":"e@x","` + e2e.EnterpriseURN + `":{"manager":"` + mgr + `"}}`, "", []any{e2e.EnterpriseURN, "manager", "value"}, mgr},
		{"manager as a bare id by PATCH", `{"userName":"f@x"}`, e2e.PatchBody(`{"op":"add","path":"` + e2e.EnterpriseURN + `:manager","value":"` + mgr + `"}`), []any{e2e.EnterpriseURN, "manager", "value"}, mgr},
		{"schemas inside an extension value by PATCH", `{"userName":"g@x"}`, e2e.PatchBody(`{"op":"add","value":{"` + e2e.EnterpriseURN + `":{"schemas":["` + e2e.EnterpriseURN + `"],"department":"R&D"}}}`), []any{e2e.EnterpriseURN, "department"}, "R&D"},
		{"manager cleared by the empty legacy list", `{"userName":"i@x","` + e2e.EnterpriseURN + `":{"manager":"` + mgr + `","department":"R&D"}}`, e2e.PatchBody(`{"op":"replace","path":"` + e2e.EnterpriseURN + `:manager","value":[]}`), []any{e2e.EnterpriseURN, "manager"}, nil},
		{"schemas inside an extension value by POST", `{"userName":"h@x","` + e2e.EnterpriseURN + `":{"schemas":["x"],"department":"R&D"}}`, "", []any{e2e.EnterpriseURN, "department"}, "R&D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := h.CreateUser(tt.create)
			if tt.patch != "" {
				h.Must(200, "PATCH", "/Users/"+id, tt.patch)
			}
			got := e2e.Path(h.Must(200, "GET", "/Users/"+id, "").Body, tt.path...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%v (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

// TestMemberTypeFromID: a member's type and $ref say what its id is (a
// user: groups hold only users), not what the client sent.
func TestMemberTypeFromID(t *testing.T) {
	forStores(t, func(t *testing.T, open func(t *testing.T) scim.Store) {
		testMemberTypeFromID(t, serveConfig(t, scim.Config{Store: open(t)}))
	})
}

func testMemberTypeFromID(t *testing.T, h *e2e.Client) {
	uid := h.CreateUser(e2e.UserBody("m@x"))
	other := h.CreateUser(e2e.UserBody("n@x"))
	tests := []struct {
		name  string
		setup func() string // returns the group id
	}{
		{"POST", func() string {
			return h.CreateGroup(`{"displayName":"A","members":[{"value":"` + uid + `","type":"Group"}]}`)
		}},
		{"PUT", func() string {
			gid := h.CreateGroup(`{"displayName":"B"}`)
			h.Must(200, "PUT", "/Groups/"+gid, `{"displayName":"B","members":[{"value":"`+uid+`","type":"Group"}]}`)
			return gid
		}},
		{"PATCH add", func() string {
			gid := h.CreateGroup(`{"displayName":"C"}`)
			h.Must(204, "PATCH", "/Groups/"+gid, e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"`+uid+`","type":"Group"}]}`))
			return gid
		}},
		{"PATCH replace", func() string {
			gid := h.CreateGroup(`{"displayName":"D","members":[{"value":"` + other + `"}]}`)
			h.Must(204, "PATCH", "/Groups/"+gid, e2e.PatchBody(`{"op":"replace","path":"members","value":[{"value":"`+uid+`","type":"group"}]}`))
			return gid
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gid := tt.setup()
			g := h.Must(200, "GET", "/Groups/"+gid, "").Body
			want := []any{map[string]any{"value": uid, "type": "User", "$ref": h.Base + "/Users/" + uid}}
			if diff := cmp.Diff(want, g["members"]); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			h.Must(200, "GET", "/Users/"+uid, "")
			r := h.Must(200, "GET", "/Groups?filter=members.type+eq+%22Group%22", "")
			if n := r.Body["totalResults"]; n != float64(0) {
				t.Errorf("members.type eq Group finds %v groups", n)
			}
		})
	}
}

// TestOneLoginEnterpriseKey: enterprise attributes OneLogin sends under
// the pre-RFC URN are kept as the enterprise extension on every method.
func TestOneLoginEnterpriseKey(t *testing.T) {
	const legacy = "urn:scim:schemas:extension:enterprise:2.0"
	h := newHarness(t)
	mgr := h.CreateUser(e2e.UserBody("boss@x"))
	ent := func(dept string) string {
		return `"` + legacy + `":{"department":"` + dept + `","division":"D","manager":"` + mgr + `"}`
	}
	want := func(dept string) map[string]any {
		return map[string]any{"department": dept, "division": "D", "manager": map[string]any{"value": mgr}}
	}
	tpl := `{"schemas":["urn:scim:schemas:core:2.0","` + legacy + `"],"userName":"ol@x",`
	id := h.CreateUser(tpl + ent("Sales") + `}`)
	check := func(step, dept string) {
		t.Helper()
		u := h.Must(200, "GET", "/Users/"+id, "").Body
		if diff := cmp.Diff(want(dept), u[e2e.EnterpriseURN]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", step, diff)
		}
		if _, ok := u[legacy]; ok {
			t.Errorf("%s: the pre-RFC key is shown", step)
		}
	}
	check("POST", "Sales")
	h.Must(200, "PUT", "/Users/"+id, tpl+ent("R&D")+`}`)
	check("PUT", "R&D")
	h.Must(200, "PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"replace","value":{`+ent("Ops")+`}}`))
	check("PATCH", "Ops")
	h.Must(200, "PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"replace","path":"`+legacy+`:department","value":"Legal"}`))
	check("PATCH path", "Legal")
	// Both keys at once: which one wins would be a guess.
	r := h.Do("PUT", "/Users/"+id, tpl+ent("X")+`,"`+e2e.EnterpriseURN+`":{"department":"Y"}}`)
	if r.Status != 400 || r.Body["scimType"] != "invalidSyntax" {
		t.Errorf("both keys: %d %v, want 400 invalidSyntax", r.Status, r.Body["scimType"])
	}
	check("refused PUT", "Legal")
}
