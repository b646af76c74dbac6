package elimityscim_test

import (
	"math"
	"testing"
	"time"

	escim "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// TestAttributes: a handler receives what elimity's validation would give
// it, and what it returns reads back as SCIM JSON.
func TestAttributes(t *testing.T) {
	m := newMemory()
	h := e2e.Serve(t, server(t, scim.Config{}, m.types()...), token)
	id := h.CreateUser(`{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + badgeURN + `"],
		"id": "forged", "meta": {"version": "W/\"9\""}, "password": "s3cret",
		"userName": "ada@example.com", "externalId": "ext-1", "active": "True",
		"name": {"givenName": "Ada"},
		"emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
		"groups": [{"value": "g-forged"}],
		"` + badgeURN + `": {"level": 3, "score": 4.5, "remote": "False", "issued": "2026-01-02T03:04:05Z",
			"skills": ["go", "sql"], "mentor": "m-1"}
	}`)
	m.mu.Lock()
	got := m.tenants["acme"].users[id].attrs
	m.mu.Unlock()
	want := map[string]any{
		"userName": "ada@example.com", "externalId": "ext-1", "active": true,
		"name":   map[string]any{"givenName": "Ada"},
		"emails": []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		badgeURN: map[string]any{"level": int64(3), "score": 4.5, "remote": false, "issued": "2026-01-02T03:04:05Z",
			"skills": []any{"go", "sql"}, "mentor": map[string]any{"value": "m-1"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attributes the handler got (-want +got):\n%s", diff)
	}

	doc := h.Must(200, "GET", "/Users/"+id, "").Body
	wantDoc := map[string]any{
		"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User", badgeURN},
		"id":      id, "userName": "ada@example.com", "externalId": "ext-1", "active": true,
		"name":   map[string]any{"givenName": "Ada"},
		"emails": []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		badgeURN: map[string]any{"level": 3.0, "score": 4.5, "remote": false, "issued": "2026-01-02T03:04:05Z",
			"skills": []any{"go", "sql"}, "mentor": map[string]any{"value": "m-1"}},
		"meta": map[string]any{"resourceType": "User", "location": h.Base + "/Users/" + id, "version": `W/"1"`,
			"created": "2026-01-01T00:00:01Z", "lastModified": "2026-01-01T00:00:01Z"},
	}
	if diff := cmp.Diff(wantDoc, doc); diff != "" {
		t.Errorf("GET (-want +got):\n%s", diff)
	}
	// The numbers compare as numbers.
	r := h.Must(200, "GET", "/Users?filter="+badgeURN+":level+gt+2+and+"+badgeURN+":score+lt+5", "")
	if r.Body["totalResults"] != 1.0 {
		t.Errorf("number filter: %s", r.Raw)
	}
}

// TestDocument: whatever Go values a handler returns read back in SCIM's
// JSON form, with names matched case-insensitively and unassigned values
// and attributes the schema does not define left out.
func TestDocument(t *testing.T) {
	issued := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	s := &stub{res: escim.Resource{
		ID: "u1", ExternalID: optional.NewString("ext-1"),
		Attributes: escim.ResourceAttributes{
			"USERNAME":    "ada",
			"externalId":  "shadowed by ExternalID",
			"displayName": "",
			"title":       nil,
			"nickName":    []string{},
			"unknown":     "dropped",
			"emails":      []map[string]any{{"value": "a@example.com", "Type": "work"}, {"value": ""}},
			"name":        escim.ResourceAttributes{"givenName": "Ada", "familyName": ""},
			"x509Certificates": []struct {
				Value string `json:"value"`
			}{{"MIIB"}},
			badgeURN: map[string]any{"level": int32(7), "score": float64(2.5), "issued": issued, "skills": []string{"go"}, "mentor": map[string]any{}},
		},
	}}
	h := e2e.Serve(t, server(t, scim.Config{}, userType(s)), token)
	got := h.Must(200, "GET", "/Users/u1", "").Body
	delete(got, "meta")
	want := map[string]any{
		"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User", badgeURN},
		"id":      "u1", "userName": "ada", "externalId": "ext-1",
		"emails":           []any{map[string]any{"value": "a@example.com", "type": "work"}},
		"name":             map[string]any{"givenName": "Ada"},
		"x509Certificates": []any{map[string]any{"value": "MIIB"}},
		badgeURN:           map[string]any{"level": 7.0, "score": 2.5, "issued": "2026-02-03T04:05:06Z", "skills": []any{"go"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// A value JSON cannot hold is the handler's fault: a 500 that says
	// nothing more.
	s.res.Attributes[badgeURN] = map[string]any{"score": math.NaN()}
	if r := h.Do("GET", "/Users/u1", ""); r.Status != 500 || r.Body["detail"] != "Internal server error." {
		t.Errorf("NaN: %d %s", r.Status, r.Raw)
	}
}
