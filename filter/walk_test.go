package filter

import (
	"strings"
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

func TestRewrite(t *testing.T) {
	upper := func(c *Compare) Expr {
		if s, ok := c.Value.(string); ok {
			out := *c
			out.Value = strings.ToUpper(s)
			return &out
		}
		return c
	}
	tests := []struct{ filter, want string }{
		{`userName eq "a"`, `userName eq "A"`},
		{`a eq "x" and (b eq "y" or not (c sw "z"))`, `a eq "X" and (b eq "Y" or not (c sw "Z"))`},
		{`emails[type eq "work" and value co "q"] or active eq true`, `emails[type eq "WORK" and value co "Q"] or active eq true`},
		{`title pr`, `title pr`},
	}
	for _, tc := range tests {
		e, err := Parse(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		before := String(e)
		if got := String(Rewrite(e, upper)); got != tc.want {
			t.Errorf("Rewrite(%s) = %s, want %s", tc.filter, got, tc.want)
		}
		if String(e) != before {
			t.Errorf("Rewrite changed its input: %s", String(e))
		}
	}
}
