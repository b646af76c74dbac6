package scim_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// TestSortOverHTTP checks sortBy and sortOrder on GET and .search, on
// every bundled store: core, extension and multi-valued attributes,
// missing values last ascending and first descending, with filters and
// paging, and the 400 answers to what cannot be sorted on.
func TestSortOverHTTP(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			testSortOverHTTP(t, open(t))
		})
	}
}

func testSortOverHTTP(t *testing.T, store scim.Store) {
	h := newExtHarness(t, store)
	ids := []string{
		h.CreateUser(`{"userName":"delta@x","displayName":"Dana","emails":[{"value":"z@x"},{"value":"d@x","primary":true}],
			"` + junoURN + `":{"credits":5,"employeeId":"E-2","skills":["sql","go"],"enrolled":"2026-01-02T00:00:00Z"}}`),
		h.CreateUser(`{"userName":"Alpha@x","` + junoURN + `":{"credits":12,"employeeId":"e-1","skills":["Go"]}}`),
		h.CreateUser(`{"userName":"charlie@x","displayName":"bob","` + junoURN + `":{"enrolled":"2025-12-31T00:00:00Z"}}`),
	}
	for _, tt := range []struct {
		query string
		want  []int
	}{
		{"sortBy=userName", []int{1, 2, 0}},
		{"sortBy=userName&sortOrder=descending", []int{0, 2, 1}},
		{"sortBy=USERNAME&sortOrder=Ascending", []int{1, 2, 0}},
		{"sortOrder=descending", []int{0, 1, 2}}, // sortOrder alone: creation order
		{"sortBy=displayName", []int{2, 0, 1}},   // bob, Dana, missing last
		{"sortBy=displayName&sortOrder=descending", []int{1, 0, 2}},
		{"sortBy=" + url.QueryEscape(junoURN+":credits"), []int{0, 1, 2}}, // 5 < 12, numerically
		{"sortBy=credits&sortOrder=descending", []int{2, 1, 0}},
		{"sortBy=employeeId", []int{1, 0, 2}}, // e-1 < E-2, case-insensitively
		{"sortBy=skills", []int{1, 0, 2}},     // first values: Go < sql
		{"sortBy=enrolled", []int{2, 0, 1}},   // chronologically
		{"sortBy=emails", []int{0, 1, 2}},     // the primary d@x; ties by creation
		{"sortBy=emails.value&sortOrder=descending", []int{2, 1, 0}},
		{"sortBy=meta.created&sortOrder=descending", []int{2, 1, 0}},
		{"sortBy=userName&sortOrder=descending&filter=" + url.QueryEscape(`userName ne "delta@x"`), []int{2, 1}},
		{"sortBy=userName&startIndex=2&count=1", []int{2}},
		{"sortBy=displayName&startIndex=3&count=5", []int{1}},
	} {
		r := h.Must(200, "GET", "/Users?"+tt.query, "")
		checkSorted(t, "GET /Users?"+tt.query, r, ids, tt.want)
	}

	for _, tt := range []struct {
		body string
		want []int
	}{
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":"displayName","sortOrder":"descending"}`, []int{1, 0, 2}},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":"userName","startIndex":1,"count":2}`, []int{1, 2}},
	} {
		r := h.Must(200, "POST", "/Users/.search", tt.body)
		checkSorted(t, "POST /Users/.search "+tt.body, r, ids, tt.want)
	}

	g1 := h.CreateGroup(`{"displayName":"beta"}`)
	g2 := h.CreateGroup(`{"displayName":"Alpha"}`)
	r := h.Must(200, "GET", "/Groups?sortBy=displayName", "")
	checkSorted(t, "GET /Groups?sortBy=displayName", r, []string{g1, g2}, []int{1, 0})

	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/Users?sortBy=shoeSize", ""},
		{"GET", "/Users?sortBy=password", ""},
		{"GET", "/Users?sortBy=secretCode", ""},
		{"GET", "/Users?sortBy=name", ""},
		{"GET", "/Users?sortBy=" + url.QueryEscape(`emails[type eq "work"].value`), ""},
		{"GET", "/Users?sortBy=" + url.QueryEscape(junoURN), ""},
		{"GET", "/Users?sortBy=userName&sortOrder=sideways", ""},
		{"GET", "/Groups?sortBy=userName", ""},
		{"POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":5}`},
		{"POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":"userName","sortOrder":true}`},
	} {
		r := h.Do(tt.method, tt.path, tt.body)
		if st, _ := r.Body["scimType"].(string); r.Status != 400 || st != scim.InvalidValue {
			t.Errorf("%s %s %s: status %d scimType %q, want 400 invalidValue\n%s", tt.method, tt.path, tt.body, r.Status, st, r.Raw)
		}
	}

	spc := h.Must(200, "GET", "/ServiceProviderConfig", "")
	if got := e2e.Path(spc.Body, "sort", "supported"); got != true {
		t.Errorf("ServiceProviderConfig sort.supported = %v, want true", got)
	}
}

// checkSorted compares the ids of a list response with ids picked by want.
func checkSorted(t *testing.T, what string, r e2e.Resp, ids []string, want []int) {
	t.Helper()
	var got, w []string
	for i := range len(want) {
		w = append(w, ids[want[i]])
	}
	res, _ := r.Body["Resources"].([]any)
	for i := range res {
		got = append(got, fmt.Sprint(e2e.Path(res[i], "id")))
	}
	if d := cmp.Diff(w, got); d != "" {
		t.Errorf("%s: ids (-want +got):\n%s", what, d)
	}
}
