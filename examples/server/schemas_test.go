package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	junoURN      = "urn:ietf:params:scim:schemas:extension:junojourney:2.0:User"
	junoGroupURN = "urn:ietf:params:scim:schemas:extension:junojourney:2.0:Group"
	acmeURN      = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
)

// writeFile writes content to a new file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// call sends a request with the token and returns the status and the
// decoded body.
func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, url, err, b)
		}
	}
	return res.StatusCode, out
}

// extensionURNs returns the schemaExtensions of a ResourceType resource.
func extensionURNs(rt map[string]any) []string {
	var out []string
	list, _ := rt["schemaExtensions"].([]any)
	for _, e := range list {
		out = append(out, e.(map[string]any)["schema"].(string))
	}
	slices.Sort(out)
	return out
}

// TestSchemaFlag serves the sample schema file and a list with a Group
// extension: each schema extends the resource type its id names, and its
// characteristics hold over HTTP.
func TestSchemaFlag(t *testing.T) {
	const token = "schema-flag-test-token"
	list := writeFile(t, "list.json", `[
	  {"id": "`+acmeURN+`", "attributes": [{"name": "costCenter"}]},
	  {"id": "`+junoGroupURN+`", "attributes": [{"name": "cohortCode", "uniqueness": "server"}]}
	]`)
	base := serve(t, "-memory", "-token", token, "-schema", "junojourney.schema.json", "-schema", list)

	status, sch := call(t, "GET", base+"/Schemas/"+junoURN, token, "")
	var names []string
	for _, a := range sch["attributes"].([]any) {
		names = append(names, a.(map[string]any)["name"].(string))
	}
	if status != 200 || !cmp.Equal(names, []string{"learnerLevel", "mentor", "employeeId", "badgeNumber"}) {
		t.Errorf("GET /Schemas/%s: %d, attributes %v", junoURN, status, names)
	}
	for _, tc := range []struct {
		resourceType string
		want         []string
	}{
		{"User", []string{acmeURN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", junoURN}},
		{"Group", []string{junoGroupURN}},
	} {
		_, rt := call(t, "GET", base+"/ResourceTypes/"+tc.resourceType, token, "")
		if diff := cmp.Diff(tc.want, extensionURNs(rt)); diff != "" {
			t.Errorf("%s schemaExtensions (-want +got):\n%s", tc.resourceType, diff)
		}
	}

	user := func(userName, juno string) string {
		return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + junoURN + `"],"userName":"` + userName + `","` + junoURN + `":` + juno + `}`
	}
	status, created := call(t, "POST", base+"/Users", token,
		user("ada@juno.example", `{"learnerLevel":"Beginner","employeeId":"E-1815","badgeNumber":"B-1","mentor":"u-42"}`))
	want := map[string]any{"learnerLevel": "Beginner", "employeeId": "E-1815", "badgeNumber": "B-1", "mentor": "u-42"}
	if diff := cmp.Diff(want, created[junoURN]); status != 201 || diff != "" {
		t.Fatalf("POST /Users: %d, extension (-want +got):\n%s", status, diff)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		scimType   any
	}{
		{"badgeNumber taken", user("bob@juno.example", `{"badgeNumber":"B-1"}`), 409, "uniqueness"},
		{"badgeNumber is caseExact", user("bob@juno.example", `{"badgeNumber":"b-1"}`), 201, nil},
		{"learnerLevel outside canonicalValues", user("cy@juno.example", `{"learnerLevel":"expert"}`), 400, "invalidValue"},
		{"mentor not a reference", user("di@juno.example", `{"mentor":7}`), 400, "invalidValue"},
	} {
		status, body := call(t, "POST", base+"/Users", token, tc.body)
		if status != tc.status || body["scimType"] != tc.scimType {
			t.Errorf("%s: %d %v, want %d %v", tc.name, status, body["scimType"], tc.status, tc.scimType)
		}
	}
	status, found := call(t, "GET", base+`/Users?filter=urn:ietf:params:scim:schemas:extension:junojourney:2.0:User:employeeId+eq+%22e-1815%22`, token, "")
	if status != 200 || found["totalResults"] != 1.0 {
		t.Errorf("filter on employeeId: %d %v", status, found)
	}

	group := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","` + junoGroupURN + `"],"displayName":"Cohort 7","` + junoGroupURN + `":{"cohortCode":"C7"}}`
	if status, g := call(t, "POST", base+"/Groups", token, group); status != 201 || path(g, junoGroupURN, "cohortCode") != "C7" {
		t.Errorf("POST /Groups with its extension: %d %v", status, g)
	}
	if status, _ := call(t, "POST", base+"/Groups", token, strings.Replace(group, "Cohort 7", "Cohort 8", 1)); status != 409 {
		t.Errorf("POST /Groups with a taken cohortCode: %d, want 409", status)
	}
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// TestSchemaFlagErrors: a file that cannot be registered stops the server
// before it serves, with an error naming the file and what is wrong.
func TestSchemaFlagErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	for _, tc := range []struct {
		name    string
		files   []string
		wantErr []string
	}{
		{"missing file", []string{missing}, []string{"-schema " + missing, "no such file"}},
		{"not JSON", []string{writeFile(t, "bad.json", `{"id":`)}, []string{"bad.json", "schema JSON"}},
		{"unknown type", []string{writeFile(t, "type.json", `{"id":"`+acmeURN+`","attributes":[{"name":"badge","type":"text"}]}`)},
			[]string{"type.json", `"badge"`}},
		{"not a URN", []string{writeFile(t, "urn.json", `{"id":"acme","attributes":[{"name":"badge"}]}`)}, []string{"urn.json", "acme"}},
		{"indexed boolean", []string{writeFile(t, "bool.json", `{"id":"`+acmeURN+`","attributes":[{"name":"remote","type":"boolean","indexed":true}]}`)},
			[]string{"remote"}},
		{"registered twice", []string{"junojourney.schema.json", "junojourney.schema.json"}, []string{junoURN}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A canceled context: were the files accepted, the server
			// would stop at once instead of serving.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			args := []string{"-memory", "-addr", "127.0.0.1:0", "-token", "t"}
			for _, f := range tc.files {
				args = append(args, "-schema", f)
			}
			var out bytes.Buffer
			err := run(ctx, args, &out, io.Discard)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if out.Len() > 0 {
				t.Errorf("printed before failing:\n%s", &out)
			}
		})
	}
}
