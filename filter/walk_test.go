package filter

import (
	"testing"

	"github.com/scimkit/scim/schema"
)

func TestTouches(t *testing.T) {
	tests := []struct {
		filter string
		group  bool
		name   string
		want   bool
	}{
		{`members.value eq "x"`, true, "members", true},
		{`members[value eq "x"]`, true, "members", true},
		{`displayName eq "x" or not (members pr)`, true, "members", true},
		{`urn:ietf:params:scim:schemas:core:2.0:Group:members.value eq "x"`, true, "members", true},
		{`displayName eq "x"`, true, "members", false},
		{`groups.value eq "g"`, false, "groups", true},
		{`userName eq "u" and emails[type eq "work"]`, false, "groups", false},
		{`manager eq "m"`, false, "manager", false}, // an extension attribute, not core
	}
	for _, tc := range tests {
		rt := schema.User()
		if tc.group {
			rt = schema.Group()
		}
		e, err := Parse(tc.filter)
		if err == nil {
			e, err = Resolve(e, rt)
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := Touches(e, tc.name); got != tc.want {
			t.Errorf("Touches(%s, %s) = %v, want %v", tc.filter, tc.name, got, tc.want)
		}
	}
}
