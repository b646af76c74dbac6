package scim_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/internal/pgtest"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

const etagGroupBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales"}`

// versionIn returns the meta.version of a response's body.
func versionIn(r e2e.Resp) string {
	v, _ := e2e.Path(r.Body, "meta", "version").(string)
	return v
}

// TestETagHeaders checks on every store that each response carrying one
// resource has an ETag equal to its meta.version, a weak entity-tag, and
// that a list shows the same meta.version as a GET.
func TestETagHeaders(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			h := newStoreHarness(t, open(t))
			uid := h.CreateUser(userBodyJSON(t, "ada@contoso.com"))
			gid := h.CreateGroup(etagGroupBody)
			seen := map[string]bool{}
			for _, tc := range []struct {
				method, path, body string
				status             int
				newVersion         bool
			}{
				{"POST", "/Users", userBodyJSON(t, "bob@contoso.com"), 201, true},
				{"GET", "/Users/" + uid, "", 200, true},
				{"GET", "/Users/" + uid + "?attributes=userName", "", 200, false},
				{"PUT", "/Users/" + uid, userBodyJSON(t, "ada2@contoso.com"), 200, true},
				{"PATCH", "/Users/" + uid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"CEO"}]}`, 200, true},
				{"POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Ops"}`, 201, true},
				{"GET", "/Groups/" + gid, "", 200, true},
				{"PUT", "/Groups/" + gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales EU"}`, 200, true},
				{"PATCH", "/Groups/" + gid + "?attributes=displayName,meta", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Sales US"}]}`, 200, true},
			} {
				r := h.Must(tc.status, tc.method, tc.path, tc.body)
				tag := r.Header.Get("ETag")
				if !strings.HasPrefix(tag, `W/"`) || !strings.HasSuffix(tag, `"`) || len(tag) < 5 {
					t.Errorf("%s %s: ETag %q, want a weak entity-tag", tc.method, tc.path, tag)
				}
				if v := versionIn(r); v != tag && e2e.Path(r.Body, "meta") != nil {
					t.Errorf("%s %s: meta.version %q, ETag %q", tc.method, tc.path, v, tag)
				}
				if tc.newVersion && seen[tc.path+" "+tag] {
					t.Errorf("%s %s: version %q did not change", tc.method, tc.path, tag)
				}
				seen[tc.path+" "+tag] = true
			}
			g := h.Must(200, "GET", "/Users/"+uid, "")
			l := h.Must(200, "GET", "/Users?filter=id+eq+%22"+uid+"%22", "")
			if got, want := e2e.Path(l.Body, "Resources", 0, "meta", "version"), versionIn(g); got != want {
				t.Errorf("list meta.version %v, GET %v", got, want)
			}
		})
	}
}

