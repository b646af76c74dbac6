package scim_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/internal/pgtest"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
	"github.com/scimkit/scim/store/storetest"
)

// jsonSink writes each record as a JSON line to w: the harness's
// provisioning log, which TestMain checks for secrets with every log.
type jsonSink struct{ w io.Writer }

func (s jsonSink) LogOperation(_ context.Context, rec scim.LogRecord) {
	b, _ := json.Marshal(rec)
	s.w.Write(append(b, '\n'))
}

// oplogBackend is a store and a provisioning log kept beside it, with
// flush waiting until the log holds every record given.
type oplogBackend struct {
	store scim.Store
	log   storetest.OperationLog
	flush func()
}

func oplogBackends() map[string]func(t *testing.T) oplogBackend {
	sql := func(t *testing.T, s *sqlstore.Store) oplogBackend {
		l, err := sqlstore.OpenOperationLog(context.Background(), s.DB(), s.Dialect(), sqlstore.OperationLogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close(); s.Close() })
		return oplogBackend{store: s, log: l, flush: func() {
			if err := l.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}}
	}
	return map[string]func(t *testing.T) oplogBackend{
		"memory": func(t *testing.T) oplogBackend {
			return oplogBackend{store: memory.New(), log: memory.NewOperationLog(memory.OperationLogOptions{}), flush: func() {}}
		},
		"sqlite": func(t *testing.T) oplogBackend {
			s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "scim.db"))
			if err != nil {
				t.Fatal(err)
			}
			return sql(t, s)
		},
		"postgres": func(t *testing.T) oplogBackend {
			s, err := sqlstore.Open(context.Background(), pgtest.DB(t, pgtest.SchemaDSN(t)), sqlstore.Postgres)
			if err != nil {
				t.Fatal(err)
			}
			return sql(t, s)
		},
	}
}

const (
	oplogPassword = "Pr0visioning-Secret!"
	oplogClient   = "Microsoft.Azure.AD.Provisioning/1.0"
)

