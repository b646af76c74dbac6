package scim_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

type learner struct {
	Level   string  `json:"learnerLevel,omitempty"`
	Credits int     `json:"credits,omitempty"`
	Score   float64 `json:"score,omitempty"`
	Remote  bool    `json:"remote,omitempty"`
	Mentor  *struct {
		Value string `json:"value"`
	} `json:"mentor,omitempty"`
	Skills []string `json:"skills,omitempty"`
}

func TestExtensionsSetDecode(t *testing.T) {
	var e scim.Extensions
	in := learner{Level: "advanced", Credits: 3, Score: 4.5, Skills: []string{"go"}}
	if err := e.Set(junoURN, in); err != nil {
		t.Fatal(err)
	}
	want := scim.Extensions{junoURN: {"learnerLevel": "advanced", "credits": json.Number("3"), "score": json.Number("4.5"), "skills": []any{"go"}}}
	if d := cmp.Diff(want, e); d != "" {
		t.Errorf("Set (-want +got):\n%s", d)
	}
	var out learner
	if err := e.Decode(junoURN, &out); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("Decode (-set +decoded):\n%s", d)
	}
	// URNs match case-insensitively; Set replaces what was there.
	if err := e.Set(junoURN, map[string]any{"credits": 4}); err != nil {
		t.Fatal(err)
	}
	out = learner{}
	if err := e.Decode("URN:IETF:params:scim:schemas:extension:junojourney:2.0:User", &out); err != nil || out.Credits != 4 || out.Level != "" {
		t.Errorf("Decode after a second Set: %+v, %v", out, err)
	}
	// An absent extension leaves the target as it is.
	keep := learner{Level: "kept"}
	if err := e.Decode("urn:example:absent", &keep); err != nil || keep.Level != "kept" {
		t.Errorf("Decode of an absent extension: %+v, %v", keep, err)
	}
	// nil and an empty form remove it; a non-object is refused.
	if err := e.Set(junoURN, learner{}); err != nil || len(e) != 0 {
		t.Errorf("Set of an empty value: %v, %v", e, err)
	}
	for _, bad := range []any{"a string", []int{1}, 3} {
		if err := e.Set(junoURN, bad); err == nil {
			t.Errorf("Set(%v) succeeded", bad)
		}
	}
	if err := e.Set("not-a-urn", in); err == nil {
		t.Error("Set with a key that is not a URN succeeded")
	}
	// A URN key in any case is an extension.
	var upper scim.User
	if err := json.Unmarshal([]byte(`{"userName":"a","URN:Example:Upper:2.0:User":{"a":"b"}}`), &upper); err != nil || upper.Extensions["URN:Example:Upper:2.0:User"]["a"] != "b" {
		t.Errorf("an upper-case URN key: %v, %v", upper.Extensions, err)
	}
	// The wire form of a User carries them under their URN.
	u := scim.User{UserName: "ada", Extensions: scim.Extensions{junoURN: {"credits": json.Number("5")}}}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	var back scim.User
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(u.Extensions, back.Extensions); d != "" {
		t.Errorf("User JSON round trip (-want +got):\n%s\n%s", d, b)
	}
}

// FuzzUserJSON: whatever a User decodes from, it encodes to a form that
// decodes to the same User, host extensions included.
func FuzzUserJSON(f *testing.F) {
	f.Add([]byte(`{"userName":"ada","` + junoURN + `":{"credits":5,"mentor":{"value":"m"}},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"}}`))
	f.Add([]byte(`{"userName":"a","urn:x":[],"URN:y":{"a":null}}`))
	f.Add([]byte(`{"userName":"a","URN:Example:Upper:2.0:User":{"a":"b"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var u scim.User
		if json.Unmarshal(data, &u) != nil {
			return
		}
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatalf("Marshal of a decoded user: %v", err)
		}
		var again scim.User
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("Unmarshal of %s: %v", b, err)
		}
		if d := cmp.Diff(u, again); d != "" {
			t.Errorf("round trip (-first +second):\n%s", d)
		}
	})
}
