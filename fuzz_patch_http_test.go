package scim_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/store/memory"
)

// FuzzPatchHTTP sends arbitrary PATCH bodies through the whole HTTP
// pipeline to a user and to a group on a memory store. No answer may be a
// 5xx; a failed PATCH leaves the resource as it was, byte for byte; and a
// successful one answers what a GET then reads.
func FuzzPatchHTTP(f *testing.F) {
	for _, ops := range []string{
		`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updated@example.com"},{"op":"Replace","path":"name.familyName","value":"F"}`,
		`{"op":"Replace","path":"active","value":"False"}`,
		`{"op":"replace","value":{"displayName":"D","name.givenName":"G","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7"}}`,
		`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"}`,
		`{"op":"remove","path":"emails[type eq \"work\"]"}`,
		`{"op":"add","path":"members","value":[{"value":"MEMBER"}]}`,
		`{"op":"remove","path":"members[value eq \"MEMBER\"]"}`,
		`{"op":"replace","path":"displayName","value":"Changed"},{"op":"replace","path":"nope","value":"x"}`,
		`{"op":"replace","path":"userName","value":"taken@example.com"}`,
		`{"op":"add","path":"roles","value":[{"value":"admin"}]}`,
		`{"op":"replace","path":"title","value":null}`,
		``,
	} {
		f.Add([]byte(e2e.PatchBody(ops)))
	}
	f.Add([]byte(`{"Operations":[{"op":"remove"}]}`))
	f.Add([]byte("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"path\":\"title\",\"value\":\"\xff\"}]}"))
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("a", tokenA), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	do := func(method, path string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(string(body)))
		r.Header.Set("Authorization", "Bearer "+tokenA)
		if body != nil {
			r.Header.Set("Content-Type", "application/scim+json")
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	create := func(t *testing.T, endpoint, body string) string {
		w := do("POST", endpoint, []byte(body))
		if w.Code != 201 {
			t.Fatalf("POST %s: %d %s", endpoint, w.Code, w.Body)
		}
		return e2e.Path(decode(t, w.Body.String()), "id").(string)
	}
	var n int
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		// A fresh user and group each time, so every input starts from
		// the same state.
		uid := create(t, "/Users", strings.Replace(e2e.JunoUser, "Test_User_", "Test_User_"+strconv.Itoa(n)+"_", 1))
		member := create(t, "/Users", e2e.UserBody("m"+strconv.Itoa(n)+"@example.com"))
		gid := create(t, "/Groups", `{"displayName":"G`+strconv.Itoa(n)+`","members":[{"value":"`+member+`"}]}`)
		group := []byte(strings.ReplaceAll(string(body), "MEMBER", member))
		for _, tc := range []struct {
			path string
			body []byte
		}{{"/Users/" + uid, body}, {"/Groups/" + gid, group}} {
			before := do("GET", tc.path, nil).Body.String()
			w := do("PATCH", tc.path, tc.body)
			after := do("GET", tc.path, nil).Body.String()
			switch {
			case w.Code >= 500:
				t.Fatalf("PATCH %s: %d %s", tc.path, w.Code, w.Body)
			case w.Code >= 400:
				if after != before {
					t.Fatalf("failed PATCH (%d) changed %s:\nbefore %s\nafter  %s", w.Code, tc.path, before, after)
				}
			case w.Code == http.StatusOK:
				if diff := cmp.Diff(decode(t, after), decode(t, w.Body.String())); diff != "" {
					t.Fatalf("PATCH answer differs from a GET after it (-get +answer):\n%s", diff)
				}
			case w.Code != http.StatusNoContent:
				t.Fatalf("PATCH %s: status %d", tc.path, w.Code)
			}
		}
	})
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}
