package filter

import (
	"testing"

	"github.com/scimkit/scim/schema"
)

// TestMatchUserNameIdentity checks that the core userName compares by
// FoldIdentity under every operator, and that other attributes keep Fold.
func TestMatchUserNameIdentity(t *testing.T) {
	doc := map[string]any{"userName": "jos\u00e9@y", "displayName": "jos\u00e9"}
	tests := []struct {
		filter string
		want   bool
	}{
		{`userName eq "jose\u0301@y"`, true},
		{`userName eq "JOSE\u0301@Y"`, true},
		{`userName eq "\uff4a\uff4f\uff53\u00e9@y"`, true},
		{`userName ne "jose\u0301@y"`, false},
		{`userName sw "jose\u0301"`, true},
		{`userName ew "\uff20y"`, true},
		{`userName co "s\u00e9"`, true},
		{`userName ge "jose\u0301@y"`, true},
		{`userName gt "jose\u0301@y"`, false},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "jose\u0301@y"`, true},
		{`userName eq "jose@y"`, false},
		{`displayName eq "jose\u0301"`, false}, // not an identity: EqualFold
		{`displayName eq "JOS\u00c9"`, true},
	}
	for _, tt := range tests {
		e, err := Parse(tt.filter)
		if err == nil {
			e, err = Resolve(e, schema.User())
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.filter, err)
		}
		if got := Match(e, doc); got != tt.want {
			t.Errorf("%s on %q: %v, want %v", tt.filter, doc["userName"], got, tt.want)
		}
	}
}

func TestFoldIdentityFixedPoint(t *testing.T) {
	for _, s := range []string{"", "ascii", "ASCII", "jose\u0301", "\uff26\uff35\uff2c\uff2c", "\u212b", "\u1e9b\u0323", "\u0344", "\u0f73", "\uff76\uff9e"} {
		k := FoldIdentity(s)
		if FoldIdentity(k) != k {
			t.Errorf("FoldIdentity(%+q) = %+q, which folds again to %+q", s, k, FoldIdentity(k))
		}
	}
}
