package schema

import (
	"testing"
)

func TestResolve(t *testing.T) {
	rt := User()
	const ent = EnterpriseUserURN
	tests := []struct {
		uri, name, sub string
		want           string // Path.String(), or "" for not found
		ext            bool
	}{
		{"", "userName", "", "userName", false},
		{"", "USERNAME", "", "userName", false},
		{"", "name", "givenname", "name.givenName", false},
		{"", "id", "", "id", false},
		{"", "meta", "lastModified", "meta.lastModified", false},
		{"", "externalId", "", "externalId", false},
		{"", "emails", "value", "emails.value", false},
		{"", "shoeSize", "", "", false},
		{"", "name", "shoeSize", "", false},
		{UserURN, "userName", "", "userName", false},
		{"urn:ietf:params:scim:schemas:core:2.0:user", "title", "", "title", false},
		{ent, "department", "", ent + ":department", true},
		{ent, "manager", "value", ent + ":manager.value", true},
		{"urn:IETF:params:scim:schemas:extension:enterprise:2.0:user", "costCenter", "", ent + ":costCenter", true},
		// Legacy customappsso form: "...:2.0:User.department".
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", "department", ent + ":department", true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", "manager.value", ent + ":manager.value", true},
		// A bare extension URN names the whole extension.
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", "", ent, true},
		// The core URN alone is not an attribute.
		{"urn:ietf:params:scim:schemas:core:2.0", "User", "", "", false},
		{ent, "userName", "", "", false},
		{"urn:example:unknown", "x", "", "", false},
		// OneLogin's pre-RFC enterprise URN.
		{PreRFCEnterpriseURN, "department", "", ent + ":department", true},
		{"URN:scim:schemas:extension:enterprise:2.0", "manager", "value", ent + ":manager.value", true},
	}
	for _, tc := range tests {
		p, ok := rt.Resolve(tc.uri, tc.name, tc.sub)
		if ok != (tc.want != "") {
			t.Errorf("Resolve(%q, %q, %q) ok = %v, want %v", tc.uri, tc.name, tc.sub, ok, !ok)
			continue
		}
		if !ok {
			continue
		}
		if got := p.String(); got != tc.want || p.Extension != tc.ext {
			t.Errorf("Resolve(%q, %q, %q) = %q (ext %v), want %q (ext %v)", tc.uri, tc.name, tc.sub, got, p.Extension, tc.want, tc.ext)
		}
	}
}

func TestCharacteristics(t *testing.T) {
	u, g := User(), Group()
	tests := []struct {
		attr *Attribute
		want Attribute
	}{
		{u.Schema.Attr("userName"), Attribute{Name: "userName", Type: String, Required: true, Uniqueness: "server", Mutability: ReadWrite, Returned: ReturnedDefault}},
		{u.Schema.Attr("password"), Attribute{Name: "password", Type: String, Uniqueness: "none", Mutability: WriteOnly, Returned: ReturnedNever}},
		{u.Schema.Attr("active"), Attribute{Name: "active", Type: Boolean, Uniqueness: "none", Mutability: ReadWrite, Returned: ReturnedDefault}},
		{Common("id"), Attribute{Name: "id", Type: String, Required: true, CaseExact: true, Uniqueness: "server", Mutability: ReadOnly, Returned: ReturnedAlways}},
		{g.Schema.Attr("members").Sub("value"), Attribute{Name: "value", Type: String, Uniqueness: "none", Mutability: Immutable, Returned: ReturnedDefault}},
	}
	for _, tc := range tests {
		a := tc.attr
		if a == nil {
			t.Fatalf("missing attribute %s", tc.want.Name)
		}
		got := Attribute{Name: a.Name, Type: a.Type, Required: a.Required, CaseExact: a.CaseExact, Uniqueness: a.Uniqueness, Mutability: a.Mutability, Returned: a.Returned, MultiValued: a.MultiValued}
		if got.Name != tc.want.Name || got.Type != tc.want.Type || got.Required != tc.want.Required || got.CaseExact != tc.want.CaseExact ||
			got.Uniqueness != tc.want.Uniqueness || got.Mutability != tc.want.Mutability || got.Returned != tc.want.Returned {
			t.Errorf("%s: got %+v, want %+v", tc.want.Name, got, tc.want)
		}
	}
	if e := u.Schema.Attr("emails"); !e.MultiValued || e.Type != Complex || e.Sub("TYPE") == nil {
		t.Errorf("emails: %+v", e)
	}
}

// TestExtensionPreRFC: OneLogin's pre-RFC enterprise URN names the
// enterprise extension where a resource type has it, and only there; an
// extension registered under that URN itself wins.
func TestExtensionPreRFC(t *testing.T) {
	own := &Schema{ID: PreRFCEnterpriseURN, Name: "Legacy"}
	withOwn := User()
	withOwn.Extensions = append([]Extension{{Schema: own}}, withOwn.Extensions...)
	tests := []struct {
		name string
		rt   *ResourceType
		urn  string
		want string // the schema's ID, or "" for nil
	}{
		{"User", User(), PreRFCEnterpriseURN, EnterpriseUserURN},
		{"User, other case", User(), "urn:SCIM:schemas:extension:ENTERPRISE:2.0", EnterpriseUserURN},
		{"Group", Group(), PreRFCEnterpriseURN, ""},
		{"registered itself", withOwn, PreRFCEnterpriseURN, PreRFCEnterpriseURN},
		{"other version", User(), "urn:scim:schemas:extension:enterprise:1.0", ""},
	}
	for _, tt := range tests {
		got := ""
		if s := tt.rt.Extension(tt.urn); s != nil {
			got = s.ID
		}
		if got != tt.want {
			t.Errorf("%s: Extension(%q) = %q, want %q", tt.name, tt.urn, got, tt.want)
		}
	}
}
