package scim_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/store/memory"
)

// TestServiceProviderConfigCapabilities checks that /ServiceProviderConfig
// states the capabilities this server has, with the limits of its Config.
func TestServiceProviderConfigCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  scim.Config
		want map[string]any // top-level members checked
	}{
		{"defaults", scim.Config{}, map[string]any{
			"patch":            map[string]any{"supported": true},
			"etag":             map[string]any{"supported": true},
			"sort":             map[string]any{"supported": true},
			"filter":           map[string]any{"supported": true, "maxResults": 1000.0},
			"bulk":             map[string]any{"supported": true, "maxOperations": 1000.0, "maxPayloadSize": 1048576.0},
			"changePassword":   map[string]any{"supported": false},
			"documentationUri": nil,
		}},
		{"configured", scim.Config{MaxResults: 50, DocumentationURI: "https://app.example.com/help/scim", BulkMaxOperations: 10, BulkMaxPayloadBytes: 4096}, map[string]any{
			"bulk":             map[string]any{"supported": true, "maxOperations": 10.0, "maxPayloadSize": 4096.0},
			"filter":           map[string]any{"supported": true, "maxResults": 50.0},
			"documentationUri": "https://app.example.com/help/scim",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Store = memory.New()
			cfg.Auth = scim.StaticToken("a", tokenA)
			srv, err := scim.NewServer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			spc := e2e.Serve(t, srv, tokenA).Must(200, "GET", "/ServiceProviderConfig", "").Body
			got := map[string]any{}
			for k := range tc.want {
				got[k] = spc[k]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			wantAuth := []any{map[string]any{
				"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
				"description": "Authentication with a bearer token in the Authorization header.",
				"specUri":     "https://www.rfc-editor.org/info/rfc6750",
			}}
			if diff := cmp.Diff(wantAuth, spc["authenticationSchemes"]); diff != "" {
				t.Errorf("authenticationSchemes (-want +got):\n%s", diff)
			}
		})
	}
}
