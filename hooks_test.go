package scim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// vetoHarness is a harness whose BeforeWrite refuses: userNames outside
// acme.example, a group named "Forbidden", adding the member named in
// *blockMember, and deleting a user titled "Protected".
func vetoHarness(t *testing.T, store scim.Store, seen *[]scim.Write, blockMember *string) *harness {
	t.Helper()
	srv, err := scim.NewServer(scim.Config{
		Store: store,
		Auth:  scim.StaticToken("a", tokenA),
		BeforeWrite: func(ctx context.Context, w scim.Write) error {
			*seen = append(*seen, w)
			refuse := &scim.Error{Status: http.StatusForbidden, Detail: "Refused by policy."}
			if name, _ := w.New["userName"].(string); w.New != nil && w.ResourceType == "User" && !strings.HasSuffix(name, "@acme.example") {
				return scim.Errorf(scim.InvalidValue, "userName must be in a verified domain of this customer.")
			}
			if w.New != nil && w.New["displayName"] == "Forbidden" {
				return refuse
			}
			for _, op := range w.Members {
				for _, m := range op.Members {
					if m.Value == *blockMember {
						return refuse
					}
				}
			}
			if w.Op == scim.OpDelete && w.Old["title"] == "Protected" {
				return refuse
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Client: e2e.Serve(t, srv, tokenA), logs: &e2e.Log{}}
}

// TestBeforeWriteVeto: a refused write answers the hook's error and
// leaves everything as it was, on every store.
func TestBeforeWriteVeto(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			var seen []scim.Write
			var block string
			h := vetoHarness(t, open(t), &seen, &block)
			ada := h.CreateUser(`{"userName":"ada@acme.example","title":"Protected"}`)
			bob := h.CreateUser(`{"userName":"bob@acme.example"}`)
			block = bob
			gid := h.CreateGroup(`{"displayName":"Sales","members":[{"value":"` + ada + `"}]}`)
			snapshot := func() string {
				return h.Must(200, "GET", "/Users?sortBy=userName", "").Raw + h.Must(200, "GET", "/Groups", "").Raw
			}
			before := snapshot()
			patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[%s]}`
			for _, tt := range []struct {
				method, path, body string
				status             int
			}{
				{"POST", "/Users", `{"userName":"eve@evil.example"}`, 400},
				{"PUT", "/Users/" + bob, `{"userName":"bob@evil.example"}`, 400},
				{"PATCH", "/Users/" + bob, strings.Replace(patch, "%s", `{"op":"replace","path":"userName","value":"bob@evil.example"}`, 1), 400},
				{"DELETE", "/Users/" + ada, "", 403},
				{"POST", "/Groups", `{"displayName":"Forbidden"}`, 403},
				{"PATCH", "/Groups/" + gid, strings.Replace(patch, "%s", `{"op":"add","path":"members","value":[{"value":"`+bob+`"}]}`, 1), 403},
				{"PATCH", "/Groups/" + gid, strings.Replace(patch, "%s", `{"op":"replace","value":{"displayName":"Forbidden"}}`, 1), 403},
				{"PUT", "/Groups/" + gid, `{"displayName":"Forbidden"}`, 403},
			} {
				r := h.Do(tt.method, tt.path, tt.body)
				if r.Status != tt.status {
					t.Errorf("%s %s: %d, want %d\n%s", tt.method, tt.path, r.Status, tt.status, r.Raw)
				}
			}
			if after := snapshot(); after != before {
				t.Errorf("refused writes changed something:\nbefore %s\nafter  %s", before, after)
			}
			// Allowed writes pass, and the hook saw what it needed.
			seen = nil
			h.Must(204, "DELETE", "/Users/"+bob, "")
			if len(seen) != 1 || seen[0].Op != scim.OpDelete || seen[0].ID != bob || seen[0].Old["userName"] != "bob@acme.example" || seen[0].Tenant != "a" {
				t.Errorf("hook saw %+v", seen)
			}
		})
	}
}