// TestOperationLogHTTP runs an identity provider's requests against a
// Server on every store and checks the provisioning log record of each:
// operation, resource, outcome, status, scimType, changed attributes and
// member changes, for users, groups, failures and Bulk operations.
func TestOperationLogHTTP(t *testing.T) {
	const (
		user  = "urn:ietf:params:scim:schemas:core:2.0:User"
		group = "urn:ietf:params:scim:schemas:core:2.0:Group"
	)
	steps := []struct {
		method, path, body string
		status             int
		save               string // the created id's name in ids
		want               []scim.LogRecord
	}{
		{"POST", "/Users", `{"schemas":["` + user + `"],"userName":"ada@contoso.com","active":true,"name":{"givenName":"Ada"},"password":"` + oplogPassword + `"}`, 201, "ada",
			[]scim.LogRecord{{Method: "POST", Op: "create", ResourceType: "User", ResourceID: "{ada}", Status: 201, Changed: []string{"active", "name.givenName", "userName"}}}},
		{"POST", "/Users", e2e.UserBody("bob@contoso.com"), 201, "bob",
			[]scim.LogRecord{{Method: "POST", Op: "create", ResourceType: "User", ResourceID: "{bob}", Status: 201, Changed: []string{"active", "userName"}}}},
		{"PATCH", "/Users/{ada}", e2e.PatchBody(`{"op":"Replace","path":"active","value":"False"}`), 200, "",
			[]scim.LogRecord{{Method: "PATCH", Op: "patch", ResourceType: "User", ResourceID: "{ada}", Status: 200, Changed: []string{"active"}}}},
		{"PATCH", "/Users/{ada}", e2e.PatchBody(`{"op":"replace","path":"active","value":false}`), 200, "",
			[]scim.LogRecord{{Method: "PATCH", Op: "patch", ResourceType: "User", ResourceID: "{ada}", Status: 200}}},
		{"PUT", "/Users/{ada}", `{"schemas":["` + user + `"],"userName":"ada@contoso.com","name":{"givenName":"Augusta"},"title":"Countess"}`, 200, "",
			[]scim.LogRecord{{Method: "PUT", Op: "replace", ResourceType: "User", ResourceID: "{ada}", Status: 200, Changed: []string{"name.givenName", "title"}}}},
		{"POST", "/Groups", `{"schemas":["` + group + `"],"displayName":"Sales","members":[{"value":"{ada}"}]}`, 201, "sales",
			[]scim.LogRecord{{Method: "POST", Op: "create", ResourceType: "Group", ResourceID: "{sales}", Status: 201, Changed: []string{"displayName", "members"}, MembersAdded: []string{"{ada}"}}}},
		{"PATCH", "/Groups/{sales}", e2e.PatchBody(`{"op":"Add","path":"members","value":[{"value":"{bob}"}]}`), 204, "",
			[]scim.LogRecord{{Method: "PATCH", Op: "patch", ResourceType: "Group", ResourceID: "{sales}", Status: 204, Changed: []string{"members"}, MembersAdded: []string{"{bob}"}}}},
		{"PATCH", "/Groups/{sales}", e2e.PatchBody(`{"op":"Remove","path":"members","value":[{"value":"{bob}"}]}`), 204, "",
			[]scim.LogRecord{{Method: "PATCH", Op: "patch", ResourceType: "Group", ResourceID: "{sales}", Status: 204, Changed: []string{"members"}, MembersRemoved: []string{"{bob}"}}}},
		{"PATCH", "/Groups/{sales}", e2e.PatchBody(`{"op":"replace","path":"members","value":[{"value":"{bob}"}]},{"op":"replace","path":"displayName","value":"Sales EU"}`), 204, "",
			[]scim.LogRecord{{Method: "PATCH", Op: "patch", ResourceType: "Group", ResourceID: "{sales}", Status: 204, Changed: []string{"displayName", "members"}, MembersAdded: []string{"{bob}"}, MembersRemoved: []string{"{ada}"}}}},
		{"PUT", "/Groups/{sales}", `{"schemas":["` + group + `"],"displayName":"Sales EU","members":[{"value":"{ada}"},{"value":"{bob}"}]}`, 200, "",
			[]scim.LogRecord{{Method: "PUT", Op: "replace", ResourceType: "Group", ResourceID: "{sales}", Status: 200, Changed: []string{"members"}, MembersAdded: []string{"{ada}"}}}},
		{"POST", "/Users", e2e.UserBody("ADA@contoso.com"), 409, "",
			[]scim.LogRecord{{Method: "POST", Op: "create", ResourceType: "User", Outcome: scim.OutcomeFailure, Status: 409, SCIMType: scim.Uniqueness}}},
		{"PATCH", "/Users/{bob}", e2e.PatchBody(`{"op":"replace","path":"name[","value":"x"}`), 400, "",
			[]scim.LogRecord{{Method: "PATCH", Op: "patch", ResourceType: "User", ResourceID: "{bob}", Outcome: scim.OutcomeFailure, Status: 400, SCIMType: scim.InvalidPath}}},
		{"GET", "/Users?filter=userName+eq+%22bob@contoso.com%22", "", 200, "",
			[]scim.LogRecord{{Method: "GET", Op: "list", ResourceType: "User", Status: 200}}},
		{"GET", "/Users/{bob}", "", 200, "",
			[]scim.LogRecord{{Method: "GET", Op: "get", ResourceType: "User", ResourceID: "{bob}", Status: 200}}},
		{"GET", "/Users/no-such-id", "", 404, "",
			[]scim.LogRecord{{Method: "GET", Op: "get", ResourceType: "User", ResourceID: "no-such-id", Outcome: scim.OutcomeFailure, Status: 404}}},
		{"POST", "/Groups/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"displayName eq \"Sales EU\""}`, 200, "",
			[]scim.LogRecord{{Method: "POST", Op: "search", ResourceType: "Group", Status: 200}}},
		{"GET", "/ServiceProviderConfig", "", 200, "",
			[]scim.LogRecord{{Method: "GET", Op: "discovery", Status: 200}}},
		{"POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
			{"method":"POST","bulkId":"c","path":"/Users","data":{"schemas":["` + user + `"],"userName":"carol@contoso.com"}},
			{"method":"PATCH","path":"/Groups/{sales}","data":` + e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"bulkId:c"}]}`) + `},
			{"method":"DELETE","path":"/Users/no-such-id"},
			{"method":"GET","path":"/Users"}]}`, 200, "",
			[]scim.LogRecord{
				{Method: "POST", Op: "bulk", Status: 200},
				{Method: "POST", Op: "create", ResourceType: "User", ResourceID: "{carol}", Status: 201, Changed: []string{"active", "userName"}},
				{Method: "PATCH", Op: "patch", ResourceType: "Group", ResourceID: "{sales}", Status: 204, Changed: []string{"members"}, MembersAdded: []string{"{carol}"}},
				{Method: "DELETE", Op: "delete", ResourceType: "User", ResourceID: "no-such-id", Outcome: scim.OutcomeFailure, Status: 404},
				{Method: "GET", ResourceType: "User", Outcome: scim.OutcomeFailure, Status: 400, SCIMType: scim.InvalidSyntax},
			}},
		{"DELETE", "/Users/{bob}", "", 204, "",
			[]scim.LogRecord{{Method: "DELETE", Op: "delete", ResourceType: "User", ResourceID: "{bob}", Status: 204}}},
		{"DELETE", "/Groups/{sales}", "", 204, "",
			[]scim.LogRecord{{Method: "DELETE", Op: "delete", ResourceType: "Group", ResourceID: "{sales}", Status: 204}}},
	}
	for name, open := range oplogBackends() {
		t.Run(name, func(t *testing.T) {
			b := open(t)
			var ts scim.Tokens
			if _, err := ts.Add(t.Context(), scim.Token{Tenant: "a", Digest: scim.TokenDigest(tokenA)}); err != nil {
				t.Fatal(err)
			}
			srv, err := scim.NewServer(scim.Config{Store: b.store, Auth: &ts, OperationLog: b.log,
				ChangePassword: func(context.Context, string, string, string) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			c := e2e.Serve(t, srv, tokenA)
			ids := map[string]string{}
			expand := func(s string) string {
				for k, v := range ids {
					s = strings.ReplaceAll(s, "{"+k+"}", v)
				}
				return s
			}
			expandAll := func(l []string) []string {
				out := make([]string, len(l))
				for i, s := range l {
					out[i] = expand(s)
				}
				return slices.Sorted(slices.Values(out))
			}
			start := time.Now()
			var want []scim.LogRecord
			for i, st := range steps {
				hdr := map[string]string{"User-Agent": oplogClient, "X-Request-Id": "step-" + string(rune('a'+i))}
				r := c.DoAs(tokenA, st.method, expand(st.path), expand(st.body), hdr)
				if r.Status != st.status {
					t.Fatalf("%s %s: status %d, want %d\n%s", st.method, st.path, r.Status, st.status, r.Raw)
				}
				if st.save != "" {
					ids[st.save], _ = r.Body["id"].(string)
				}
				if st.method == "POST" && st.path == "/Bulk" {
					loc, _ := e2e.Path(r.Body, "Operations", 0, "location").(string)
					ids["carol"] = loc[strings.LastIndex(loc, "/")+1:]
				}
				for _, w := range st.want {
					w.Time, w.Tenant, w.RequestID, w.Client = start, "a", hdr["X-Request-Id"], oplogClient
					if w.Outcome == "" {
						w.Outcome = scim.OutcomeSuccess
					}
					w.ResourceID = expand(w.ResourceID)
					w.MembersAdded, w.MembersRemoved = expandAll(w.MembersAdded), expandAll(w.MembersRemoved)
					want = append(want, w)
				}
			}
			// Not authenticated: no tenant to file it under.
			if r := c.DoAs("wrong", "GET", "/Users", "", nil); r.Status != 401 {
				t.Fatalf("wrong token: %d", r.Status)
			}
			b.flush()
			got := readLog(t, b.log, scim.LogQuery{Tenant: "a", Count: 7})
			slices.Reverse(got) // oldest first, as sent
			for _, r := range got {
				if r.Time.Before(start.Add(-time.Second)) || r.Time.After(time.Now()) || r.Duration < 0 || r.Duration > time.Minute {
					t.Errorf("%s %s: time %v, duration %v", r.Method, r.Op, r.Time, r.Duration)
				}
			}
			opts := cmp.Options{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(scim.LogRecord{}, "Time", "Duration")}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("provisioning log (-want +got):\n%s", diff)
			}
			all, _ := json.Marshal(got)
			for _, secret := range []string{oplogPassword, tokenA, "Bearer"} {
				if strings.Contains(string(all), secret) {
					t.Errorf("the log holds %q", secret)
				}
			}

			// Why is Bob no longer in Sales? His history says.
			hist := readLog(t, b.log, scim.LogQuery{Tenant: "a", ResourceType: "User", ResourceID: ids["bob"], Op: "patch", Count: 2})
			var story []string
			for _, r := range hist {
				s := r.ResourceType + " " + r.Op
				if slices.Contains(r.MembersRemoved, ids["bob"]) {
					s += " removed"
				}
				if slices.Contains(r.MembersAdded, ids["bob"]) {
					s += " added"
				}
				story = append(story, s)
			}
			if diff := cmp.Diff([]string{"User patch", "Group patch added", "Group patch removed", "Group patch added"}, story); diff != "" {
				t.Errorf("bob's patches, newest first (-want +got):\n%s", diff)
			}
			fails := readLog(t, b.log, scim.LogQuery{Tenant: "a", Outcome: scim.OutcomeFailure, ResourceType: "User"})
			if len(fails) != 5 {
				t.Errorf("%d failures on users, want 5", len(fails))
			}
		})
	}
}

// readLog follows q's pages to the end.
func readLog(t *testing.T, l scim.LogReader, q scim.LogQuery) []scim.LogRecord {
	t.Helper()
	var out []scim.LogRecord
	for {
		p, err := l.QueryLog(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Records...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
}

// TestOperationLogLine checks that the request log line carries the
// operation, its resource, outcome, scimType and changed names, without
// an OperationLog.
func TestOperationLogLine(t *testing.T) {
	logs := &e2e.Log{}
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("a", tokenA),
		Logger: newTextLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	c := e2e.Serve(t, srv, tokenA)
	id := c.CreateUser(e2e.UserBody("ada@contoso.com"))
	c.Must(http.StatusOK, "PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"replace","path":"title","value":"CEO"}`))
	c.Must(http.StatusConflict, "POST", "/Users", e2e.UserBody("ada@contoso.com"))
	out := logs.String()
	for _, want := range []string{
		"op=create outcome=success resource_type=User resource_id=" + id + ` changed="[active userName]"`,
		"op=patch outcome=success resource_type=User resource_id=" + id + " changed=[title]",
		"op=create outcome=failure resource_type=User scim_type=uniqueness",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no log line with %q in\n%s", want, out)
		}
	}
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
