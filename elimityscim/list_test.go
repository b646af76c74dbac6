package elimityscim_test

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	escim "github.com/elimity-com/scim"
	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/elimityscim"
	"github.com/scimkit/scim/internal/e2e"
)

// TestFilteredList: filters are answered exactly, with exact totals and
// pages, from a handler that ignores filters, over many GetAll pages.
func TestFilteredList(t *testing.T) {
	defer elimityscim.SetScanCount(4)()
	m := newMemory()
	h := e2e.Serve(t, server(t, scim.Config{}, m.types()...), token)
	var ids []string
	for i := range 23 {
		typ := "home"
		if i%3 == 0 {
			typ = "work"
		}
		ids = append(ids, h.CreateUser(fmt.Sprintf(`{"userName":"u%02d@example.com","active":%t,
			"emails":[{"type":%q,"value":"u%02d@mail.example.com"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D%d"},
			%q:{"level":%d}}`, i, i%2 == 0, typ, i, i%4, badgeURN, i)))
	}
	pick := func(keep func(i int) bool) []string {
		var out []string
		for i, id := range ids {
			if keep(i) {
				out = append(out, id)
			}
		}
		return out
	}
	tests := []struct {
		query string
		total int
		want  []string
	}{
		{`filter=emails[type eq "work"].value eq "u09@mail.example.com"`, 1, ids[9:10]},
		{`filter=emails[type eq "work"].value ew "mail.example.com"&count=100`, 8, pick(func(i int) bool { return i%3 == 0 })},
		{`filter=department eq "d1"`, 6, pick(func(i int) bool { return i%4 == 1 })},
		{`filter=` + badgeURN + `:level ge 20`, 3, ids[20:]},
		{`filter=active eq false and userName sw "U1"&startIndex=2&count=2`, 5, []string{ids[13], ids[15]}},
		{`filter=userName pr&startIndex=22&count=5`, 23, ids[21:]},
		{`filter=userName pr&startIndex=30`, 23, nil},
		{`filter=userName pr&count=0`, 23, nil},
		{`filter=userName eq "nobody"`, 0, nil},
	}
	for _, tc := range tests {
		m.mu.Lock()
		m.calls = nil
		m.mu.Unlock()
		r := h.Must(200, "GET", "/Users?"+query(tc.query), "")
		m.mu.Lock()
		if n := len(m.calls); n != 6 || m.calls[n-1] != "GET /Users?count=4&startIndex=21" {
			t.Errorf("%s: GetAll calls %v, want 6 pages of 4", tc.query, m.calls)
		}
		m.mu.Unlock()
		var got []string
		for _, u := range r.Body["Resources"].([]any) {
			got = append(got, e2e.Path(u, "id").(string))
		}
		if r.Body["totalResults"] != float64(tc.total) {
			t.Errorf("%s: totalResults %v, want %d", tc.query, r.Body["totalResults"], tc.total)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}
}

// query encodes the values of a query string written plainly.
func query(s string) string {
	v := url.Values{}
	for _, kv := range strings.Split(s, "&") {
		k, val, _ := strings.Cut(kv, "=")
		v.Set(k, val)
	}
	return v.Encode()
}

// TestListFromCarelessHandler: a page longer than asked is cut to count,
// and a handler that ignores startIndex fails a filtered list instead of
// making it read forever.
func TestListFromCarelessHandler(t *testing.T) {
	var page escim.Page
	for _, id := range []string{"u1", "u2", "u3"} {
		page.Resources = append(page.Resources, escim.Resource{ID: id, Attributes: escim.ResourceAttributes{"userName": id}})
	}
	page.TotalResults = 1 << 40
	s := &stub{page: page}
	var logs e2e.Log
	h := e2e.Serve(t, server(t, scim.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, userType(s)), token)
	if r := h.Must(200, "GET", "/Users?count=2", ""); len(r.Body["Resources"].([]any)) != 2 {
		t.Errorf("count=2: %s", r.Raw)
	}
	h.Must(500, "GET", "/Users?filter=userName+eq+%22u9%22", "")
	if !strings.Contains(logs.String(), "StartIndex") {
		t.Errorf("the log does not say why: %s", logs.String())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) != 3 {
		t.Errorf("%d GetAll calls, want 1 and 2", len(s.reqs))
	}
}
