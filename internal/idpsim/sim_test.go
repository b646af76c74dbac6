package idpsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

const testToken = "entrasim-test-token"

// newSCIM serves scimkit with an in-memory store at /scim/v2 on a loopback
// test server, behind wrap (nil: none), and returns the base URL.
func newSCIM(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("t", testToken),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = http.StripPrefix("/scim/v2", srv)
	if wrap != nil {
		h = wrap(h)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", h)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL + "/scim/v2"
}

// run runs a small simulation and returns its summary and log.
func run(t *testing.T, base string, mode Mode, users, groups, members, cycles int) (*Summary, string) {
	t.Helper()
	var log bytes.Buffer
	sum, err := Run(context.Background(), Config{
		BaseURL: base, Token: testToken, Mode: mode,
		Users: users, Groups: groups, Members: members, Cycles: cycles,
		Concurrency: 4, Seed: 3, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, log.String()
}

// managed counts the users given a manager by the model for a run.
func managed(users int) int {
	s := &simulation{cfg: Config{Users: users, Seed: 3}}
	s.initUsers()
	n := 0
	for _, u := range s.users {
		if u.manager >= 0 {
			n++
		}
	}
	return n
}

// TestAgainstScimkit provisions into scimkit in every mode: no check may
// fail, and every planned operation must be carried out.
func TestAgainstScimkit(t *testing.T) {
	const users, groups, members = 40, 5, 12
	mgr := managed(users)
	if mgr == 0 || mgr == users {
		t.Fatalf("the model should give some but not all users a manager, got %d of %d", mgr, users)
	}
	type ops = map[string]map[string]map[Outcome]int
	entra := ops{
		"user": {
			"provision": {Created: users}, "manager": {Updated: mgr}, "update": {Updated: 7},
			"rename": {Updated: 2}, "disable": {Updated: 2}, "enable": {Updated: 1}, "delete": {Updated: 2},
		},
		"group": {
			"provision": {Created: groups}, "members": {Updated: groups + 2},
			"rename": {Updated: 2}, "delete": {Updated: 2},
		},
	}
	okta := ops{
		"user": {
			"provision": {Created: users}, "manager": {Updated: mgr}, "update": {Updated: 8},
			"rename": {Updated: 2}, "deactivate": {Updated: 2}, "reactivate": {Updated: 1},
		},
		"group": entra["group"],
	}
	for _, tc := range []struct {
		mode Mode
		want ops
	}{
		{EntraLegacy, entra},
		{EntraFlag, entra},
		{Okta, okta},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			sum, log := run(t, newSCIM(t, nil), tc.mode, users, groups, members, 2)
			if !sum.OK || sum.Outcomes[Failed] != 0 || sum.FailedChecks != 0 {
				t.Fatalf("run failed: %+v\n%s", sum.Reasons, log)
			}
			if diff := cmp.Diff(tc.want, sum.Operations); diff != "" {
				t.Errorf("operations (-want +got):\n%s", diff)
			}
			if sum.Requests == 0 || len(sum.Latency) == 0 {
				t.Errorf("no request statistics: %+v", sum)
			}
			if !strings.Contains(log, "RESULT: OK") {
				t.Errorf("log lacks the OK result:\n%s", log)
			}
		})
	}
}

// TestRerunMatches runs the same seed twice against one server: the second
// initial cycle must match every user and group instead of creating them,
// and find nothing to change.
func TestRerunMatches(t *testing.T) {
	for _, mode := range []Mode{EntraLegacy, EntraFlag, Okta} {
		t.Run(mode.String(), func(t *testing.T) {
			base := newSCIM(t, nil)
			if sum, log := run(t, base, mode, 20, 3, 5, 0); !sum.OK {
				t.Fatalf("first run failed:\n%s", log)
			}
			sum, log := run(t, base, mode, 20, 3, 5, 0)
			if !sum.OK {
				t.Fatalf("second run failed:\n%s", log)
			}
			want := map[string]map[Outcome]int{
				"provision": {Skipped: 20},
				"manager":   {Skipped: managed(20)},
			}
			if diff := cmp.Diff(want, sum.Operations["user"]); diff != "" {
				t.Errorf("user outcomes (-want +got):\n%s", diff)
			}
			// Groups are matched; their members are already there.
			wantG := map[string]map[Outcome]int{
				"provision": {Skipped: 3},
				"members":   {Skipped: 3},
			}
			if diff := cmp.Diff(wantG, sum.Operations["group"]); diff != "" {
				t.Errorf("group outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRerunAfterChanges runs the same seed again after an incremental
// cycle: the second initial cycle must bring the changed and renamed users
// back (by PATCH or, in Okta mode, by PUT, keeping their managers) and
// recreate the deleted ones (Entra), with every check passing.
func TestRerunAfterChanges(t *testing.T) {
	for _, mode := range []Mode{EntraLegacy, EntraFlag, Okta} {
		t.Run(mode.String(), func(t *testing.T) {
			base := newSCIM(t, nil)
			if sum, log := run(t, base, mode, 60, 3, 5, 1); !sum.OK {
				t.Fatalf("first run failed:\n%s", log)
			}
			sum, log := run(t, base, mode, 60, 3, 5, 0)
			if !sum.OK {
				t.Fatalf("second run failed:\n%s", log)
			}
			p := sum.Operations["user"]["provision"]
			if p[Updated] == 0 || (p[Created] == 0) != (mode == Okta) || p[Skipped] == 0 {
				t.Errorf("want matched-and-updated, in-sync and (Entra) recreated users, got %v", p)
			}
		})
	}
}

// rewriteJSON returns middleware that passes each JSON response body of
// the wrapped handler through fix (which may change the status, header or
// body) before writing it.
func rewriteJSON(fix func(r *http.Request, status *int, h http.Header, doc map[string]any) map[string]any) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			status, body := rec.Code, rec.Body.Bytes()
			h := rec.Header().Clone()
			var doc map[string]any
			if len(body) > 0 && json.Unmarshal(body, &doc) == nil {
				if doc = fix(r, &status, h, doc); doc != nil {
					body, _ = json.Marshal(doc)
				} else {
					body = nil
				}
				h.Del("Content-Length")
			}
			for k, v := range h {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			w.Write(body)
		})
	}
}

// forEachUser applies f to a User document and to every resource of a
// ListResponse.
func forEachUser(doc map[string]any, f func(map[string]any)) {
	if list, ok := doc["Resources"].([]any); ok {
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				f(m)
			}
		}
		return
	}
	f(doc)
}

// Deliberately broken servers, each with the defect an IdP trips on.
var (
	managerAsString = rewriteJSON(func(_ *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
		forEachUser(doc, func(u map[string]any) {
			if e, ok := u[entURN].(map[string]any); ok {
				if m, ok := e["manager"].(map[string]any); ok {
					e["manager"] = m["value"]
				}
			}
		})
		return doc
	})
	notFoundOnMiss = rewriteJSON(func(r *http.Request, status *int, _ http.Header, doc map[string]any) map[string]any {
		if r.Method == http.MethodGet && r.URL.Query().Has("filter") && doc["totalResults"] == 0.0 {
			*status = http.StatusNotFound
			return map[string]any{"schemas": []string{errorURN}, "status": "404", "detail": "no such user"}
		}
		return doc
	})
	plainJSON = rewriteJSON(func(_ *http.Request, _ *int, h http.Header, doc map[string]any) map[string]any {
		h.Set("Content-Type", "application/json")
		return doc
	})
	stringTotals = rewriteJSON(func(_ *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
		if n, ok := doc["totalResults"].(float64); ok {
			doc["totalResults"] = strconv.Itoa(int(n))
		}
		return doc
	})
	omitEmptyResources = rewriteJSON(func(_ *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
		if doc["totalResults"] == 0.0 {
			delete(doc, "Resources")
		}
		return doc
	})
	activeAsString = rewriteJSON(func(_ *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
		forEachUser(doc, func(u map[string]any) {
			if b, ok := u["active"].(bool); ok {
				u["active"] = map[bool]string{true: "True", false: "False"}[b]
			}
		})
		return doc
	})
	groupPatchBody = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/Groups/") {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				if rec.Code == http.StatusNoContent {
					w.Header().Set("Content-Type", "application/scim+json")
					w.WriteHeader(http.StatusOK)
					io.WriteString(w, `{"schemas":["`+groupURN+`"],"id":"x"}`)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
)

// Discovery defects.
var (
	noPatchSupport = rewriteJSON(func(r *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
		if strings.HasSuffix(r.URL.Path, "/ServiceProviderConfig") {
			doc["patch"] = map[string]any{"supported": false}
		}
		return doc
	})
	noGroupSchema = rewriteJSON(func(r *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
		if strings.HasSuffix(r.URL.Path, "/Schemas") {
			list, _ := doc["Resources"].([]any)
			var keep []any
			for _, e := range list {
				if e.(map[string]any)["id"] != groupURN {
					keep = append(keep, e)
				}
			}
			doc["Resources"] = keep
		}
		return doc
	})
	noManagerInSchema = rewriteJSON(func(r *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
		if strings.HasSuffix(r.URL.Path, "/Schemas") {
			for _, e := range doc["Resources"].([]any) {
				sc := e.(map[string]any)
				if sc["id"] != entURN {
					continue
				}
				var keep []any
				for _, a := range sc["attributes"].([]any) {
					if a.(map[string]any)["name"] != "manager" {
						keep = append(keep, a)
					}
				}
				sc["attributes"] = keep
			}
		}
		return doc
	})
)

// clearOnLegacyRemove turns Entra's legacy member removal (Remove members
// with a value list) into RFC 7644's remove-all, the defect of strictly
// RFC servers.
func clearOnLegacyRemove(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/Groups/") {
			b, _ := io.ReadAll(r.Body)
			var p struct {
				Schemas    []string         `json:"schemas"`
				Operations []map[string]any `json:"Operations"`
			}
			if json.Unmarshal(b, &p) == nil {
				for _, op := range p.Operations {
					if op["op"] == "Remove" && op["path"] == "members" {
						delete(op, "value")
					}
				}
				b, _ = json.Marshal(p)
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
		}
		next.ServeHTTP(w, r)
	})
}

