package scim_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// cursorServer serves store to tenants "a" (tokenA) and "b" (tokenB),
// with cursors issued and checked by clock.
func cursorServer(t *testing.T, store scim.Store, clock *scim.FakeClock) (a, b *e2e.Client) {
	t.Helper()
	srv, err := scim.NewServer(scim.Config{
		Store: store,
		Auth: scim.AuthenticatorFunc(func(r *http.Request) (string, error) {
			switch r.Header.Get("Authorization") {
			case "Bearer " + tokenA:
				return "a", nil
			case "Bearer " + tokenB:
				return "b", nil
			}
			return "", errors.New("unknown token")
		}),
		CursorTimeout: 10 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	scim.SetCursorClock(srv, clock.Now)
	a = e2e.Serve(t, srv, tokenA)
	b = &e2e.Client{T: a.T, Base: a.Base, Token: tokenB}
	return a, b
}

// walk follows nextCursor from the first page of GET path (which has a
// query) and returns the ids in order.
func walk(t *testing.T, c *e2e.Client, path string, between func()) []string {
	t.Helper()
	var got []string
	cursor := ""
	for range 1000 {
		r := c.Must(200, "GET", path+"&cursor="+url.QueryEscape(cursor), "")
		if _, ok := r.Body["startIndex"]; ok {
			t.Errorf("GET %s: a cursor page has startIndex", path)
		}
		for _, res := range r.Body["Resources"].([]any) {
			got = append(got, fmt.Sprint(e2e.Path(res, "id")))
		}
		next, _ := r.Body["nextCursor"].(string)
		if next == "" {
			return got
		}
		cursor = next
		if between != nil {
			between()
		}
	}
	t.Fatalf("GET %s: the walk does not end", path)
	return nil
}

// TestCursorOverHTTP checks RFC 9865 cursor paging on every bundled
// store: walks with and without sortBy, on GET and .search, and the 400
// answers to bad, foreign and expired cursors.
func TestCursorOverHTTP(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			clock := scim.NewFakeClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
			a, b := cursorServer(t, open(t), clock)
			names := []string{"kilo", "Alpha", "echo", "bravo", "Juliet", "delta", "hotel", "charlie", "golf", "India", "foxtrot"}
			byName := map[string]string{}
			var created []string
			for _, n := range names {
				id := a.CreateUser(e2e.UserBody(n + "@x"))
				byName[n], created = id, append(created, id)
			}
			b.CreateUser(e2e.UserBody("other@x"))
			sortedIDs := func(ns ...string) []string {
				var out []string
				for _, n := range ns {
					out = append(out, byName[n])
				}
				return out
			}
			alpha := sortedIDs("Alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "India", "Juliet", "kilo")
			rev := append([]string(nil), alpha...)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			for _, tt := range []struct {
				query string
				want  []string
			}{
				{"count=3", created},
				{"count=1", created},
				{"count=11", created},
				{"count=4&sortBy=userName", alpha},
				{"count=4&sortBy=userName&sortOrder=descending", rev},
				{"count=2&sortBy=meta.created&sortOrder=descending", reversed(created)},
				{"count=2&sortBy=title", created}, // all missing: by creation
				{"count=2&filter=" + url.QueryEscape(`userName sw "e" or userName sw "h"`), sortedIDs("echo", "hotel")},
				{"count=1&sortBy=userName&filter=" + url.QueryEscape(`userName co "l"`), sortedIDs("Alpha", "charlie", "delta", "golf", "hotel", "Juliet", "kilo")},
			} {
				if d := cmp.Diff(tt.want, walk(t, a, "/Users?"+tt.query, nil)); d != "" {
					t.Errorf("walk of /Users?%s (-want +got):\n%s", tt.query, d)
				}
			}

			// .search: cursor in the body.
			r := a.Must(200, "POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":"userName","count":5,"cursor":""}`)
			next, _ := r.Body["nextCursor"].(string)
			if next == "" || len(r.Body["Resources"].([]any)) != 5 {
				t.Fatalf(".search first page: %v", r.Raw)
			}
			r = a.Must(200, "POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":"userName","count":5,"cursor":"`+next+`"}`)
			checkIDs(t, ".search second page", r, alpha[5:10])

			// The same cursor on GET, with the same query, works too.
			r = a.Must(200, "GET", "/Users?sortBy=userName&count=5&cursor="+next, "")
			checkIDs(t, "GET with a .search cursor", r, alpha[5:10])

			bad := func(what string, c *e2e.Client, path, scimType string) {
				t.Helper()
				r := c.Do("GET", path, "")
				if r.Status != 400 || r.Body["scimType"] != scimType {
					t.Errorf("%s: GET %s: %d %v, want 400 %s", what, path, r.Status, r.Body["scimType"], scimType)
				}
			}
			tampered := []byte(next)
			tampered[len(tampered)/2] ^= 1
			if tampered[len(tampered)/2] == next[len(next)/2] || strings.ContainsAny(string(tampered), "+/=") {
				tampered[len(tampered)/2] = 'A'
			}
			for _, tt := range []struct {
				what, path, scimType string
				c                    *e2e.Client
			}{
				{"tampered", "/Users?sortBy=userName&count=5&cursor=" + string(tampered), scim.InvalidCursor, a},
				{"garbage", "/Users?sortBy=userName&count=5&cursor=%21%21%21", scim.InvalidCursor, a},
				{"another tenant's", "/Users?sortBy=userName&count=5&cursor=" + next, scim.InvalidCursor, b},
				{"another filter's", "/Users?sortBy=userName&count=5&filter=userName+pr&cursor=" + next, scim.InvalidCursor, a},
				{"another order's", "/Users?sortBy=userName&sortOrder=descending&count=5&cursor=" + next, scim.InvalidCursor, a},
				{"another sortBy's", "/Users?sortBy=displayName&count=5&cursor=" + next, scim.InvalidCursor, a},
				{"another resource type's", "/Groups?sortBy=userName&count=5&cursor=" + next, scim.InvalidValue, a}, // userName is no Group attribute
				{"another resource type's", "/Groups?count=5&cursor=" + walkCursor(t, a, "/Users?count=1"), scim.InvalidCursor, a},
				{"with startIndex", "/Users?sortBy=userName&count=5&startIndex=2&cursor=" + next, scim.InvalidValue, a},
			} {
				bad(tt.what, tt.c, tt.path, tt.scimType)
			}

			clock.Add(10*time.Minute + time.Second)
			bad("expired", a, "/Users?sortBy=userName&count=5&cursor="+next, scim.ExpiredCursor)

			spc := a.Must(200, "GET", "/ServiceProviderConfig", "")
			want := map[string]any{"cursor": true, "index": true, "defaultPaginationMethod": "index",
				"defaultPageSize": float64(100), "maxPageSize": float64(1000), "cursorTimeout": float64(600)}
			if d := cmp.Diff(want, spc.Body["pagination"]); d != "" {
				t.Errorf("ServiceProviderConfig pagination (-want +got):\n%s", d)
			}
		})
	}
}

