package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/internal/eventtest"
)

// bulkFixture is a Server on one store with the tenants a (Client) and
// b, and the events it publishes.
type bulkFixture struct {
	a, b *e2e.Client
	rec  *eventtest.Recorder
}

func newBulkFixture(t *testing.T, store scim.Store, cfg scim.Config) *bulkFixture {
	t.Helper()
	var ts scim.Tokens
	for tenant, tok := range map[string]string{"a": tokenA, "b": tokenB} {
		if _, err := ts.Add(t.Context(), scim.Token{Tenant: tenant, Digest: scim.TokenDigest(tok)}); err != nil {
			t.Fatal(err)
		}
	}
	rec := eventtest.NewRecorder()
	cfg.Store, cfg.Auth, cfg.Events = store, &ts, rec.Handle
	srv, err := scim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkEvents(t, srv, rec) })
	a := e2e.Serve(t, srv, tokenA)
	b := *a
	b.Token = tokenB
	return &bulkFixture{a: a, b: &b, rec: rec}
}

// bulkBody is a BulkRequest of ops (JSON objects), with failOnErrors
// when not 0.
func bulkBody(failOnErrors int, ops ...string) string {
	f := ""
	if failOnErrors > 0 {
		f = fmt.Sprintf(`"failOnErrors":%d,`, failOnErrors)
	}
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],` + f + `"Operations":[` + strings.Join(ops, ",") + `]}`
}

func bulkPost(bulkID, path, data string) string {
	return `{"method":"POST","bulkId":"` + bulkID + `","path":"` + path + `","data":` + data + `}`
}

func bulkUser(userName string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `"}`
}

