package scim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim/schema"
)

// TestIndexedAttributes: which extension attributes a store is asked to
// index, with characteristics left at their zero values meaning the RFC
// defaults, and which cannot be indexed.
func TestIndexedAttributes(t *testing.T) {
	const urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	tests := []struct {
		name    string
		attr    *schema.Attribute
		want    []IndexedAttribute
		wantErr string
	}{
		{"plain", &schema.Attribute{Name: "badge"}, nil, ""},
		{"indexed, type left out (string)", &schema.Attribute{Name: "employeeId", Indexed: true},
			[]IndexedAttribute{{ResourceType: "User", Schema: urn, Name: "employeeId"}}, ""},
		{"unique case-exact reference", &schema.Attribute{Name: "home", Type: schema.Reference, Uniqueness: schema.UniquenessServer, CaseExact: true},
			[]IndexedAttribute{{ResourceType: "User", Schema: urn, Name: "home", Unique: true, CaseExact: true}}, ""},
		{"indexed integer", &schema.Attribute{Name: "level", Type: schema.Integer, Indexed: true},
			[]IndexedAttribute{{ResourceType: "User", Schema: urn, Name: "level"}}, ""},
		{"indexed boolean", &schema.Attribute{Name: "remote", Type: schema.Boolean, Indexed: true}, nil, "remote cannot be indexed"},
		{"unique multi-valued", &schema.Attribute{Name: "badges", MultiValued: true, Uniqueness: schema.UniquenessGlobal}, nil, "badges cannot be indexed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := schema.User()
			rt.Extensions = append(rt.Extensions, schema.Extension{Schema: &schema.Schema{ID: urn, Attributes: []*schema.Attribute{tc.attr}}})
			got, err := indexedAttributes(rt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
