package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/memory"
)

// docOnly hides every ability of a ResourceHandler but the interface
// itself, so the Server serves it through documents and the PATCH engine:
// the reference path.
type docOnly struct{ scim.ResourceHandler }

// changeSink keeps the changed attribute names of the last write.
type changeSink struct {
	mu      sync.Mutex
	changed []string
}

func (c *changeSink) LogOperation(_ context.Context, rec scim.LogRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changed = rec.Changed
}

func (c *changeSink) last() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// parityServer is one side of TestTypedPatchParity: a Server over a
// memory store holding the seed users, and their ids by userName.
type parityServer struct {
	srv  *scim.Server
	ids  map[string]string
	sink *changeSink
}

func newParityServer(t *testing.T, typed bool, seeds []*scim.User) parityServer {
	t.Helper()
	st := memory.New()
	ps := parityServer{ids: map[string]string{}, sink: &changeSink{}}
	for _, u := range seeds {
		c := *u
		out, err := st.CreateUser(context.Background(), "t", &c)
		if err != nil {
			t.Fatal(err)
		}
		ps.ids[u.UserName] = out.ID
	}
	cfg := scim.Config{Auth: scim.StaticToken("t", "tok"), OperationLog: ps.sink,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if typed {
		cfg.Store = st
	} else {
		cfg.Resources = []scim.Resource{{Type: schema.User(), Handler: docOnly{scim.UserHandler(st)}}}
	}
	srv, err := scim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps.srv = srv
	return ps
}

// do sends a request and returns its status and its body decoded, with
// what differs between two stores of the same users (ids, times,
// versions, locations) taken out.
// ifMatch is "" for no If-Match, "current" for the user's own ETag, or
// an entity-tag to send.
func (ps parityServer) do(t *testing.T, method, userName, body, ifMatch string) (int, map[string]any) {
	t.Helper()
	if ifMatch == "current" {
		r := httptest.NewRequest("GET", "/Users/"+ps.ids[userName], nil)
		r.Header.Set("Authorization", "Bearer tok")
		w := httptest.NewRecorder()
		ps.srv.ServeHTTP(w, r)
		ifMatch = w.Header().Get("ETag")
	}
	r := httptest.NewRequest(method, "/Users/"+ps.ids[userName], strings.NewReader(body))
	if ifMatch != "" {
		r.Header.Set("If-Match", ifMatch)
	}
	r.Header.Set("Authorization", "Bearer tok")
	r.Header.Set("Content-Type", "application/scim+json")
	w := httptest.NewRecorder()
	ps.srv.ServeHTTP(w, r)
	var doc map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%s %s: %v: %s", method, userName, err, w.Body)
		}
	}
	delete(doc, "id")
	delete(doc, "meta")
	return w.Code, doc
}

