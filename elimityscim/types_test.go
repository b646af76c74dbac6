package elimityscim_test

import (
	"log/slog"
	"testing"

	escim "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	eschema "github.com/elimity-com/scim/schema"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/elimityscim"
)

const (
	token    = "elimity_test_token"
	badgeURN = "urn:ietf:params:scim:schemas:extension:badge:2.0:User"
)

// userType is the User resource type with the enterprise extension and
// badge, an extension with a value of every kind elimity converts.
func userType(h escim.ResourceHandler) escim.ResourceType {
	return escim.ResourceType{
		Name: "User", Endpoint: "/Users", Description: optional.NewString("User Account"),
		Schema: eschema.CoreUserSchema(),
		SchemaExtensions: []escim.SchemaExtension{
			{Schema: eschema.ExtensionEnterpriseUser()},
			{Schema: badge()},
		},
		Handler: h,
	}
}

func groupType(h escim.ResourceHandler) escim.ResourceType {
	return escim.ResourceType{Name: "Group", Endpoint: "/Groups", Schema: eschema.CoreGroupSchema(), Handler: h}
}

func badge() eschema.Schema {
	return eschema.Schema{
		ID:   badgeURN,
		Name: optional.NewString("Badge"),
		Attributes: []eschema.CoreAttribute{
			eschema.SimpleCoreAttribute(eschema.SimpleNumberParams(eschema.NumberParams{Name: "level", Type: eschema.AttributeTypeInteger()})),
			eschema.SimpleCoreAttribute(eschema.SimpleNumberParams(eschema.NumberParams{Name: "score", Type: eschema.AttributeTypeDecimal()})),
			eschema.SimpleCoreAttribute(eschema.SimpleBooleanParams(eschema.BooleanParams{Name: "remote"})),
			eschema.SimpleCoreAttribute(eschema.SimpleDateTimeParams(eschema.DateTimeParams{Name: "issued"})),
			eschema.SimpleCoreAttribute(eschema.SimpleStringParams(eschema.StringParams{Name: "skills", MultiValued: true})),
			eschema.ComplexCoreAttribute(eschema.ComplexParams{Name: "mentor", SubAttributes: []eschema.SimpleParams{
				eschema.SimpleStringParams(eschema.StringParams{Name: "value"}),
				eschema.SimpleStringParams(eschema.StringParams{Name: "display", Mutability: eschema.AttributeMutabilityReadOnly()}),
			}}),
		},
	}
}

// server is a scimkit Server with cfg over the elimity resource types.
// A nil cfg.Auth is a StaticToken for the tenant acme, a nil cfg.Logger
// discards.
func server(t *testing.T, cfg scim.Config, types ...escim.ResourceType) *scim.Server {
	t.Helper()
	if cfg.Auth == nil {
		cfg.Auth = scim.StaticToken("acme", token)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, rt := range types {
		r, err := elimityscim.Resource(rt)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Resources = append(cfg.Resources, r)
	}
	srv, err := scim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}