// keepDeleted answers 204 to DELETE without deleting.
func keepDeleted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readModifyWrite applies member additions by reading the group and
// writing the whole member list back (PUT), with a pause in between: the
// lost-update defect that concurrent membership PATCHes expose.
func readModifyWrite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch || !strings.Contains(r.URL.Path, "/Groups/") {
			next.ServeHTTP(w, r)
			return
		}
		var p struct {
			Operations []struct {
				Op, Path string
				Value    json.RawMessage
			}
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &p) != nil || len(p.Operations) != 1 || !strings.EqualFold(p.Operations[0].Op, "add") || p.Operations[0].Path != "members" {
			r.Body = io.NopCloser(bytes.NewReader(b))
			next.ServeHTTP(w, r)
			return
		}
		var add []map[string]any
		json.Unmarshal(p.Operations[0].Value, &add)
		get := httptest.NewRecorder()
		next.ServeHTTP(get, httptest.NewRequestWithContext(r.Context(), http.MethodGet, r.URL.Path, nil))
		var g map[string]any
		json.Unmarshal(get.Body.Bytes(), &g)
		members, _ := g["members"].([]any)
		for _, m := range add {
			members = append(members, map[string]any{"value": m["value"]})
		}
		time.Sleep(20 * time.Millisecond)
		body, _ := json.Marshal(map[string]any{"schemas": []string{groupURN}, "displayName": g["displayName"], "externalId": g["externalId"], "members": members})
		put := httptest.NewRequestWithContext(r.Context(), http.MethodPut, r.URL.Path, bytes.NewReader(body))
		put.Header = r.Header.Clone()
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, put)
		if rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// ignoreStartIndex serves every page of an unfiltered user list from the