func bulkGroup(name string, memberRefs ...string) string {
	var ms []string
	for _, m := range memberRefs {
		ms = append(ms, `{"value":"`+m+`"}`)
	}
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"` + name + `","members":[` + strings.Join(ms, ",") + `]}`
}

// bulkEntry is what a test checks of a BulkResponse entry.
type bulkEntry struct {
	Method, BulkID, Status, ScimType string
}

// entries decodes a BulkResponse's operations.
func entries(t *testing.T, r e2e.Resp) ([]bulkEntry, []map[string]any) {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("Bulk: %d %s", r.Status, r.Raw)
	}
	if !slices.Equal(anyStrings(r.Body["schemas"]), []string{"urn:ietf:params:scim:api:messages:2.0:BulkResponse"}) {
		t.Errorf("schemas: %v", r.Body["schemas"])
	}
	ops, _ := r.Body["Operations"].([]any)
	var out []bulkEntry
	var raw []map[string]any
	for _, o := range ops {
		m := o.(map[string]any)
		e := bulkEntry{Method: str(m["method"]), BulkID: str(m["bulkId"]), Status: str(m["status"])}
		if resp, ok := m["response"].(map[string]any); ok {
			e.ScimType = str(resp["scimType"])
		}
		out = append(out, e)
		raw = append(raw, m)
	}
	return out, raw
}

func str(v any) string { s, _ := v.(string); return s }

func anyStrings(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, str(e))
	}
	return out
}

// idOf returns the id at the end of a BulkResponse entry's location.
func idOf(m map[string]any) string {
	loc := str(m["location"])
	return loc[strings.LastIndexByte(loc, '/')+1:]
}

func TestBulk(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("users and a group by bulkId, in dependency order", func(t *testing.T) {
				f := newBulkFixture(t, open(t), scim.Config{})
				// The group comes first in the request and references users
				// created after it; the PATCH and DELETE name bulkIds in
				// their paths.
				r := f.a.Do("POST", "/Bulk", bulkBody(0,
					`{"method":"PATCH","path":"/Groups/bulkId:g","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:u3"}]}]}}`,
					bulkPost("g", "/Groups", bulkGroup("Engineering", "bulkId:u1", "bulkId:u2")),
					bulkPost("u1", "/Users", bulkUser("ada@example.com")),
					bulkPost("u2", "/Users", bulkUser("grace@example.com")),
					bulkPost("u3", "/Users", bulkUser("alan@example.com")),
					`{"method":"DELETE","path":"/Users/bulkId:u2"}`,
				))
				got, raw := entries(t, r)
				want := []bulkEntry{
					{Method: "PATCH", Status: "204"},
					{Method: "POST", BulkID: "g", Status: "201"},
					{Method: "POST", BulkID: "u1", Status: "201"},
					{Method: "POST", BulkID: "u2", Status: "201"},
					{Method: "POST", BulkID: "u3", Status: "201"},
					{Method: "DELETE", Status: "204"},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("entries (-want +got):\n%s\n%s", diff, r.Raw)
				}
				gid, u1, u2, u3 := idOf(raw[1]), idOf(raw[2]), idOf(raw[3]), idOf(raw[4])
				for _, m := range raw[1:5] {
					if !strings.HasPrefix(str(m["location"]), f.a.Base+"/") || !strings.HasPrefix(str(m["version"]), `W/"`) {
						t.Errorf("entry without location or version: %v", m)
					}
				}
				if idOf(raw[0]) != gid || idOf(raw[5]) != u2 {
					t.Errorf("locations of the PATCH and DELETE: %v %v", raw[0], raw[5])
				}
				g := f.a.Must(200, "GET", "/Groups/"+gid, "").Body
				members := e2e.MemberIDs(g)
				slices.Sort(members)
				wantMembers := []string{u1, u3}
				slices.Sort(wantMembers)
				if diff := cmp.Diff(wantMembers, members); diff != "" {
					t.Errorf("members (-want +got):\n%s", diff)
				}
				f.a.Must(404, "GET", "/Users/"+u2, "")
				// Events fire per operation.
				f.rec.WaitUntil(t, func(evs []scim.Event) bool {
					kinds := map[string]bool{}
					for _, e := range evs {
						kinds[string(e.Kind)+" "+e.ResourceID] = true
					}
					return kinds["user.created "+u1] && kinds["user.created "+u3] && kinds["group.created "+gid] &&
						kinds["group.members.added "+gid] && kinds["user.deleted "+u2]
				})
			})

			t.Run("circular references and unresolvable ones", func(t *testing.T) {
				f := newBulkFixture(t, open(t), scim.Config{})
				// Groups cannot hold groups on the bundled stores: g1 is
				// created without members, g2 naming it fails, so the
				// attempt fails and g1 goes again; self's own member add
				// fails the same way.
				r := f.a.Do("POST", "/Bulk", bulkBody(0,
					bulkPost("g1", "/Groups", bulkGroup("One", "bulkId:g2")),
					bulkPost("g2", "/Groups", bulkGroup("Two", "bulkId:g1")),
					bulkPost("g3", "/Groups", bulkGroup("Three", "bulkId:g1")), // waits on the cycle
					bulkPost("self", "/Groups", bulkGroup("Self", "bulkId:self")),
					bulkPost("u", "/Users", bulkUser("ok@example.com")),
					bulkPost("g4", "/Groups", bulkGroup("Four", "bulkId:nope")),
					`{"method":"PUT","path":"/Users/bulkId:nope","data":`+bulkUser("x@example.com")+`}`,
				))
				got, raw := entries(t, r)
				want := []bulkEntry{
					{"POST", "g1", "409", ""},
					{"POST", "g2", "400", "invalidValue"},
					{"POST", "g3", "400", "invalidValue"},
					{"POST", "self", "409", ""},
					{"POST", "u", "201", ""},
					{"POST", "g4", "400", "invalidValue"},
					{"PUT", "", "400", "invalidValue"},
				}
				if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b bulkEntry) bool { return a == b })); diff != "" {
					t.Fatalf("entries (-want +got):\n%s\n%s", diff, r.Raw)
				}
				for _, i := range []int{0, 3} {
					detail := str(raw[i]["response"].(map[string]any)["detail"])
					if !strings.Contains(detail, "created without members") || !strings.HasSuffix(detail, "deleted again.") {
						t.Errorf("detail of %s: %q", got[i].BulkID, detail)
					}
				}
				if n := f.a.Must(200, "GET", "/Groups", "").Body["totalResults"]; n != 0.0 {
					t.Errorf("groups left: %v", n)
				}
			})

			t.Run("a manager cycle is resolved", func(t *testing.T) {
				f := newBulkFixture(t, open(t), scim.Config{})
				managed := func(userName, manager string) string {
					return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"` + userName +
						`","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":{"value":"` + manager + `"}}}`
				}
				r := f.a.Do("POST", "/Bulk", bulkBody(0,
					// Waits on the cycle, and runs once it is resolved.
					bulkPost("g", "/Groups", bulkGroup("Pair", "bulkId:ada", "bulkId:grace")),
					bulkPost("ada", "/Users", managed("ada@example.com", "bulkId:grace")),
					bulkPost("grace", "/Users", managed("grace@example.com", "bulkId:ada")),
					bulkPost("alan", "/Users", managed("alan@example.com", "bulkId:alan")), // manages himself
					bulkPost("plain", "/Users", bulkUser("plain@example.com")),
					`{"method":"PATCH","path":"/Users/bulkId:ada","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Ada"}]}}`,
				))
				got, raw := entries(t, r)
				want := []bulkEntry{
					{"POST", "g", "201", ""},
					{"POST", "ada", "201", ""},
					{"POST", "grace", "201", ""},
					{"POST", "alan", "201", ""},
					{"POST", "plain", "201", ""},
					{"PATCH", "", "200", ""},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("entries (-want +got):\n%s\n%s", diff, r.Raw)
				}
				ada, grace, alan := idOf(raw[1]), idOf(raw[2]), idOf(raw[3])
				for i, wantManager := range map[int]string{1: grace, 2: ada, 3: alan} {
					u := f.a.Must(200, "GET", "/Users/"+idOf(raw[i]), "")
					ent, _ := u.Body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
					mgr, _ := ent["manager"].(map[string]any)
					if mgr["value"] != wantManager || ent["department"] != "R&D" {
						t.Errorf("%s: enterprise %v, want manager %s", got[i].BulkID, ent, wantManager)
					}
					// The entry reports the final state. Ada's PATCH came
					// after, so hers is one version older.
					if i != 1 && str(raw[i]["version"]) != u.Header.Get("ETag") {
						t.Errorf("%s: entry version %s, resource %s", got[i].BulkID, raw[i]["version"], u.Header.Get("ETag"))
					}
					if str(raw[i]["location"]) != f.a.Base+"/Users/"+idOf(raw[i]) {
						t.Errorf("%s: location %s", got[i].BulkID, raw[i]["location"])
					}
				}
				members := e2e.MemberIDs(f.a.Must(200, "GET", "/Groups/"+idOf(raw[0]), "").Body)
				slices.Sort(members)
				wantMembers := []string{ada, grace}
				slices.Sort(wantMembers)
				if diff := cmp.Diff(wantMembers, members); diff != "" {
					t.Errorf("members (-want +got):\n%s", diff)
				}
			})

			t.Run("a refused follow-up PATCH fails the attempt", func(t *testing.T) {
				var mu sync.Mutex
				var ops []string
				f := newBulkFixture(t, open(t), scim.Config{BeforeWrite: func(_ context.Context, w scim.Write) error {
					mu.Lock()
					defer mu.Unlock()
					ops = append(ops, string(w.Op))
					if w.Op == scim.OpPatch {
						return scim.Errorf(scim.InvalidValue, "Managers are set by HR only.")
					}
					return nil
				}})
				for _, tc := range []struct {
					failOnErrors int
					want         []bulkEntry
				}{
					// b ran before the attempt failed; a is deleted again,
					// and failOnErrors stops before c.
					{0, []bulkEntry{{"POST", "a", "409", ""}, {"POST", "b", "201", ""}, {"POST", "c", "201", ""}}},
					{1, []bulkEntry{{"POST", "a", "409", ""}, {"POST", "b", "201", ""}}},
				} {
					t.Run(fmt.Sprint(tc.failOnErrors), func(t *testing.T) {
						r := f.a.Do("POST", "/Bulk", bulkBody(tc.failOnErrors,
							bulkPost("a", "/Users", advManaged(fmt.Sprint("a", tc.failOnErrors, "@example.com"), "bulkId:b")),
							bulkPost("b", "/Users", advManaged(fmt.Sprint("b", tc.failOnErrors, "@example.com"), "bulkId:a")),
							bulkPost("c", "/Users", advManaged(fmt.Sprint("c", tc.failOnErrors, "@example.com"), "bulkId:b")), // waits on the cycle
						))
						got, raw := entries(t, r)
						if diff := cmp.Diff(tc.want, got); diff != "" {
							t.Fatalf("entries (-want +got):\n%s\n%s", diff, r.Raw)
						}
						detail := str(raw[0]["response"].(map[string]any)["detail"])
						if !strings.Contains(detail, "without urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager") || !strings.Contains(detail, "Managers are set by HR only.") || !strings.HasSuffix(detail, "deleted again.") {
							t.Errorf("detail: %q", detail)
						}
					})
				}
				if diff := cmp.Diff([]string{"create", "create", "patch", "delete", "create", "create", "create", "patch", "delete"}, ops); diff != "" {
					t.Errorf("writes (-want +got):\n%s", diff)
				}
				if n := f.a.Must(200, "GET", "/Users", "").Body["totalResults"]; n != 3.0 {
					t.Errorf("users: %v, want 3 (b0, c0, b1)", n)
				}
			})

			t.Run("stopping leaves no resource without its references", func(t *testing.T) {
				f := newBulkFixture(t, open(t), scim.Config{})
				// a is created without its manager; x, which fails, runs
				// before b, and failOnErrors stops there.
				r := f.a.Do("POST", "/Bulk", bulkBody(1,
					bulkPost("a", "/Users", advManaged("a@example.com", "bulkId:b")),
					bulkPost("x", "/Users", `{"nickName":"bulkId:a"}`),
					bulkPost("b", "/Users", advManaged("b@example.com", "bulkId:a")),
				))
				got, raw := entries(t, r)
				if diff := cmp.Diff([]bulkEntry{{"POST", "a", "409", ""}, {"POST", "x", "400", "invalidValue"}}, got); diff != "" {
					t.Fatalf("entries (-want +got):\n%s\n%s", diff, r.Raw)
				}
				if detail := str(raw[0]["response"].(map[string]any)["detail"]); !strings.Contains(detail, "stopped") || !strings.HasSuffix(detail, "deleted again.") {
					t.Errorf("detail: %q", detail)
				}
				if n := f.a.Must(200, "GET", "/Users", "").Body["totalResults"]; n != 0.0 {
					t.Errorf("users: %v, want 0", n)
				}
			})

			t.Run("a cycle through a required attribute is 409", func(t *testing.T) {
				f := newBulkFixture(t, open(t), scim.Config{})
				r := f.a.Do("POST", "/Bulk", bulkBody(0,
					bulkPost("a", "/Users", bulkUser("bulkId:b")),
					bulkPost("b", "/Users", bulkUser("bulkId:a")),
					bulkPost("c", "/Users", `{"userName":"c@example.com","nickName":"bulkId:a"}`), // waits on it
					bulkPost("d", "/Users", bulkUser("d@example.com")),
				))
				got, _ := entries(t, r)
				want := []bulkEntry{
					{"POST", "a", "409", ""},
					{"POST", "b", "409", ""},
					{"POST", "c", "409", ""},
					{"POST", "d", "201", ""},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("entries (-want +got):\n%s\n%s", diff, r.Raw)
				}
				if n := f.a.Must(200, "GET", "/Users", "").Body["totalResults"]; n != 1.0 {
					t.Errorf("users: %v, want 1", n)
				}
			})

			t.Run("failOnErrors", func(t *testing.T) {
				for _, tc := range []struct {
					failOnErrors int
					want         []bulkEntry
					users        float64
				}{
					{1, []bulkEntry{{"POST", "bad", "400", "invalidValue"}}, 0},
					{2, []bulkEntry{{"POST", "bad", "400", "invalidValue"}, {"POST", "ok1", "201", ""}, {"POST", "dup", "409", "uniqueness"}}, 1},
					{0, []bulkEntry{{"POST", "bad", "400", "invalidValue"}, {"POST", "ok1", "201", ""}, {"POST", "dup", "409", "uniqueness"}, {"POST", "ok2", "201", ""}}, 2},
				} {
					t.Run(fmt.Sprint(tc.failOnErrors), func(t *testing.T) {
						f := newBulkFixture(t, open(t), scim.Config{})
						r := f.a.Do("POST", "/Bulk", bulkBody(tc.failOnErrors,
							bulkPost("bad", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`),
							bulkPost("ok1", "/Users", bulkUser("one@example.com")),
							bulkPost("dup", "/Users", bulkUser("ONE@example.com")),
							bulkPost("ok2", "/Users", bulkUser("two@example.com")),
						))
						got, _ := entries(t, r)
						if diff := cmp.Diff(tc.want, got); diff != "" {
							t.Errorf("entries (-want +got):\n%s\n%s", diff, r.Raw)
						}
						if n := f.a.Must(200, "GET", "/Users", "").Body["totalResults"]; n != tc.users {
							t.Errorf("users: %v, want %v", n, tc.users)
						}
					})
				}
			})

			t.Run("limits are 413 with nothing run", func(t *testing.T) {
				f := newBulkFixture(t, open(t), scim.Config{BulkMaxOperations: 2, BulkMaxPayloadBytes: 600, MaxBodyBytes: 200})
				three := bulkBody(0, bulkPost("a", "/Users", bulkUser("a@example.com")), bulkPost("b", "/Users", bulkUser("b@example.com")), bulkPost("c", "/Users", bulkUser("c@example.com")))
				big := bulkBody(0, bulkPost("a", "/Users", `{"userName":"a@example.com","displayName":"`+strings.Repeat("x", 700)+`"}`))
				for _, body := range []string{three, big} {
					r := f.a.Do("POST", "/Bulk", body)
					if r.Status != 413 || r.Body["status"] != "413" {
						t.Errorf("%d %s", r.Status, r.Raw)
					}
				}
				// An operation's data is held to MaxBodyBytes as on its own.
				r := f.a.Do("POST", "/Bulk", bulkBody(0, bulkPost("a", "/Users", `{"userName":"a@example.com","displayName":"`+strings.Repeat("x", 250)+`"}`)))
				got, _ := entries(t, r)
				if diff := cmp.Diff([]bulkEntry{{"POST", "a", "413", ""}}, got); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
				if n := f.a.Must(200, "GET", "/Users", "").Body["totalResults"]; n != 0.0 {
					t.Errorf("users created: %v", n)
				}
			})

			t.Run("BeforeWrite per operation", func(t *testing.T) {
				var mu sync.Mutex
				var seen []string
				f := newBulkFixture(t, open(t), scim.Config{BeforeWrite: func(_ context.Context, w scim.Write) error {
					mu.Lock()
					defer mu.Unlock()
					name, _ := w.New["userName"].(string)
					seen = append(seen, fmt.Sprint(w.Op, " ", w.Tenant, " ", name))
					if name == "blocked@example.com" {
						return scim.Errorf(scim.InvalidValue, "Not in a verified domain.")
					}
					return nil
				}})
				r := f.a.Do("POST", "/Bulk", bulkBody(0,
					bulkPost("x", "/Users", bulkUser("blocked@example.com")),
					bulkPost("y", "/Users", bulkUser("fine@example.com")),
				))
				got, _ := entries(t, r)
				if diff := cmp.Diff([]bulkEntry{{"POST", "x", "400", "invalidValue"}, {"POST", "y", "201", ""}}, got); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
				want := []string{fmt.Sprint(scim.OpCreate, " a blocked@example.com"), fmt.Sprint(scim.OpCreate, " a fine@example.com")}
				if diff := cmp.Diff(want, seen); diff != "" {
					t.Errorf("BeforeWrite calls (-want +got):\n%s", diff)
				}
			})

			t.Run("tenant-scoped, authenticated, each operation its own answer", func(t *testing.T) {
				f := newBulkFixture(t, open(t), scim.Config{})
				other := f.b.CreateUser(e2e.UserBody("b@example.com"))
				mine := f.a.CreateUser(e2e.UserBody("mine@example.com"))
				stale := `W/"stale"`
				r := f.a.Do("POST", "/Bulk", bulkBody(0,
					`{"method":"PUT","path":"/Users/`+other+`","data":`+bulkUser("b@example.com")+`}`,
					`{"method":"DELETE","path":"/Users/`+other+`"}`,
					bulkPost("g", "/Groups", bulkGroup("G", other)),
					`{"method":"PUT","path":"/Users/`+mine+`","version":"`+strings.ReplaceAll(stale, `"`, `\"`)+`","data":`+bulkUser("mine@example.com")+`}`,
					`{"method":"POST","bulkId":"x","path":"/Users/`+mine+`","data":`+bulkUser("x@example.com")+`}`,
					`{"method":"DELETE","path":"/Users"}`,
					`{"method":"GET","path":"/Users/`+mine+`"}`,
					`{"method":"POST","path":"/Users","data":`+bulkUser("nobulkid@example.com")+`}`,
					`{"method":"POST","bulkId":"y","path":"/Bulk","data":{}}`,
					bulkPost("ok", "/Users", bulkUser("ok@example.com")),
				))
				got, _ := entries(t, r)
				want := []bulkEntry{
					{"PUT", "", "404", ""},
					{"DELETE", "", "404", ""},
					{"POST", "g", "400", "invalidValue"},
					{"PUT", "", "412", ""},
					{"POST", "x", "404", ""},
					{"DELETE", "", "404", ""},
					{"GET", "", "400", "invalidSyntax"},
					{"POST", "", "400", "invalidSyntax"},
					{"POST", "y", "404", ""},
					{"POST", "ok", "201", ""},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("entries (-want +got):\n%s\n%s", diff, r.Raw)
				}
				f.b.Must(200, "GET", "/Users/"+other, "")
				// The right version wins.
				v := f.a.Must(200, "GET", "/Users/"+mine, "").Header.Get("ETag")
				vjson, _ := json.Marshal(v)
				r = f.a.Do("POST", "/Bulk", bulkBody(0, `{"method":"PATCH","path":"/Users/`+mine+`","version":`+string(vjson)+`,"data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Mine"}]}}`))
				if got, raw := entries(t, r); got[0].Status != "200" || str(raw[0]["version"]) == v {
					t.Errorf("PATCH with the current version: %s", r.Raw)
				}
				// Without a valid token nothing runs.
				r = f.a.DoAs("wrong", "POST", "/Bulk", bulkBody(0, bulkPost("z", "/Users", bulkUser("z@example.com"))), nil)
				if r.Status != 401 {
					t.Errorf("wrong token: %d", r.Status)
				}
			})
		})
	}
}

// TestBulkRequestErrors: faults of the request as a whole are one SCIM
// error, and nothing runs.
func TestBulkRequestErrors(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, body string
		status     int
		scimType   string
	}{
		{"empty", "", 400, "invalidSyntax"},
		{"not JSON", "{", 400, "invalidSyntax"},
		{"an array", "[]", 400, "invalidSyntax"},
		{"no Operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}`, 400, "invalidSyntax"},
		{"wrong schema", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, 400, "invalidSyntax"},
		{"failOnErrors 0", `{"failOnErrors":0,"Operations":[]}`, 400, "invalidValue"},
		{"failOnErrors text", `{"failOnErrors":"1","Operations":[]}`, 400, "invalidValue"},
		{"duplicate bulkId", bulkBody(0, bulkPost("a", "/Users", bulkUser("a@example.com")), bulkPost("a", "/Users", bulkUser("b@example.com"))), 400, "invalidValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", "/Bulk", tc.body)
			checkError(t, r, tc.status, tc.scimType)
		})
	}
	if n := h.Must(200, "GET", "/Users", "").Body["totalResults"]; n != 0.0 {
		t.Errorf("users created: %v", n)
	}
	h.Must(405, "GET", "/Bulk", "")
	r := h.DoAs(tokenA, "POST", "/Bulk", bulkBody(0, bulkPost("a", "/Users", bulkUser("a@example.com"))), map[string]string{"Content-Type": "text/plain"})
	checkError(t, r, 415, "")
}