// TestIfMatch checks If-Match on PUT, PATCH and DELETE of users and
// groups on every store: a matching tag (in any form a client copies)
// or * writes, a stale one is 412 and changes nothing, a malformed one is
// 400.
func TestIfMatch(t *testing.T) {
	putUser := userBodyJSON(t, "ada-new@contoso.com")
	patchUser := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"CEO"}]}`
	putGroup := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales EU"}`
	// Only members change: the MemberPatcher path.
	patchMembers := func(uid string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + uid + `"}]}]}`
	}
	type request struct{ method, endpoint, body string }
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			h := newStoreHarness(t, open(t))
			member := h.CreateUser(userBodyJSON(t, "member@contoso.com"))
			requests := map[string]func(id string) request{
				"PUT user":            func(id string) request { return request{"PUT", "/Users/" + id, putUser} },
				"PATCH user":          func(id string) request { return request{"PATCH", "/Users/" + id, patchUser} },
				"DELETE user":         func(id string) request { return request{"DELETE", "/Users/" + id, ""} },
				"PUT group":           func(id string) request { return request{"PUT", "/Groups/" + id, putGroup} },
				"PATCH group members": func(id string) request { return request{"PATCH", "/Groups/" + id, patchMembers(member)} },
				"DELETE group":        func(id string) request { return request{"DELETE", "/Groups/" + id, ""} },
			}
			for _, tc := range []struct {
				name     string
				ifMatch  func(tag string) string // tag: the current ETag
				ok       bool
				scimType string // when refused with 400
			}{
				{"current", func(tag string) string { return tag }, true, ""},
				{"current strong", func(tag string) string { return strings.TrimPrefix(tag, "W/") }, true, ""},
				{"current bare", func(tag string) string { return strings.Trim(strings.TrimPrefix(tag, "W/"), `"`) }, true, ""},
				{"star", func(string) string { return "*" }, true, ""},
				{"list with current", func(tag string) string { return `W/"999999", ` + tag }, true, ""},
				{"stale", func(string) string { return `W/"999999"` }, false, ""},
				{"stale list", func(string) string { return `W/"999998", "999999"` }, false, ""},
				{"unterminated", func(string) string { return `W/"3` }, false, scim.InvalidSyntax},
				{"star in list", func(tag string) string { return "*, " + tag }, false, scim.InvalidSyntax},
				{"empty", func(string) string { return " , " }, false, scim.InvalidSyntax},
			} {
				for rname, mk := range requests {
					t.Run(tc.name+"/"+rname, func(t *testing.T) {
						var id, path string
						if strings.Contains(rname, "user") {
							id = h.CreateUser(userBodyJSON(t, "ada@contoso.com"))
							path = "/Users/" + id
						} else {
							id = h.CreateGroup(etagGroupBody)
							path = "/Groups/" + id
						}
						before := h.Must(200, "GET", path+"?attributes=members", "")
						tag := before.Header.Get("ETag")
						rq := mk(id)
						r := h.DoAs(h.Token, rq.method, rq.endpoint, rq.body, map[string]string{"If-Match": tc.ifMatch(tag)})
						after := h.Do("GET", path+"?attributes=members", "")
						switch {
						case tc.ok:
							if r.Status/100 != 2 {
								t.Fatalf("status %d, want 2xx\n%s", r.Status, r.Raw)
							}
							if rq.method == "DELETE" && after.Status != 404 || rq.method != "DELETE" && after.Header.Get("ETag") == tag {
								t.Errorf("nothing changed: %d %s", after.Status, after.Raw)
							}
							if r.Status == 200 && r.Header.Get("ETag") != after.Header.Get("ETag") {
								t.Errorf("ETag %q, then GET %q", r.Header.Get("ETag"), after.Header.Get("ETag"))
							}
						case tc.scimType != "":
							wantError(t, "If-Match "+tc.ifMatch(tag), r, 400, tc.scimType, "")
						default:
							wantPlainError(t, "If-Match "+tc.ifMatch(tag), r, 412)
						}
						if !tc.ok {
							if diff := cmp.Diff(before.Body, after.Body); diff != "" || after.Header.Get("ETag") != tag {
								t.Errorf("refused write changed the resource (-before +after):\n%s", diff)
							}
							h.Must(204, "DELETE", path, "")
						} else if rq.method != "DELETE" {
							h.Must(204, "DELETE", path, "")
						}
					})
				}
			}
			for _, rq := range []request{
				{"DELETE", "/Users/no-such-id", ""}, {"PUT", "/Users/no-such-id", putUser}, {"PATCH", "/Users/no-such-id", patchUser},
				{"DELETE", "/Groups/no-such-id", ""}, {"PUT", "/Groups/no-such-id", putGroup}, {"PATCH", "/Groups/no-such-id", patchMembers(member)},
			} {
				r := h.DoAs(h.Token, rq.method, rq.endpoint, rq.body, map[string]string{"If-Match": "*"})
				wantPlainError(t, rq.method+" "+rq.endpoint+" If-Match *", r, 404)
			}
		})
	}
}

// TestIfNoneMatch checks conditional GETs on every store: a matching tag
// or * is 304 with the ETag and no body; another is 200.
func TestIfNoneMatch(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			h := newStoreHarness(t, open(t))
			uid := h.CreateUser(userBodyJSON(t, "ada@contoso.com"))
			gid := h.CreateGroup(etagGroupBody)
			for _, path := range []string{"/Users/" + uid, "/Users/" + uid + "?attributes=userName", "/Groups/" + gid} {
				tag := h.Must(200, "GET", path, "").Header.Get("ETag")
				for _, tc := range []struct {
					header string
					status int
				}{
					{tag, 304},
					{strings.TrimPrefix(tag, "W/"), 304},
					{`"stale", ` + tag, 304},
					{"*", 304},
					{`W/"999999"`, 200},
					{`W/"3`, 400},
				} {
					r := h.DoAs(h.Token, "GET", path, "", map[string]string{"If-None-Match": tc.header})
					if r.Status != tc.status {
						t.Errorf("GET %s If-None-Match %s: %d, want %d", path, tc.header, r.Status, tc.status)
					}
					if tc.status == 304 && (r.Raw != "" || r.Header.Get("ETag") != tag) {
						t.Errorf("GET %s If-None-Match %s: 304 with body %q, ETag %q", path, tc.header, r.Raw, r.Header.Get("ETag"))
					}
				}
			}
			r := h.DoAs(h.Token, "GET", "/Users/no-such-id", "", map[string]string{"If-None-Match": "*"})
			wantPlainError(t, "If-None-Match * on a missing resource", r, 404)
		})
	}
}

// wantPlainError checks a SCIM error's status and that it has no
// scimType (412 and 404 have none in RFC 7644 section 3.12).
func wantPlainError(t *testing.T, what string, r e2e.Resp, status int) {
	t.Helper()
	if _, has := r.Body["scimType"]; r.Status != status || has || e2e.Path(r.Body, "status") != strconv.Itoa(status) {
		t.Errorf("%s: %d, want %d without scimType\n%s", what, r.Status, status, r.Raw)
	}
}

