package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/store/memory"
)

// sortedDevices is the devices handler in a stable order, sorted as
// Query.SortBy asks: a host handler as the Server expects it.
type sortedDevices struct{ *devices }

func (d sortedDevices) List(ctx context.Context, tenant string, q scim.Query) (*scim.Page[doc], error) {
	all, err := d.devices.List(ctx, tenant, scim.Query{Filter: q.Filter, Count: math.MaxInt32})
	if err != nil {
		return nil, err
	}
	scim.SortDocs(all.Resources, q.SortBy, q.Descending)
	return page(all.Resources, q), nil
}

// TestRootSearch checks GET / and POST /.search across Users, Groups and
// a host's Devices, on every bundled store.
func TestRootSearch(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			testRootSearch(t, open(t))
		})
	}
}

func testRootSearch(t *testing.T, store scim.Store) {
	var ts scim.Tokens
	for tenant, tok := range map[string]string{"a": tokenA, "b": tokenB} {
		if _, err := ts.Add(t.Context(), scim.Token{Tenant: tenant, Digest: scim.TokenDigest(tok)}); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := scim.NewServer(scim.Config{
		Store:     store,
		Auth:      &ts,
		Resources: []scim.Resource{{Type: deviceType(), Handler: sortedDevices{&devices{rows: map[string]map[string]doc{}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := e2e.Serve(t, srv, tokenA)
	// Created interleaved, so that creation order differs from type order.
	u0 := h.CreateUser(`{"userName":"ann@x","displayName":"Zed"}`)
	g0 := h.CreateGroup(`{"displayName":"Beta"}`)
	d0 := h.Must(201, "POST", "/Devices", `{"serialNumber":"S1","kind":"laptop"}`).Body["id"].(string)
	u1 := h.CreateUser(`{"userName":"bob@x","displayName":"Alpha"}`)
	g1 := h.CreateGroup(`{"displayName":"Team","members":[{"value":"` + u0 + `"}]}`)
	d1 := h.Must(201, "POST", "/Devices", `{"serialNumber":"S2","kind":"phone"}`).Body["id"].(string)
	since := h.Must(200, "GET", "/Users/"+u1, "").Body["meta"].(map[string]any)["created"].(string)

	b := &e2e.Client{T: t, Base: h.Base, Token: tokenB}
	bu := b.CreateUser(`{"userName":"carol@b","displayName":"Alpha"}`)
	bg := b.CreateGroup(`{"displayName":"Beta"}`)

	all := []string{u0, u1, g0, g1, d0, d1}
	for _, tt := range []struct {
		name   string
		params url.Values
		want   []string
		total  int
	}{
		{"everything, in type order", nil, all, 6},
		{"an attribute only User has", url.Values{"filter": {`userName sw "a"`}}, []string{u0}, 1},
		{"an attribute User and Group have", url.Values{"filter": {`displayName eq "alpha"`}}, []string{u1}, 1},
		{"present on two types", url.Values{"filter": {`displayName pr`}}, []string{u0, u1, g0, g1}, 4},
		{"meta.resourceType", url.Values{"filter": {`meta.resourceType eq "Group"`}}, []string{g0, g1}, 2},
		{"meta.resourceType and a host attribute", url.Values{"filter": {`meta.resourceType eq "Device" and kind eq "laptop"`}}, []string{d0}, 1},
		{"not meta.resourceType", url.Values{"filter": {`not (meta.resourceType eq "User")`}}, []string{g0, g1, d0, d1}, 4},
		{"or across types", url.Values{"filter": {`serialNumber eq "S2" or userName eq "bob@x"`}}, []string{u1, d1}, 2},
		{"not of an absent attribute", url.Values{"filter": {`not (userName pr)`}}, []string{g0, g1, d0, d1}, 4},
		{"ne on an absent attribute", url.Values{"filter": {`userName ne "ann@x"`}}, []string{u1, g0, g1, d0, d1}, 5},
		{"eq null on an absent attribute", url.Values{"filter": {`kind eq null`}}, []string{u0, u1, g0, g1}, 4},
		{"a value path only Group has", url.Values{"filter": {`members[value eq "` + u0 + `"]`}}, []string{g1}, 1},
		{"meta.created on every type", url.Values{"filter": {`meta.created ge "` + since + `"`}}, []string{u1, g1, d1}, 3},
		{"paged", url.Values{"startIndex": {"2"}, "count": {"3"}}, []string{u1, g0, g1}, 6},
		{"paged past a type", url.Values{"startIndex": {"5"}, "count": {"10"}}, []string{d0, d1}, 6},
		{"paged and filtered", url.Values{"startIndex": {"4"}, "count": {"2"}, "filter": {`displayName pr`}}, []string{g1}, 4},
		{"count 0", url.Values{"count": {"0"}}, nil, 6},
		{"past the end", url.Values{"startIndex": {"7"}}, nil, 6},
		{"sorted, missing last", url.Values{"sortBy": {"displayName"}}, []string{u1, g0, g1, u0, d0, d1}, 6},
		{"sorted descending, missing first", url.Values{"sortBy": {"displayName"}, "sortOrder": {"descending"}}, []string{d0, d1, u0, g1, g0, u1}, 6},
		{"sorted and paged", url.Values{"sortBy": {"displayName"}, "startIndex": {"2"}, "count": {"3"}}, []string{g0, g1, u0}, 6},
		{"sorted, count 0", url.Values{"sortBy": {"displayName"}, "count": {"0"}}, nil, 6},
		{"sorted by creation", url.Values{"sortBy": {"meta.created"}}, []string{u0, g0, d0, u1, g1, d1}, 6},
		{"sorted by creation descending, paged", url.Values{"sortBy": {"meta.created"}, "sortOrder": {"descending"}, "startIndex": {"2"}, "count": {"2"}}, []string{g1, u1}, 6},
		{"sorted by an attribute of one type, filtered to another", url.Values{"sortBy": {"userName"}, "filter": {`meta.resourceType ne "User"`}}, []string{g0, g1, d0, d1}, 4},
		{"sorted by resource type", url.Values{"sortBy": {"meta.resourceType"}, "sortOrder": {"descending"}}, []string{u0, u1, g0, g1, d0, d1}, 6},
		{"sorted by resource type, paged", url.Values{"sortBy": {"meta.resourceType"}, "startIndex": {"2"}, "count": {"3"}}, []string{d1, g0, g1}, 6},
		{"sorted by a host attribute", url.Values{"sortBy": {"serialNumber"}, "sortOrder": {"descending"}, "filter": {`serialNumber pr or displayName eq "Zed"`}}, []string{u0, d1, d0}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := h.Must(200, "GET", "/?"+tt.params.Encode(), "")
			if d := cmp.Diff(tt.want, ids(got)); d != "" {
				t.Errorf("GET /?%s: ids (-want +got):\n%s", tt.params.Encode(), d)
			}
			if got.Body["totalResults"] != float64(tt.total) {
				t.Errorf("totalResults %v, want %d", got.Body["totalResults"], tt.total)
			}
			checkDecorated(t, h.Base, got)
			post := h.Must(200, "POST", "/.search", searchBody(tt.params))
			if d := cmp.Diff(got.Body, post.Body); d != "" {
				t.Errorf("POST /.search disagrees with GET / (-get +post):\n%s", d)
			}
		})
	}

	// Projection is per resource type.
	r := h.Must(200, "GET", "/?attributes=userName,serialNumber&filter="+url.QueryEscape(`userName eq "ann@x" or serialNumber eq "S1" or displayName eq "Beta"`), "")
	var shapes []string
	for _, res := range r.Body["Resources"].([]any) {
		m := res.(map[string]any)
		var keys []string
		for _, k := range []string{"userName", "displayName", "serialNumber", "kind", "id"} {
			if _, ok := m[k]; ok {
				keys = append(keys, k)
			}
		}
		shapes = append(shapes, strings.Join(keys, ","))
	}
	if d := cmp.Diff([]string{"userName,id", "id", "serialNumber,id"}, shapes); d != "" {
		t.Errorf("attributes=userName,serialNumber: shapes (-want +got):\n%s", d)
	}

	// Tenant isolation: b sees its own two resources only.
	rb := b.Must(200, "GET", "/?sortBy=displayName", "")
	if d := cmp.Diff([]string{bu, bg}, ids(rb)); d != "" || rb.Body["totalResults"] != float64(2) {
		t.Errorf("tenant b: ids (-want +got):\n%s\ntotal %v", d, rb.Body["totalResults"])
	}

	for _, tt := range []struct {
		method, path, body string
		status             int
		scimType           string
	}{
		{"GET", "/?filter=" + url.QueryEscape(`shoeSize eq 1`), "", 400, scim.InvalidFilter},
		{"GET", "/?filter=" + url.QueryEscape(`userName eq "x" or shoeSize eq 1`), "", 400, scim.InvalidFilter},
		{"GET", "/?filter=" + url.QueryEscape(`userName eq`), "", 400, scim.InvalidFilter},
		{"GET", "/?filter=" + url.QueryEscape(`meta.created gt "yesterday"`), "", 400, scim.InvalidFilter},
		{"GET", "/?filter=" + url.QueryEscape(`enrolled gt true`), "", 400, scim.InvalidFilter},
		{"GET", "/?filter=" + url.QueryEscape(`password eq "x"`), "", 403, scim.Sensitive},
		{"POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"password eq \"x\""}`, 400, scim.InvalidFilter},
		{"POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":5}`, 400, scim.InvalidSyntax},
		{"POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":5}`, 400, scim.InvalidValue},
		{"GET", "/?sortBy=shoeSize", "", 400, scim.InvalidValue},
		{"GET", "/?cursor=", "", 400, scim.InvalidValue},
		{"POST", "/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"cursor":""}`, 400, scim.InvalidValue},
		{"GET", "/?sortBy=password", "", 400, scim.InvalidValue},
		{"GET", "/?sortBy=displayName&sortOrder=sideways", "", 400, scim.InvalidValue},
		{"GET", "/?startIndex=first", "", 400, scim.InvalidValue},
		{"GET", "/?count=many", "", 400, scim.InvalidValue},
		{"GET", "/?sortBy=displayName&startIndex=10001", "", 400, scim.TooMany},
		{"POST", "/", `{}`, 405, ""},
		{"GET", "/.search", "", 405, ""},
	} {
		r := h.Do(tt.method, tt.path, tt.body)
		if st, _ := r.Body["scimType"].(string); r.Status != tt.status || st != tt.scimType {
			t.Errorf("%s %s %s: %d %q, want %d %q\n%s", tt.method, tt.path, tt.body, r.Status, st, tt.status, tt.scimType, r.Raw)
		}
	}
}

// ids returns the ids of a list response's Resources, in order.
func ids(r e2e.Resp) []string {
	var out []string
	res, _ := r.Body["Resources"].([]any)
	for _, x := range res {
		out = append(out, fmt.Sprint(e2e.Path(x, "id")))
	}
	return out
}

// checkDecorated checks that each resource of a list response carries
// its own type's schemas, meta.resourceType and meta.location.
func checkDecorated(t *testing.T, base string, r e2e.Resp) {
	t.Helper()
	urns := map[string]string{"User": "urn:ietf:params:scim:schemas:core:2.0:User", "Group": "urn:ietf:params:scim:schemas:core:2.0:Group", "Device": deviceURN}
	endpoints := map[string]string{"User": "/Users/", "Group": "/Groups/", "Device": "/Devices/"}
	res, _ := r.Body["Resources"].([]any)
	for _, x := range res {
		rt, _ := e2e.Path(x, "meta", "resourceType").(string)
		id, _ := e2e.Path(x, "id").(string)
		if urns[rt] == "" || e2e.Path(x, "schemas", 0) != urns[rt] || e2e.Path(x, "meta", "location") != base+endpoints[rt]+id {
			t.Errorf("resource %s: resourceType %q, schemas %v, location %v", id, rt, e2e.Path(x, "schemas"), e2e.Path(x, "meta", "location"))
		}
	}
}

// searchBody is the SearchRequest that asks what the query params ask.
func searchBody(params url.Values) string {
	m := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}}
	for k := range params {
		v := params.Get(k)
		if n, err := strconv.Atoi(v); err == nil && (k == "startIndex" || k == "count") {
			m[k] = n
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestRootSearchBatches pages a sorted search across types deeper than
// Config.MaxResults, so that the merge reads each type in several
// batches, and checks the bound on how deep it may go.
func TestRootSearchBatches(t *testing.T) {
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("a", tokenA), MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	h := e2e.Serve(t, srv, tokenA)
	var want []string
	for i, name := range []string{"A", "B", "C", "D", "E", "F", "G"} {
		if i%2 == 0 {
			want = append(want, h.CreateUser(`{"userName":"`+name+`@x","displayName":"`+name+`"}`))
		} else {
			want = append(want, h.CreateGroup(`{"displayName":"`+name+`"}`))
		}
	}
	for _, order := range []string{"ascending", "descending"} {
		var got []string
		for start := 1; start <= len(want); start += 2 {
			r := h.Must(200, "GET", fmt.Sprintf("/?sortBy=displayName&sortOrder=%s&startIndex=%d&count=2", order, start), "")
			if r.Body["totalResults"] != float64(len(want)) {
				t.Errorf("%s from %d: totalResults %v", order, start, r.Body["totalResults"])
			}
			got = append(got, ids(r)...)
		}
		w := slices.Clone(want)
		if order == "descending" {
			slices.Reverse(w)
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("%s walk (-want +got):\n%s", order, d)
		}
	}
	h.Must(200, "GET", "/?sortBy=displayName&startIndex=19&count=2", "")
	if r := h.Do("GET", "/?sortBy=displayName&startIndex=20&count=2", ""); r.Status != 400 || r.Body["scimType"] != scim.TooMany {
		t.Errorf("past 10 x MaxResults: %d %s", r.Status, r.Raw)
	}
	// Unsorted paging has no such bound.
	h.Must(200, "GET", "/?startIndex=1000&count=2", "")
}
