package scim_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/schema"
)

// TestGroupPatchProjected checks on every store that a group PATCH asking
// for attributes or excludedAttributes answers 200 with the projected
// group as it is after the write, and one asking for neither 204.
func TestGroupPatchProjected(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			h := newStoreHarness(t, open(t))
			uid := h.CreateUser(userBodyJSON(t, "ada@contoso.com"))
			gid := h.CreateGroup(etagGroupBody)
			addMember := e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"` + uid + `"}]}`)
			rename := e2e.PatchBody(`{"op":"replace","path":"displayName","value":"Sales EU"}`)
			for _, tc := range []struct {
				query, body string
				want        []string // top-level keys; nil: 204
			}{
				{"", addMember, nil},
				{"", rename, nil},
				{"?attributes=displayName", rename, []string{"displayName", "id", "schemas"}},
				{"?attributes=members", addMember, []string{"id", "members", "schemas"}},
				{"?excludedAttributes=members", addMember, []string{"displayName", "id", "meta", "schemas"}},
				{"?attributes=nothingKnown", rename, []string{"id", "schemas"}},
			} {
				if tc.want == nil {
					h.Must(204, "PATCH", "/Groups/"+gid+tc.query, tc.body)
					continue
				}
				r := h.Must(200, "PATCH", "/Groups/"+gid+tc.query, tc.body)
				if diff := cmp.Diff(tc.want, slices.Sorted(maps.Keys(r.Body))); diff != "" {
					t.Errorf("PATCH%s: keys (-want +got):\n%s", tc.query, diff)
				}
				if r.Body["id"] != gid || tc.query == "?attributes=members" && !cmp.Equal(e2e.MemberIDs(r.Body), []string{uid}) {
					t.Errorf("PATCH%s: %s", tc.query, r.Raw)
				}
				if tc.query == "?attributes=displayName" && r.Body["displayName"] != "Sales EU" {
					t.Errorf("PATCH%s: %s", tc.query, r.Raw)
				}
			}
			r := h.Do("PATCH", "/Groups/"+gid+"?attributes="+strings.Repeat("displayName,", 200), rename)
			wantError(t, "PATCH with a huge attributes", r, 400, scim.InvalidValue, "")
		})
	}
}

// alwaysType is a host resource type with attributes returned always: a
// top-level one and a sub-attribute, and an extension with one.
func alwaysType() *schema.ResourceType {
	const urn = "urn:example:params:scim:schemas:core:2.0:Asset"
	const extURN = "urn:example:params:scim:schemas:extension:tracking:2.0:Asset"
	return &schema.ResourceType{ID: "Asset", Name: "Asset", Endpoint: "/Assets",
		Schema: &schema.Schema{ID: urn, Name: "Asset", Attributes: []*schema.Attribute{
			{Name: "serialNumber", Returned: schema.ReturnedAlways},
			{Name: "model"},
			{Name: "owner", Type: schema.Complex, SubAttributes: []*schema.Attribute{
				{Name: "value", Returned: schema.ReturnedAlways},
				{Name: "display"},
			}},
			{Name: "tags", Type: schema.Complex, MultiValued: true, SubAttributes: []*schema.Attribute{
				{Name: "value", Returned: schema.ReturnedAlways},
				{Name: "type"},
			}},
		}},
		Extensions: []schema.Extension{{Schema: &schema.Schema{ID: extURN, Name: "Tracking", Attributes: []*schema.Attribute{
			{Name: "tracker", Returned: schema.ReturnedAlways},
			{Name: "note"},
		}}}},
	}
}

// TestReturnedAlways checks that attributes returned always survive
// attributes= on a host resource type, in its extension and as
// sub-attributes, on GET, lists and writes, and excludedAttributes too.
func TestReturnedAlways(t *testing.T) {
	const extURN = "urn:example:params:scim:schemas:extension:tracking:2.0:Asset"
	srv, err := scim.NewServer(scim.Config{
		Resources: []scim.Resource{{Type: alwaysType(), Handler: &devices{rows: map[string]map[string]doc{}}}},
		Auth:      scim.StaticToken("a", tokenA),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := e2e.Serve(t, srv, tokenA)
	body := `{"serialNumber":"S1","model":"X1","owner":{"value":"o1","display":"Ada"},
		"tags":[{"value":"t1","type":"a"},{"value":"t2","type":"b"}],
		"` + extURN + `":{"tracker":"T1","note":"n"}}`
	id := h.Must(201, "POST", "/Assets", body).Body["id"].(string)
	always := map[string]any{"id": id, "serialNumber": "S1", extURN: map[string]any{"tracker": "T1"}}
	with := func(extra map[string]any) map[string]any {
		m := maps.Clone(always)
		maps.Copy(m, extra)
		return m
	}
	for _, tc := range []struct {
		query string
		want  map[string]any
	}{
		{"attributes=model", with(map[string]any{"model": "X1"})},
		{"attributes=owner.display", with(map[string]any{"owner": map[string]any{"value": "o1", "display": "Ada"}})},
		{"attributes=tags.type", with(map[string]any{"tags": []any{map[string]any{"value": "t1", "type": "a"}, map[string]any{"value": "t2", "type": "b"}}})},
		{"attributes=" + extURN + ":note", with(map[string]any{extURN: map[string]any{"tracker": "T1", "note": "n"}})},
		{"attributes=unknownName", always},
	} {
		check := func(what string, got map[string]any) {
			t.Helper()
			got = maps.Clone(got)
			delete(got, "schemas")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s ?%s (-want +got):\n%s", what, tc.query, diff)
			}
		}
		check("GET", h.Must(200, "GET", "/Assets/"+id+"?"+tc.query, "").Body)
		l := h.Must(200, "GET", "/Assets?"+tc.query, "")
		check("list", e2e.Path(l.Body, "Resources", 0).(map[string]any))
		check("PATCH", h.Must(200, "PATCH", "/Assets/"+id+"?"+tc.query, e2e.PatchBody(`{"op":"replace","path":"model","value":"X1"}`)).Body)
	}
	r := h.Must(200, "GET", "/Assets/"+id+"?excludedAttributes=serialNumber,owner.value,"+extURN+":tracker", "").Body
	if r["serialNumber"] != "S1" || e2e.Path(r, "owner", "value") != "o1" || e2e.Path(r, extURN, "tracker") != "T1" {
		t.Errorf("excludedAttributes removed an attribute returned always: %v", r)
	}
}
