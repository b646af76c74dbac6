package scim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/memory"
)

func benchServer(b *testing.B, users int) (*scim.Server, []string) {
	b.Helper()
	st := memory.New()
	ctx := context.Background()
	names := make([]string, users)
	for i := range users {
		names[i] = fmt.Sprintf("user%07d@contoso.com", i)
		if _, err := st.CreateUser(ctx, "t", &scim.User{UserName: names[i], DisplayName: "User", ExternalID: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := scim.NewServer(scim.Config{Store: st, Auth: scim.StaticToken("t", "tok"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return srv, names
}

// BenchmarkLookupUserName measures the whole pipeline for Entra's most
// frequent request, GET /Users?filter=userName eq "...", without a network.
func BenchmarkLookupUserName(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv, names := benchServer(b, n)
			i := 0
			for b.Loop() {
				r := httptest.NewRequest("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+names[i%n]+`"`), nil)
				r.Header.Set("Authorization", "Bearer tok")
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, r)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"totalResults":1`) {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
				i++
			}
		})
	}
}

// BenchmarkCreateUser measures decoding, normalising and encoding a fully
// mapped user through POST /Users.
func BenchmarkCreateUser(b *testing.B) {
	srv, _ := benchServer(b, 0)
	i := 0
	for b.Loop() {
		body := strings.Replace(scim.BenchUserJSON, "Test_User_ab6490ee", fmt.Sprint("u", i), 1)
		r := httptest.NewRequest("POST", "/Users", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer tok")
		r.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		i++
	}
}

// benchUserID creates the fully mapped user of BenchUserJSON on srv and
// returns its id.
func benchUserID(srv *scim.Server) string {
	r := httptest.NewRequest("POST", "/Users", strings.NewReader(scim.BenchUserJSON))
	r.Header.Set("Authorization", "Bearer tok")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	id := w.Header().Get("Location")
	return id[strings.LastIndexByte(id, '/')+1:]
}

// BenchmarkGetUser measures encoding a fully mapped user through GET.
func BenchmarkGetUser(b *testing.B) {
	srv, _ := benchServer(b, 0)
	id := benchUserID(srv)
	for b.Loop() {
		r := httptest.NewRequest("GET", "/Users/"+id, nil)
		r.Header.Set("Authorization", "Bearer tok")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// benchExtension is the extension BenchmarkExtension registers: a few
// attributes of the kinds hosts add, one of them an indexed lookup key.
func benchExtension() []schema.Extension {
	return []schema.Extension{{Schema: &schema.Schema{ID: junoURN, Attributes: []*schema.Attribute{
		{Name: "employeeId", Indexed: true},
		{Name: "learnerLevel", CanonicalValues: []string{"beginner", "intermediate", "advanced"}},
		{Name: "credits", Type: schema.Integer},
		{Name: "mentor", Type: schema.Complex, SubAttributes: []*schema.Attribute{{Name: "value"}, {Name: "display"}}},
	}}}}
}

// BenchmarkExtension measures what one registered extension costs on the
// userName lookup and on POST /Users: without it, registered but unused,
// and with values in every user (which then take the JSON-form path).
func BenchmarkExtension(b *testing.B) {
	const n = 10000
	ext := `"` + junoURN + `":{"employeeId":"E-%d","learnerLevel":"beginner","credits":12,"mentor":{"value":"m-1","display":"Grace"}}`
	for _, tc := range []struct {
		name       string
		register   bool
		withValues bool
	}{{"none", false, false}, {"registered", true, false}, {"values", true, true}} {
		setup := func(b *testing.B) (*scim.Server, func(i int) string) {
			cfg := scim.Config{Store: memory.New(), Auth: scim.StaticToken("t", "tok"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if tc.register {
				cfg.UserExtensions = benchExtension()
			}
			srv, err := scim.NewServer(cfg)
			if err != nil {
				b.Fatal(err)
			}
			body := func(i int) string {
				u := strings.Replace(scim.BenchUserJSON, "Test_User_ab6490ee", fmt.Sprint("u", i), 1)
				if tc.withValues {
					u = strings.Replace(u, `"userName"`, fmt.Sprintf(ext, i)+`,"userName"`, 1)
				}
				return u
			}
			return srv, body
		}
		do := func(b *testing.B, srv *scim.Server, method, target, body string, want int) *httptest.ResponseRecorder {
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			r := httptest.NewRequest(method, target, rd)
			r.Header.Set("Authorization", "Bearer tok")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != want {
				b.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
			}
			return w
		}
		b.Run("create/"+tc.name, func(b *testing.B) {
			srv, body := setup(b)
			i := 0
			for b.Loop() {
				do(b, srv, "POST", "/Users", body(i), http.StatusCreated)
				i++
			}
		})
		b.Run("lookup/"+tc.name, func(b *testing.B) {
			srv, body := setup(b)
			for i := range n {
				do(b, srv, "POST", "/Users", body(i), http.StatusCreated)
			}
			i := 0
			for b.Loop() {
				w := do(b, srv, "GET", "/Users?filter="+url.QueryEscape(fmt.Sprintf(`userName eq "u%d@contoso.com"`, i%n)), "", http.StatusOK)
				if !strings.Contains(w.Body.String(), `"totalResults":1`) {
					b.Fatalf("lookup found no user: %s", w.Body)
				}
				i++
			}
		})
	}
}

// BenchmarkPatchUser measures Entra ID's disable and re-enable of a
// fully mapped user through PATCH /Users/{id} on the memory store.
func BenchmarkPatchUser(b *testing.B) {
	srv, _ := benchServer(b, 0)
	id := benchUserID(srv)
	i := 0
	for b.Loop() {
		v := [2]string{"False", "True"}[i%2]
		r := httptest.NewRequest("PATCH", "/Users/"+id, strings.NewReader(
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"`+v+`"}]}`))
		r.Header.Set("Authorization", "Bearer tok")
		r.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		i++
	}
}