// TestTypedPatchParity holds the typed user PATCH to the PATCH engine on
// documents: the same status, error and answer, the same user stored, and
// the same changed attribute names, for operations the typed path takes
// and operations it leaves to the engine, mixed, with and without
// If-Match.
func TestTypedPatchParity(t *testing.T) {
	on, off := true, false
	seeds := []*scim.User{
		{UserName: "plain@x"},
		{UserName: "active@x", Active: &on, Title: "Guide", DisplayName: "Ada", Locale: "en-US"},
		{UserName: "inactive@x", Active: &off, NickName: "N", UserType: "Employee", Timezone: "Europe/Paris"},
		{UserName: "full@x", Active: &on, Name: &scim.Name{GivenName: "A"}, Emails: []scim.MultiValue{{Value: "a@x", Type: "work", Primary: true}},
			Enterprise: &scim.EnterpriseUser{Department: "R&D"}, PreferredLanguage: "fr", ProfileURL: "https://x/p"},
	}
	paths := []string{"active", "Active", "ACTIVE", "title", "displayName", "nickName", "profileUrl", "userType",
		"preferredLanguage", "locale", "timezone", "urn:ietf:params:scim:schemas:core:2.0:User:title",
		" title ", "name.givenName", "userName", "externalId", `emails[type eq "work"].value`, "nope", "active.x",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "password", "groups", "id"}
	values := []string{`"x"`, `""`, `null`, `true`, `false`, `"False"`, `"True"`, `"true"`, `"TRUE"`, `"no"`, `1`, `[]`,
		`["a"]`, `{}`, `{"value":"v"}`, `[{"value":"w"}]`, `"  spaced  "`, `"Zoë"`, `"en_US"`, `"https://x/q"`}
	kinds := []string{"add", "replace", "Replace", "Add", "remove", "copy"}
	typed := newParityServer(t, true, seeds)
	ref := newParityServer(t, false, seeds)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var ops []string
		for range 1 + rng.IntN(3) {
			op := fmt.Sprintf(`{"op":%q,"path":%q`, kinds[rng.IntN(len(kinds))], paths[rng.IntN(len(paths))])
			if rng.IntN(8) > 0 {
				op += `,"value":` + values[rng.IntN(len(values))]
			}
			ops = append(ops, op+"}")
		}
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
		user := seeds[rng.IntN(len(seeds))].UserName
		ifMatch := []string{"", "", "current", `W/"stale"`, "*"}[rng.IntN(5)]
		gotStatus, got := typed.do(t, "PATCH", user, body, ifMatch)
		wantStatus, want := ref.do(t, "PATCH", user, body, ifMatch)
		if gotStatus != wantStatus {
			t.Fatalf("%d: PATCH %s %s: status %d, engine %d (%v)", i, user, body, gotStatus, wantStatus, want)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%d: PATCH %s %s (-engine +typed):\n%s", i, user, body, diff)
		}
		if gotStatus < 300 {
			if diff := cmp.Diff(ref.sink.last(), typed.sink.last()); diff != "" {
				t.Fatalf("%d: PATCH %s %s: changed names (-engine +typed):\n%s", i, user, body, diff)
			}
		}
		_, gotStored := typed.do(t, "GET", user, "", "")
		_, wantStored := ref.do(t, "GET", user, "", "")
		if diff := cmp.Diff(wantStored, gotStored); diff != "" {
			t.Fatalf("%d: after PATCH %s %s, stored (-engine +typed):\n%s", i, user, body, diff)
		}
	}
}

// TestTypedPatchConcurrent runs concurrent typed PATCHes of one user, each
// writer setting an attribute of its own: every write is applied in its
// turn to the user as the one before left it, so no writer's attribute
// goes back to an older value (a lost update would), and the version
// moves by exactly the number of writes.
func TestTypedPatchConcurrent(t *testing.T) {
	st := memory.New()
	u, err := st.CreateUser(context.Background(), "t", &scim.User{UserName: "c@x"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := scim.NewServer(scim.Config{Store: st, Auth: scim.StaticToken("t", "tok"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	attrs := []string{"title", "displayName", "nickName", "profileUrl", "preferredLanguage", "locale", "timezone"}
	const each = 20
	var wg sync.WaitGroup
	for _, a := range attrs {
		wg.Go(func() {
			for j := range each {
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":%q,"value":"%s-%d"}]}`, a, a, j)
				r := httptest.NewRequest("PATCH", "/Users/"+u.ID, strings.NewReader(body))
				r.Header.Set("Authorization", "Bearer tok")
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					t.Errorf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
	wg.Wait()
	got, err := st.GetUser(context.Background(), "t", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := scim.UserDoc(got)
	for _, a := range attrs {
		if want := fmt.Sprintf("%s-%d", a, each-1); stored[a] != want {
			t.Errorf("%s = %v, want its writer's last, %q", a, stored[a], want)
		}
	}
	before, _ := strconv.Atoi(u.Meta.Version)
	if after, err := strconv.Atoi(got.Meta.Version); err != nil || after-before != len(attrs)*each {
		t.Errorf("version %q after %d writes from %q", got.Meta.Version, len(attrs)*each, u.Meta.Version)
	}
}