// sharedStores returns, per store kind, a function opening two handles on
// one store's data: two Servers over them are two instances of one
// service.
func sharedStores(t *testing.T) map[string]func(t *testing.T) (scim.Store, scim.Store) {
	sqlite := func(t *testing.T, path string) scim.Store {
		s, err := sqlstore.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	postgres := func(t *testing.T, dsn string) scim.Store {
		s, err := sqlstore.Open(context.Background(), pgtest.DB(t, dsn), sqlstore.Postgres)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return map[string]func(t *testing.T) (scim.Store, scim.Store){
		"memory": func(t *testing.T) (scim.Store, scim.Store) { s := memory.New(); return s, s },
		"sqlite": func(t *testing.T) (scim.Store, scim.Store) {
			path := filepath.Join(t.TempDir(), "scim.db")
			return sqlite(t, path), sqlite(t, path)
		},
		"postgres": func(t *testing.T) (scim.Store, scim.Store) {
			dsn := pgtest.SchemaDSN(t)
			return postgres(t, dsn), postgres(t, dsn)
		},
	}
}

// TestETagRace sends, on every store, pairs of writes naming the same
// version at once, through one Server and through two Servers over two
// store handles: exactly one of each pair wins, the other is 412.
func TestETagRace(t *testing.T) {
	const rounds = 8
	for name, open := range sharedStores(t) {
		t.Run(name, func(t *testing.T) {
			s1, s2 := open(t)
			one := newStoreHarness(t, s1)
			other := newStoreHarness(t, s2)
			member := one.CreateUser(userBodyJSON(t, "member@contoso.com"))
			for _, tc := range []struct {
				name     string
				endpoint string
				a, b     string // methods and bodies: "METHOD body"
			}{
				{"PUT and PUT", "/Users/", "PUT " + userBodyJSON(t, "ada-a@contoso.com"), "PUT " + userBodyJSON(t, "ada-b@contoso.com")},
				{"PATCH and PATCH", "/Users/", `PATCH {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"A"}]}`,
					`PATCH {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"B"}]}`},
				{"PUT and DELETE", "/Users/", "PUT " + userBodyJSON(t, "ada-a@contoso.com"), "DELETE "},
				{"group members", "/Groups/", `PATCH {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + member + `"}]}]}`,
					`PATCH {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"B"}]}`},
			} {
				for _, servers := range []struct {
					name string
					a, b *harness
				}{{"one server", one, one}, {"two servers", one, other}} {
					t.Run(tc.name+"/"+servers.name, func(t *testing.T) {
						for i := range rounds {
							var id string
							if tc.endpoint == "/Users/" {
								id = one.CreateUser(userBodyJSON(t, "ada@contoso.com"))
							} else {
								id = one.CreateGroup(etagGroupBody)
							}
							tag := one.Must(200, "GET", tc.endpoint+id, "").Header.Get("ETag")
							var wg sync.WaitGroup
							start := make(chan struct{})
							statuses := make([]int, 2)
							for j, c := range []struct {
								h  *harness
								rq string
							}{{servers.a, tc.a}, {servers.b, tc.b}} {
								method, body, _ := strings.Cut(c.rq, " ")
								wg.Add(1)
								go func() {
									defer wg.Done()
									<-start
									r := c.h.DoAs(c.h.Token, method, tc.endpoint+id, body, map[string]string{"If-Match": tag})
									statuses[j] = r.Status
								}()
							}
							close(start)
							wg.Wait()
							wins := 0
							for _, st := range statuses {
								switch {
								case st/100 == 2:
									wins++
								// A write after a won DELETE finds nothing (RFC 7232
								// section 5: preconditions count only where the
								// answer would be 2xx or 412).
								case st != http.StatusPreconditionFailed && !(st == http.StatusNotFound && strings.Contains(tc.b, "DELETE")):
									t.Errorf("round %d: status %d, want 2xx or 412", i, st)
								}
							}
							if wins != 1 {
								t.Errorf("round %d: statuses %v, want exactly one winner", i, statuses)
							}
							one.Do("DELETE", tc.endpoint+id, "")
						}
					})
				}
			}
		})
	}
}

// TestVersionFilter: a filter names a version as the ETag shows it or as
// the store keeps it.
func TestVersionFilter(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			h := newExtHarness(t, open(t))
			id := h.CreateUser(`{"userName":"v@x"}`)
			h.CreateUser(`{"userName":"w@x"}`)
			tag := h.Must(200, "GET", "/Users/"+id, "").Header.Get("ETag")
			if tag == "" {
				t.Fatal("no ETag")
			}
			bare := strings.TrimSuffix(strings.TrimPrefix(tag, `W/"`), `"`)
			for _, tc := range []struct {
				filter string
				n      float64
			}{
				{`meta.version eq ` + strconv.Quote(tag) + ` and id eq "` + id + `"`, 1},
				{`meta.version eq ` + strconv.Quote(bare) + ` and id eq "` + id + `"`, 1},
				{`meta.version ne ` + strconv.Quote(tag) + ` and id eq "` + id + `"`, 0},
				{`meta.version eq "W/\"999\""`, 0},
			} {
				for _, path := range []string{"/Users", "/"} { // one type, and across types
					l := h.Must(200, "GET", path+"?filter="+url.QueryEscape(tc.filter), "")
					if n := l.Body["totalResults"]; n != tc.n {
						t.Errorf("%s %s: %v results, want %v", path, tc.filter, n, tc.n)
					}
				}
			}
		})
	}
}
