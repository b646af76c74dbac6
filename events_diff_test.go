package scim

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestSameValue ties sameValue to reflect.DeepEqual, which it replaces
// for documents: listed values, then random nested ones.
func TestSameValue(t *testing.T) {
	vals := []any{nil, "", "a", "b", true, false, 1.0, 2.0, 1, map[string]any{"x": "a"}, map[string]any{"x": "b"},
		map[string]any{"y": "a"}, map[string]any{"x": "a", "y": "a"}, map[string]any{}, map[string]any(nil),
		[]any{"a"}, []any{"a", "b"}, []any{"b", "a"}, []any{}, []any(nil), []any{map[string]any{"value": "a"}},
		[]string{"a"}, []any{nil}, map[string]any{"x": nil},
		// NaN equals itself only where one list or map is compared
		// with itself, as reflect.DeepEqual's identity check has it.
		[]any{math.NaN()}, map[string]any{"n": math.NaN()}, math.NaN()}
	for _, a := range vals {
		for _, b := range vals {
			if got, want := sameValue(a, b), reflect.DeepEqual(a, b); got != want {
				t.Errorf("sameValue(%#v, %#v) = %v, DeepEqual %v", a, b, got, want)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	var random func(depth int) any
	random = func(depth int) any {
		switch n := r.IntN(8); {
		case n < 3 || depth > 3:
			return []any{nil, "a", "b", true, 1.0}[r.IntN(5)]
		case n < 5:
			l := make([]any, r.IntN(3))
			for i := range l {
				l[i] = random(depth + 1)
			}
			return l
		case n < 7:
			m := map[string]any{}
			for range r.IntN(3) {
				m[[]string{"x", "y", "z"}[r.IntN(3)]] = random(depth + 1)
			}
			return m
		}
		return nil
	}
	for range 20000 {
		a, b := random(0), random(0)
		if r.IntN(3) == 0 {
			b = deepCopy(a)
		}
		if got, want := sameValue(a, b), reflect.DeepEqual(a, b); got != want {
			t.Fatalf("sameValue(%#v, %#v) = %v, DeepEqual %v", a, b, got, want)
		}
	}
}

// BenchmarkChangedNames measures the provisioning log's diff of a fully
// mapped user before and after Entra's disable (one attribute changes).
func BenchmarkChangedNames(b *testing.B) {
	u := &User{ID: "2819c223-7f76-453a-919d-413861904646", UserName: "bjensen@example.com", ExternalID: "bjensen",
		DisplayName: "Babs Jensen", Title: "Tour Guide", PreferredLanguage: "en-US", Active: new(true),
		Name:         &Name{GivenName: "Barbara", FamilyName: "Jensen", Formatted: "Ms. Barbara J Jensen III"},
		Emails:       []MultiValue{{Value: "bjensen@example.com", Type: "work", Primary: true}},
		PhoneNumbers: []MultiValue{{Value: "555-555-8377", Type: "work"}, {Value: "555-555-4444", Type: "mobile"}},
		Addresses: []Address{{Type: "work", StreetAddress: "100 Universal City Plaza", Locality: "Hollywood", Region: "CA",
			PostalCode: "91608", Country: "USA", Primary: true}},
		Enterprise: &EnterpriseUser{EmployeeNumber: "701984", Department: "Tour Operations", CostCenter: "4130",
			Organization: "Universal Studios", Division: "Theme Park", Manager: &Manager{Value: "26118915-6090-4610-87e4-49d8ca9f808d"}}}
	old := UserDoc(u)
	u.Active = new(false)
	new := UserDoc(u)
	for b.Loop() {
		if names := changedNames("User", old, new); len(names) != 1 {
			b.Fatalf("changed %v", names)
		}
	}
}