// TestBulkFilterRefs: a bulkId in the value filter of a PATCH
// operation's path is resolved like any other reference: the PATCH runs
// after the POST it names, fails when that POST failed or is not in the
// request, and waits on a cycle as other references do.
func TestBulkFilterRefs(t *testing.T) {
	const (
		mgrURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
		u1, u2 = `"bulkId:u1"`, `"bulkId:u2"`
	)
	// patch is a Bulk PATCH of target with one operation on path (a
	// JSON string's content) and value (JSON, "" for none).
	patch := func(target, op, path, value string) string {
		v := ""
		if value != "" {
			v = `,"value":` + value
		}
		return `{"method":"PATCH","path":"` + target + `","data":` + e2e.PatchBody(`{"op":"`+op+`","path":"`+path+`"`+v+`}`) + `}`
	}
	q := func(s string) string { return strings.ReplaceAll(s, `"`, `\"`) } // inside a JSON string
	users := []string{bulkPost("u1", "/Users", bulkUser("u1@example.com")), bulkPost("u2", "/Users", bulkUser("u2@example.com"))}
	group := bulkPost("g", "/Groups", bulkGroup("G", "bulkId:u1", "bulkId:u2"))
	for _, tc := range []struct {
		name string
		ops  []string // the PATCH under test is the first
		want bulkEntry
		// members of g and manager of m, as bulkIds, afterwards; nil
		// when the test has no g or m.
		members []string
		manager *string
		imsType string // of m's ims entry whose value is u1's id, when not ""
	}{
		{
			name: "remove a member it names, created after it in the request",
			ops:  append([]string{patch("/Groups/bulkId:g", "remove", q(`members[value eq `+u1+`]`), "")}, append(users, group)...),
			want: bulkEntry{"PATCH", "", "204", ""}, members: []string{"u2"},
		},
		{
			name: "an or-chain and an escaped literal",
			ops:  append([]string{patch("/Groups/bulkId:g", "remove", q(`members[value eq "bulkId:u\\u0031" or value eq `+u2+`]`), "")}, append(users, group)...),
			want: bulkEntry{"PATCH", "", "204", ""}, members: []string{},
		},
		{
			name: "a sub-attribute after the filter",
			ops: append([]string{patch("/Users/bulkId:m", "replace", q(`ims[value eq `+u1+`].type`), `"work"`),
				bulkPost("m", "/Users", `{"userName":"m@example.com","ims":[{"value":"bulkId:u1","type":"aim"}]}`)}, users...),
			want: bulkEntry{"PATCH", "", "200", ""}, imsType: "work",
		},
		{
			name: "a member's sub-attribute is refused as on its own",
			ops:  append([]string{patch("/Groups/bulkId:g", "replace", q(`members[value eq `+u1+`].display`), `"x"`)}, append(users, group)...),
			want: bulkEntry{"PATCH", "", "400", "mutability"}, members: []string{"u1", "u2"},
		},
		{
			name: "an extension attribute's filter",
			ops: append([]string{patch("/Users/bulkId:m", "remove", q(mgrURN+`:manager[value eq `+u1+`]`), ""),
				bulkPost("m", "/Users", advManaged("m@example.com", "bulkId:u1"))}, users...),
			want: bulkEntry{"PATCH", "", "200", ""}, manager: new(string),
		},
		{
			name: "not a reference unless the whole literal is",
			ops:  append([]string{patch("/Groups/bulkId:g", "remove", q(`members[value eq "x bulkId:u1" or display eq "bulkId"]`), "")}, append(users, group)...),
			want: bulkEntry{"PATCH", "", "204", ""}, members: []string{"u1", "u2"},
		},
		{
			name: "a bulkId no POST defines",
			ops:  append([]string{patch("/Groups/bulkId:g", "remove", q(`members[value eq "bulkId:nope"]`), "")}, append(users, group)...),
			want: bulkEntry{"PATCH", "", "400", "invalidValue"}, members: []string{"u1", "u2"},
		},
		{
			name: "the POST it names failed",
			ops: append([]string{patch("/Groups/bulkId:g", "remove", q(`members[value eq "bulkId:bad"]`), ""),
				bulkPost("bad", "/Users", `{"displayName":"no userName"}`)}, append(users, group)...),
			want: bulkEntry{"PATCH", "", "400", "invalidValue"}, members: []string{"u1", "u2"},
		},
		{
			name: "waits on a cycle that is resolved",
			ops: []string{patch("/Groups/bulkId:g", "remove", q(`members[value eq "bulkId:a"]`), ""),
				bulkPost("g", "/Groups", bulkGroup("G", "bulkId:a", "bulkId:b")),
				bulkPost("a", "/Users", advManaged("a@example.com", "bulkId:b")),
				bulkPost("b", "/Users", advManaged("b@example.com", "bulkId:a"))},
			want: bulkEntry{"PATCH", "", "204", ""}, members: []string{"b"},
		},
		{
			name: "waits on a cycle that cannot be",
			ops: []string{patch("/Users/bulkId:u1", "remove", q(`emails[value eq "bulkId:a"]`), ""),
				users[0],
				bulkPost("a", "/Users", bulkUser("bulkId:b")),
				bulkPost("b", "/Users", bulkUser("bulkId:a"))},
			want: bulkEntry{"PATCH", "", "409", ""},
		},
		{
			name: "a path that does not parse is the PATCH's own error",
			ops:  append([]string{patch("/Groups/bulkId:g", "remove", q(`members[value eq `+u1), "")}, append(users, group)...),
			want: bulkEntry{"PATCH", "", "400", "invalidPath"}, members: []string{"u1", "u2"},
		},
	} {
		for name, open := range extStores(t) {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				f := newBulkFixture(t, open(t), scim.Config{})
				r := f.a.Do("POST", "/Bulk", bulkBody(0, tc.ops...))
				got, raw := entries(t, r)
				if len(got) != len(tc.ops) {
					t.Fatalf("%d entries for %d operations: %s", len(got), len(tc.ops), r.Raw)
				}
				if diff := cmp.Diff(tc.want, got[0]); diff != "" {
					t.Fatalf("the PATCH's entry (-want +got):\n%s\n%s", diff, r.Raw)
				}
				byID := map[string]string{} // id -> bulkId
				idOfBulk := map[string]string{}
				for i, e := range got[1:] {
					if e.Status == "201" {
						byID[idOf(raw[i+1])] = e.BulkID
						idOfBulk[e.BulkID] = idOf(raw[i+1])
					}
				}
				if tc.members != nil {
					var members []string
					for _, id := range e2e.MemberIDs(f.a.Must(200, "GET", "/Groups/"+idOfBulk["g"], "").Body) {
						members = append(members, byID[id])
					}
					slices.Sort(members)
					if diff := cmp.Diff(tc.members, members, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("members of g (-want +got):\n%s", diff)
					}
				}
				if tc.manager != nil {
					u := f.a.Must(200, "GET", "/Users/"+idOfBulk["m"], "").Body
					mgr, _ := e2e.Path(u, mgrURN, "manager", "value").(string)
					if byID[mgr] != *tc.manager {
						t.Errorf("manager of m: %q, want %q", byID[mgr], *tc.manager)
					}
				}
				if tc.imsType != "" {
					u := f.a.Must(200, "GET", "/Users/"+idOfBulk["m"], "").Body
					want := []any{map[string]any{"value": idOfBulk["u1"], "type": tc.imsType}}
					if diff := cmp.Diff(want, u["ims"]); diff != "" {
						t.Errorf("ims of m (-want +got):\n%s", diff)
					}
				}
			})
		}
	}
}