// start.
func ignoreStartIndex(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); r.Method == http.MethodGet && q.Has("startIndex") && !q.Has("filter") {
			q.Set("startIndex", "1")
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// caseSensitiveLookup answers a userName lookup with no match unless the
// value is exactly as stored (here: lower case).
func caseSensitiveLookup(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := r.URL.Query().Get("filter"); strings.HasPrefix(f, "userName eq") && f != strings.ToLower(f) {
			w.Header().Set("Content-Type", "application/scim+json")
			io.WriteString(w, `{"schemas":["`+listURN+`"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestBrokenServers runs against servers with one defect each: the run
// must fail and name the defect.
func TestBrokenServers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   Mode
		wrap   func(http.Handler) http.Handler
		reason string
		users  int // default 20
	}{
		{"startIndex ignored", Okta, ignoreStartIndex, "paging returned users twice: the order is not stable", 250},
		{"startIndex ignored, echo", Okta, ignoreStartIndex, "startIndex differs from the one requested", 250},
		{"case-sensitive userName filter", Okta, caseSensitiveLookup, ReasonCaseSensitive, 0},
		{"manager as a string", EntraLegacy, managerAsString, ReasonManagerString, 0},
		{"404 on a filter miss", EntraLegacy, notFoundOnMiss, ReasonFilterMiss404, 0},
		{"application/json", EntraFlag, plainJSON, ReasonJSONType, 0},
		{"legacy removal clears the group", EntraLegacy, clearOnLegacyRemove, ReasonGroupCleared, 0},
		{"totalResults as a string", Okta, stringTotals, "totalResults is a string: IdPs read paging numbers as integers", 0},
		{"Resources omitted when empty", EntraLegacy, omitEmptyResources, `Resources missing from an empty ListResponse: Entra expects "Resources": []`, 0},
		{"active as a string", EntraFlag, activeAsString, ReasonActiveString, 0},
		{"group PATCH answers 200", EntraLegacy, groupPatchBody, ReasonGroup200, 0},
		{"DELETE does not delete", EntraLegacy, keepDeleted, ReasonStillReadable, 0},
		{"deleted users stay group members", EntraLegacy, keepDeleted, ReasonDeletedMember, 0},
		{"membership by read-modify-write", EntraLegacy, readModifyWrite, ReasonMembersDiffer, 0},
		{"PATCH not advertised", EntraFlag, noPatchSupport, "ServiceProviderConfig says patch is not supported: Entra requires it", 0},
		{"no Group schema", EntraLegacy, noGroupSchema, "Group schema missing from /Schemas: the gallery group tests fail", 0},
		{"manager not in /Schemas", EntraLegacy, noManagerInSchema, "manager missing from /Schemas: the validator's Schema_Discoverability test fails", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			users := tc.users
			if users == 0 {
				users = 20
			}
			sum, log := run(t, newSCIM(t, tc.wrap), tc.mode, users, 3, 16, 1)
			if sum.OK || sum.Outcomes[Failed] == 0 {
				t.Fatalf("the run passed against a broken server:\n%s", log)
			}
			var reasons []string
			for _, rc := range sum.Reasons {
				reasons = append(reasons, rc.Reason)
			}
			if !contains(reasons, tc.reason) {
				t.Errorf("reason %q not reported; got:\n  %s", tc.reason, strings.Join(reasons, "\n  "))
			}
			if !strings.Contains(log, tc.reason) || !strings.Contains(log, "RESULT: FAILED") {
				t.Errorf("the log does not state the reason and the failed result:\n%s", log)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestSchemaNote: sub-attributes outside the mapping are noted, not
// failed.
func TestSchemaNote(t *testing.T) {
	setDisplay := func(add bool) func(http.Handler) http.Handler {
		return rewriteJSON(func(r *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
			if !strings.HasSuffix(r.URL.Path, "/Schemas") {
				return doc
			}
			for _, e := range doc["Resources"].([]any) {
				for _, a := range e.(map[string]any)["attributes"].([]any) {
					am := a.(map[string]any)
					if am["name"] != "emails" && am["name"] != "phoneNumbers" {
						continue
					}
					var subs []any
					for _, sa := range am["subAttributes"].([]any) {
						if sa.(map[string]any)["name"] != "display" {
							subs = append(subs, sa)
						}
					}
					if add {
						subs = append(subs, map[string]any{"name": "display", "type": "string"})
					}
					am["subAttributes"] = subs
				}
			}
			return doc
		})
	}
	for _, tc := range []struct {
		add  bool
		want []string
	}{
		{true, []string{"/Schemas advertises emails.display, phoneNumbers.display, outside the Juno Journey mapping: Microsoft's validator has rejected such sub-attributes (\"... is not supported by the SCIM protocol\")"}},
		{false, nil},
	} {
		sum, log := run(t, newSCIM(t, setDisplay(tc.add)), EntraLegacy, 5, 1, 2, 0)
		if !sum.OK {
			t.Fatalf("run failed:\n%s", log)
		}
		if diff := cmp.Diff(tc.want, sum.Notes); diff != "" {
			t.Errorf("display advertised %t: notes (-want +got):\n%s", tc.add, diff)
		}
	}
}

// TestLegacyRemovalOnlyInLegacy checks that the clear-the-group defect is
// specific to the legacy form: the flag form's members[value eq] removal
// is unaffected by the same server.
func TestLegacyRemovalOnlyInLegacy(t *testing.T) {
	sum, log := run(t, newSCIM(t, clearOnLegacyRemove), EntraFlag, 20, 3, 6, 1)
	if !sum.OK {
		t.Fatalf("flag-form run failed:\n%s", log)
	}
}

// TestUnreachable aborts after Test Connection when nothing answers.
func TestUnreachable(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	base := hs.URL + "/scim/v2"
	hs.Close()
	sum, log := run(t, base, EntraLegacy, 5, 1, 1, 1)
	if sum.OK || sum.Aborted == "" || !contains(reasonList(sum), ReasonNoResponse) {
		t.Fatalf("want an aborted run for no response, got %+v\n%s", sum, log)
	}
	if sum.Requests != 2 {
		t.Errorf("requests after a failed Test Connection: %d, want the 2 Test Connection queries", sum.Requests)
	}
}

// TestBadToken aborts on rejected credentials.
func TestBadToken(t *testing.T) {
	var log bytes.Buffer
	sum, err := Run(context.Background(), Config{BaseURL: newSCIM(t, nil), Token: "wrong", Users: 5, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK || sum.Aborted == "" || !contains(reasonList(sum), ReasonCredentials) {
		t.Fatalf("want an aborted run for bad credentials, got %+v\n%s", sum, log.String())
	}
}

func reasonList(sum *Summary) []string {
	var out []string
	for _, rc := range sum.Reasons {
		out = append(out, rc.Reason)
	}
	return out
}

// recorded is one request as the server saw it.
type recorded struct {
	Method, URI, ContentType, Accept, UserAgent string
	HasUserAgent                                bool
	Body                                        string
}

// recordRequests returns middleware capturing every request.
func recordRequests(mu *sync.Mutex, out *[]recorded) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			_, hasUA := r.Header["User-Agent"]
			mu.Lock()
			*out = append(*out, recorded{r.Method, r.RequestURI, r.Header.Get("Content-Type"), r.Header.Get("Accept"),
				r.Header.Get("User-Agent"), hasUA, string(b)})
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
}

// TestWireShapes checks the request line, headers and body shapes each
// mode puts on the wire, against the IdPs' documented requests.
func TestWireShapes(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		want []string // substrings of "METHOD URI BODY" that some request must have
		ct   string   // Content-Type of requests with a body
		ua   string   // User-Agent, "" for none
		acc  string
	}{
		{EntraLegacy, []string{
			"GET /scim/v2/Users?filter=userName+eq+%22",
			`GET /scim/v2/Groups?excludedAttributes=members&filter=displayName+eq+%22`,
			`POST /scim/v2/Groups {"schemas":["` + groupURN + `","` + msGroupURN + `"]`,
			`{"op":"Add","path":"` + managerKey + `","value":"`,
			"&attributes=id",
			`{"op":"Add","path":"members","value":[{"$ref":null,"value":"`,
			`{"op":"Remove","path":"members","value":[{"value":"`,
			`{"op":"Replace","path":"active","value":"False"}`,
			`{"op":"Replace","path":"userName","value":"`,
			"DELETE /scim/v2/Users/",
		}, "application/scim+json", "", ""},
		{EntraFlag, []string{
			`{"op":"replace","value":{"`,
			`{"op":"replace","path":"active","value":false}`,
			`{"op":"remove","path":"members[value eq \"`,
			`{"op":"add","path":"members","value":[{"value":"`,
			`{"op":"add","path":"` + managerKey + `","value":"`,
		}, "application/scim+json", "", ""},
		{Okta, []string{
			"GET /scim/v2/Users?filter=userName%20eq%20%22",
			"&startIndex=1&count=100",
			`"password":"`,
			`"groups":[]`,
			`"locale":"en-US"`,
			"PUT /scim/v2/Users/",
			`{"op":"replace","value":{"active":false}}`,
			`{"op":"replace","value":{"id":"`,
			`POST /scim/v2/Groups {"schemas":["` + groupURN + `"],"displayName":"`,
			`"members":[]}`,
		}, "application/json", "Okta SCIM Client 1.0.0", "application/scim+json; charset=utf-8"},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			var mu sync.Mutex
			var reqs []recorded
			sum, log := run(t, newSCIM(t, recordRequests(&mu, &reqs)), tc.mode, 60, 4, 8, 2)
			if !sum.OK {
				t.Fatalf("run failed:\n%s", log)
			}
			var lines []string
			for _, r := range reqs {
				lines = append(lines, r.Method+" "+r.URI+" "+r.Body)
				if r.Body != "" && r.ContentType != tc.ct {
					t.Fatalf("%s %s: Content-Type %q, want %q", r.Method, r.URI, r.ContentType, tc.ct)
				}
				if r.UserAgent != tc.ua || (tc.ua == "" && r.HasUserAgent) {
					t.Fatalf("%s %s: User-Agent %q (present %t), want %q", r.Method, r.URI, r.UserAgent, r.HasUserAgent, tc.ua)
				}
				if r.Accept != tc.acc {
					t.Fatalf("%s %s: Accept %q, want %q", r.Method, r.URI, r.Accept, tc.acc)
				}
				if strings.Contains(r.URI, FlagParam) {
					t.Fatalf("%s %s: the Tenant URL flag leaked into a request", r.Method, r.URI)
				}
			}
			all := strings.Join(lines, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("no request contains %s", w)
				}
			}
			if tc.mode == Okta && strings.Contains(all, "DELETE /scim/v2/Users/") {
				t.Error("Okta mode deleted a user; Okta deactivates instead")
			}
		})
	}
}