// walkCursor returns the nextCursor of GET path's first cursor page.
func walkCursor(t *testing.T, c *e2e.Client, path string) string {
	t.Helper()
	r := c.Must(200, "GET", path+"&cursor=", "")
	s, _ := r.Body["nextCursor"].(string)
	if s == "" {
		t.Fatalf("GET %s: no nextCursor", path)
	}
	return s
}

func checkIDs(t *testing.T, what string, r e2e.Resp, want []string) {
	t.Helper()
	var got []string
	for _, res := range r.Body["Resources"].([]any) {
		got = append(got, fmt.Sprint(e2e.Path(res, "id")))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// TestCursorWalkUnderChurn walks users by cursor, with and without
// sortBy, while other clients create and delete users between and during
// the pages: every user that existed throughout is listed exactly once,
// on every bundled store.
func TestCursorWalkUnderChurn(t *testing.T) {
	for name, open := range extStores(t) {
		for _, sortBy := range []string{"", "userName", "meta.created"} {
			t.Run(name+"/sortBy="+sortBy, func(t *testing.T) {
				a, _ := cursorServer(t, open(t), scim.NewFakeClock(time.Now()))
				stable := map[string]bool{}
				var doomed []string
				for i := range 60 {
					id := a.CreateUser(e2e.UserBody(fmt.Sprintf("u%03d@x", (i*37)%60)))
					if i%3 == 0 {
						doomed = append(doomed, id)
					} else {
						stable[id] = true
					}
				}
				var wg sync.WaitGroup
				churn := func(n int) {
					for i := range 2 {
						wg.Add(2)
						go func() {
							defer wg.Done()
							if r := a.Do("POST", "/Users", e2e.UserBody(fmt.Sprintf("new-%d-%d@x", n, i))); r.Status != 201 {
								t.Errorf("POST /Users: %d", r.Status)
							}
						}()
						go func(k int) {
							defer wg.Done()
							if k < len(doomed) {
								if r := a.Do("DELETE", "/Users/"+doomed[k], ""); r.Status != 204 {
									t.Errorf("DELETE /Users/%s: %d", doomed[k], r.Status)
								}
							}
						}(2*n + i)
					}
				}
				page := 0
				got := walk(t, a, "/Users?count=7&sortBy="+sortBy, func() { churn(page); page++ })
				wg.Wait()
				seen := map[string]int{}
				for _, id := range got {
					seen[id]++
					if seen[id] == 2 {
						t.Errorf("user %s listed twice", id)
					}
				}
				for id := range stable {
					if seen[id] != 1 {
						t.Errorf("user %s, alive throughout, listed %d times", id, seen[id])
					}
				}
			})
		}
	}
}

// TestCursorUnsupported: a host's handler that does not page by keyset
// (it never sets Page.Last) answers a cursor walk that would need a
// second page with 400 invalidValue, not with a silently short walk.
func TestCursorUnsupported(t *testing.T) {
	srv, err := scim.NewServer(scim.Config{
		Resources: []scim.Resource{{Type: deviceType(), Handler: &devices{rows: map[string]map[string]doc{}}}},
		Auth:      scim.StaticToken("a", tokenA),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := e2e.Serve(t, srv, tokenA)
	for _, tt := range []struct {
		query  string
		status int
	}{
		{"count=5&cursor=", 200}, // nothing yet: one page holds it all
		{"count=1&cursor=", 200},
		{"count=1", 200},
	} {
		if r := h.Do("GET", "/Devices?"+tt.query, ""); r.Status != tt.status || r.Body["nextCursor"] != nil {
			t.Errorf("GET /Devices?%s with no devices: %d %s", tt.query, r.Status, r.Raw)
		}
	}
	h.Must(201, "POST", "/Devices", `{"serialNumber":"S1"}`)
	h.Must(201, "POST", "/Devices", `{"serialNumber":"S2"}`)
	for _, tt := range []struct {
		query, scimType string
		status          int
	}{
		{"count=5&cursor=", "", 200},
		{"count=1&cursor=", scim.InvalidValue, 400},
		{"count=1", "", 200}, // index paging still works
	} {
		r := h.Do("GET", "/Devices?"+tt.query, "")
		if r.Status != tt.status || tt.scimType != "" && r.Body["scimType"] != tt.scimType || r.Body["nextCursor"] != nil {
			t.Errorf("GET /Devices?%s: %d %s, want %d %s", tt.query, r.Status, r.Raw, tt.status, tt.scimType)
		}
	}
}
