package elimityscim_test

import (
	"encoding/json"
	"strings"
	"testing"

	escim "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	eschema "github.com/elimity-com/scim/schema"
	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/elimityscim"
	"github.com/scimkit/scim/schema"
)

// TestResourceType: elimity's resource types convert to the same
// definitions as scimkit's own, extensions with their required flag.
func TestResourceType(t *testing.T) {
	m := newMemory()
	rt, err := elimityscim.ResourceType(userType(m.users()))
	if err != nil {
		t.Fatal(err)
	}
	if rt.ID != "User" || rt.Name != "User" || rt.Endpoint != "/Users" || rt.Description != "User Account" {
		t.Errorf("resource type: %+v", rt)
	}
	ext := []string{schema.EnterpriseUserURN, badgeURN}
	for i, e := range rt.Extensions {
		if i >= len(ext) || e.Schema.ID != ext[i] || e.Required {
			t.Errorf("extension %d: %s required %t", i, e.Schema.ID, e.Required)
		}
	}
	for _, tc := range []struct{ got, want *schema.Schema }{
		{rt.Schema, schema.CoreUser()},
		{rt.Extension(schema.EnterpriseUserURN), schema.EnterpriseUser()},
	} {
		if diff := cmp.Diff(marshal(t, tc.want), marshal(t, tc.got)); diff != "" {
			t.Errorf("%s (-scimkit +converted):\n%s", tc.want.ID, diff)
		}
	}
	if a := rt.Extension(badgeURN).Attr("level"); a == nil || a.Type != schema.Integer {
		t.Errorf("badge level: %+v", a)
	}

	required := groupType(m.groups())
	required.ID = optional.NewString("Team")
	required.SchemaExtensions = []escim.SchemaExtension{{Schema: badge(), Required: true}}
	if rt, err := elimityscim.ResourceType(required); err != nil || rt.ID != "Team" || !rt.Extensions[0].Required {
		t.Errorf("required extension: %+v, %v", rt, err)
	}
}

func marshal(t *testing.T, s *schema.Schema) map[string]any {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestResourceTypeErrors: what NewServer could not serve is refused with
// an error that names it.
func TestResourceTypeErrors(t *testing.T) {
	m := newMemory()
	noEndpoint := userType(m.users())
	noEndpoint.Endpoint = ""
	notURN := groupType(m.groups())
	notURN.SchemaExtensions = []escim.SchemaExtension{{Schema: eschema.Schema{ID: "badge", Attributes: badge().Attributes}}}
	noHandler := userType(nil)
	for _, tc := range []struct {
		rt   escim.ResourceType
		want string
	}{
		{noEndpoint, "endpoint"},
		{notURN, "badge"},
		{noHandler, "no Handler"},
	} {
		_, err := elimityscim.Resource(tc.rt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.rt.Name, err, tc.want)
		}
	}
	// Handler also serves an elimity handler under scimkit's own types.
	if _, err := scim.NewServer(scim.Config{Auth: scim.StaticToken("acme", token),
		Resources: []scim.Resource{{Type: schema.User(), Handler: elimityscim.Handler(schema.User(), m.users())}}}); err != nil {
		t.Errorf("Handler over scimkit's User type: %v", err)
	}
}