// TestLenientServers: answers that IdPs accept must not fail the run.
func TestLenientServers(t *testing.T) {
	minimalWrites := rewriteJSON(func(r *http.Request, _ *int, _ http.Header, doc map[string]any) map[string]any {
		if r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/Users") {
			return map[string]any{"schemas": doc["schemas"], "id": doc["id"]}
		}
		return doc
	})
	noContentPatch := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				if rec.Code == http.StatusOK {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	charset := rewriteJSON(func(_ *http.Request, _ *int, h http.Header, doc map[string]any) map[string]any {
		h.Set("Content-Type", "application/scim+json; charset=utf-8")
		return doc
	})
	for _, tc := range []struct {
		name string
		mode Mode
		wrap func(http.Handler) http.Handler
	}{
		{"write responses with only the id", EntraLegacy, minimalWrites},
		{"write responses with only the id, Okta", Okta, minimalWrites},
		{"204 to user PATCH", EntraFlag, noContentPatch},
		{"charset parameter", EntraLegacy, charset},
		{"Okta group PATCH answered 200", Okta, groupPatchBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sum, log := run(t, newSCIM(t, tc.wrap), tc.mode, 20, 3, 6, 1)
			if !sum.OK {
				t.Fatalf("the run failed against an acceptable server:\n%s", log)
			}
		})
	}
}

// TestInterrupted: a cancelled run stops, says so, and does not blame the
// objects it did not finish.
func TestInterrupted(t *testing.T) {
	// Interrupt once the server has created 20 users: a deterministic
	// point, however slow the machine is.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var created atomic.Int32
	base := newSCIM(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Users") && created.Add(1) == 20 {
				cancel()
			}
		})
	})
	var log bytes.Buffer
	sum, err := Run(ctx, Config{BaseURL: base, Token: testToken, Users: 5000, Groups: 5, Members: 5, Cycles: 1, Seed: 1, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK || !strings.HasPrefix(sum.Aborted, "interrupted") {
		t.Fatalf("want an interrupted run, got OK=%t aborted=%q", sum.OK, sum.Aborted)
	}
	if sum.Outcomes[Failed] != 0 || sum.FailedChecks != 0 {
		t.Errorf("interruption reported as failures: %+v\n%s", sum.Reasons, log.String())
	}
	if n := sum.Outcomes[Created]; n == 0 || n >= 5000 {
		t.Errorf("created %d users before the interruption, want some but not all", n)
	}
}
