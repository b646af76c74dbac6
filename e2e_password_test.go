package scim_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/internal/eventtest"
	"github.com/scimkit/scim/store/sqlstore"
)

// passwordCall is one call of a Config.ChangePassword hook.
type passwordCall struct{ Tenant, ID, Password string }

type passwordHook struct {
	mu    sync.Mutex
	calls []passwordCall
}

func (p *passwordHook) change(_ context.Context, tenant, id, pw string) error {
	if pw == "too-short" {
		return &scim.Error{Status: 400, ScimType: scim.InvalidValue, Detail: "The password is too short."}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, passwordCall{tenant, id, pw})
	return nil
}

func (p *passwordHook) take() []passwordCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.calls
	p.calls = nil
	return c
}

// TestChangePassword checks on every store that a host's ChangePassword
// hook receives each new password of a POST, PUT or PATCH once, with the
// user's id, and that the password is nowhere else: not in responses,
// logs, events or (SQLite) the database files.
func TestChangePassword(t *testing.T) {
	stores := extStores(t)
	var sqlitePath string
	stores["sqlite"] = func(t *testing.T) scim.Store {
		sqlitePath = filepath.Join(t.TempDir(), "scim.db")
		s, err := sqlstore.OpenSQLite(context.Background(), sqlitePath)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			hook := &passwordHook{}
			logs := &e2e.Log{}
			rec := eventtest.NewRecorder()
			srv, err := scim.NewServer(scim.Config{Store: open(t), Auth: scim.StaticToken("a", tokenA),
				ChangePassword: hook.change, Events: rec.Handle,
				Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			h := e2e.Serve(t, srv, tokenA)
			if e2e.Path(h.Must(200, "GET", "/ServiceProviderConfig", "").Body, "changePassword", "supported") != true {
				t.Errorf("changePassword not advertised")
			}
			var responses []string
			id := h.Must(201, "POST", "/Users", `{"userName":"ada@contoso.com","password":"Secret-POST-1"}`).Body["id"].(string)
			if got, want := hook.take(), []passwordCall{{"a", id, "Secret-POST-1"}}; !cmp.Equal(got, want) {
				t.Errorf("POST: calls %v, want %v", got, want)
			}
			for i, tc := range []struct {
				method, body string
				status       int
				want         string // the password the hook gets; "" none
			}{
				{"PUT", `{"userName":"ada@contoso.com","password":"Secret-PUT-2"}`, 200, "Secret-PUT-2"},
				{"PUT", `{"userName":"ada@contoso.com"}`, 200, ""},
				{"PATCH", e2e.PatchBody(`{"op":"replace","path":"password","value":"Secret-PATCH-3"}`), 200, "Secret-PATCH-3"},
				{"PATCH", e2e.PatchBody(`{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User:password","value":"Secret-PATCH-4"}`), 200, "Secret-PATCH-4"},
				{"PATCH", e2e.PatchBody(`{"op":"Replace","value":{"Password":"Secret-PATCH-5","title":"CEO"}}`), 200, "Secret-PATCH-5"},
				{"PATCH", e2e.PatchBody(`{"op":"replace","path":"title","value":"CTO"}`), 200, ""},
				{"PATCH", e2e.PatchBody(`{"op":"remove","path":"password"}`), 200, ""},
				{"PATCH", e2e.PatchBody(`{"op":"replace","path":"password","value":42}`), 400, ""},
				{"PUT", `{"userName":"ada@contoso.com","password":["Secret-PUT-6"]}`, 400, ""},
				{"PUT", `{"userName":"ada@contoso.com","password":"too-short"}`, 400, ""},
			} {
				r := h.Do(tc.method, "/Users/"+id, tc.body)
				responses = append(responses, r.Raw)
				if r.Status != tc.status {
					t.Errorf("%d: %s %s: %d, want %d\n%s", i, tc.method, tc.body, r.Status, tc.status, r.Raw)
				}
				var want []passwordCall
				if tc.want != "" {
					want = []passwordCall{{"a", id, tc.want}}
				}
				if got := hook.take(); !cmp.Equal(got, want) {
					t.Errorf("%d: %s %s: calls %v, want %v", i, tc.method, tc.body, got, want)
				}
			}
			if r := h.Do("POST", "/Users", `{"userName":"bob@contoso.com","password":7}`); r.Status != 400 || r.Body["scimType"] != scim.InvalidValue {
				t.Errorf("POST with a number for password: %d %s", r.Status, r.Raw)
			}
			if r := h.Do("GET", "/Users?filter=userName+eq+%22bob@contoso.com%22", ""); r.Body["totalResults"] != 0.0 {
				t.Errorf("a refused POST created a user: %s", r.Raw)
			}
			responses = append(responses, h.Must(200, "GET", "/Users/"+id+"?attributes=password", "").Raw)
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			events, _ := json.Marshal(rec.Events())
			places := map[string]string{"responses": strings.Join(responses, "\n"), "logs": logs.String(), "events": string(events)}
			if name == "sqlite" {
				for _, f := range []string{sqlitePath, sqlitePath + "-wal"} {
					b, _ := os.ReadFile(f)
					places[f] = string(b)
				}
			}
			for where, text := range places {
				if strings.Contains(text, "Secret-") { // every password sent starts so
					t.Errorf("a password is in the %s", where)
				}
			}
		})
	}
}

// TestChangePasswordNotConfigured checks that without the hook passwords
// are accepted and dropped, and changePassword is not advertised.
func TestChangePasswordNotConfigured(t *testing.T) {
	h := newHarness(t)
	if e2e.Path(h.Must(200, "GET", "/ServiceProviderConfig", "").Body, "changePassword", "supported") != false {
		t.Errorf("changePassword advertised without a hook")
	}
	id := h.Must(201, "POST", "/Users", `{"userName":"ada@contoso.com","password":"Secret-1"}`).Body["id"].(string)
	h.Must(200, "PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"replace","path":"password","value":42}`))
}
