package elimityscim_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	escim "github.com/elimity-com/scim"
	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/elimityscim"
	"github.com/scimkit/scim/internal/e2e"
)

// TestRequests: the requests elimity handlers get for each SCIM request:
// method, path, query and If-Match.
func TestRequests(t *testing.T) {
	m := newMemory()
	h := e2e.Serve(t, server(t, scim.Config{}, m.types()...), token)
	var uid, gid string
	steps := []struct {
		name string
		do   func()
		want func() []string
	}{
		{"create", func() { uid = h.CreateUser(e2e.UserBody("ada@example.com")) },
			func() []string { return []string{"POST /Users"} }},
		{"get", func() { h.Must(200, "GET", "/Users/"+uid, "") },
			func() []string { return []string{"GET /Users/" + uid} }},
		{"list without filter", func() { h.Must(200, "GET", "/Users?startIndex=2&count=3", "") },
			func() []string { return []string{"GET /Users?count=3&startIndex=2"} }},
		{"list with filter", func() { h.Must(200, "GET", "/Users?filter=userName+eq+%22ada%40example.com%22&count=1", "") },
			func() []string { return []string{"GET /Users?count=500&startIndex=1"} }},
		{"replace: read, check the version, write with If-Match", func() { h.Must(200, "PUT", "/Users/"+uid, e2e.UserBody("ada@example.org")) },
			func() []string {
				return []string{"GET /Users/" + uid, "GET /Users/" + uid + "?excludedAttributes=members", "PUT /Users/" + uid + ` W/"1"`}
			}},
		{"patch a user: the same", func() {
			h.Must(200, "PATCH", "/Users/"+uid, e2e.PatchBody(`{"op":"replace","path":"active","value":"False"}`))
		}, func() []string {
			return []string{"GET /Users/" + uid, "GET /Users/" + uid + "?excludedAttributes=members", "PUT /Users/" + uid + ` W/"2"`}
		}},
		{"create a group", func() { gid = h.CreateGroup(`{"displayName":"Readers"}`) },
			func() []string { return []string{"POST /Groups"} }},
		{"add a member: one Patch", func() {
			h.Must(204, "PATCH", "/Groups/"+gid, e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}`))
		}, func() []string { return []string{"PATCH /Groups/" + gid} }},
		{"rename: read without members, check, Patch with If-Match", func() {
			h.Must(204, "PATCH", "/Groups/"+gid, e2e.PatchBody(`{"op":"replace","path":"displayName","value":"Writers"}`))
		}, func() []string {
			return []string{"GET /Groups/" + gid + "?excludedAttributes=members", "GET /Groups/" + gid + "?excludedAttributes=members", "PATCH /Groups/" + gid + ` W/"2"`}
		}},
		{"list groups without members", func() {
			h.Must(200, "GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22Writers%22", "")
		},
			func() []string { return []string{"GET /Groups?count=500&excludedAttributes=members&startIndex=1"} }},
		{"list groups by member: members are read", func() {
			h.Must(200, "GET", "/Groups?excludedAttributes=members&filter=members.value+eq+%22"+uid+"%22", "")
		}, func() []string { return []string{"GET /Groups?count=500&startIndex=1"} }},
		{"delete", func() { h.Must(204, "DELETE", "/Users/"+uid, "") },
			func() []string { return []string{"DELETE /Users/" + uid} }},
	}
	for _, s := range steps {
		m.mu.Lock()
		m.calls = nil
		m.mu.Unlock()
		s.do()
		m.mu.Lock()
		got := m.calls
		m.mu.Unlock()
		if diff := cmp.Diff(s.want(), got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}

type hostKey struct{}

// TestContext: a handler's request carries the SCIM request's context,
// with the values the host's middleware put there, and the tenant.
func TestContext(t *testing.T) {
	s := &stub{page: escim.Page{Resources: []escim.Resource{}}}
	var ts scim.Tokens
	for _, tenant := range []string{"acme", "globex"} {
		if _, err := ts.Add(t.Context(), scim.Token{Tenant: tenant, Digest: scim.TokenDigest("token-" + tenant)}); err != nil {
			t.Fatal(err)
		}
	}
	srv := server(t, scim.Config{Auth: &ts}, userType(s))
	host := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), hostKey{}, "request-7")))
	})
	h := e2e.Serve(t, host, "token-globex")
	h.Must(200, "GET", "/Users", "")
	h.Token = "token-acme"
	h.Must(200, "GET", "/Users", "")
	var got []string
	for _, r := range s.reqs {
		got = append(got, fmt.Sprintf("%s %v", elimityscim.Tenant(r.Context()), r.Context().Value(hostKey{})))
	}
	if diff := cmp.Diff([]string{"globex request-7", "acme request-7"}, got); diff != "" {
		t.Errorf("tenant and host value (-want +got):\n%s", diff)
	}
	if tenant := elimityscim.Tenant(context.Background()); tenant != "" {
		t.Errorf("Tenant outside the adapter = %q", tenant)
	}
}

// TestTenants: the memory handlers keep tenants apart by Tenant, so one
// tenant's ids are unknown to another.
func TestTenants(t *testing.T) {
	m := newMemory()
	var ts scim.Tokens
	for _, tenant := range []string{"acme", "globex"} {
		if _, err := ts.Add(t.Context(), scim.Token{Tenant: tenant, Digest: scim.TokenDigest("token-" + tenant)}); err != nil {
			t.Fatal(err)
		}
	}
	h := e2e.Serve(t, server(t, scim.Config{Auth: &ts}, m.types()...), "token-acme")
	id := h.CreateUser(e2e.UserBody("ada@example.com"))
	h.Token = "token-globex"
	h.Must(404, "GET", "/Users/"+id, "")
	h.Must(404, "PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"replace","path":"active","value":false}`))
	if r := h.Must(200, "GET", "/Users", ""); r.Body["totalResults"] != 0.0 {
		t.Errorf("globex lists acme's users: %s", r.Raw)
	}
	h.CreateUser(e2e.UserBody("ada@example.com")) // userName is unique per tenant
}
