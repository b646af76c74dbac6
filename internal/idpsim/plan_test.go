package idpsim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanDeterministic: a plan depends on the seed, the cycle and the
// model only.
func TestPlanDeterministic(t *testing.T) {
	a, b := testSim(EntraLegacy, 500), testSim(EntraLegacy, 500)
	a.groups, b.groups = make([]groupModel, 30), make([]groupModel, 30)
	for _, s := range []*simulation{a, b} {
		for g := range s.groups {
			s.groups[g] = groupModel{id: fmt.Sprint("g", g), state: live, members: map[string]int32{"id1": 1, "id2": 2, "id3": 3}}
		}
	}
	opt := cmp.AllowUnexported(cyclePlan{}, userPlan{}, groupPlan{})
	if diff := cmp.Diff(a.plan(1), b.plan(1), opt); diff != "" {
		t.Errorf("same seed and cycle, different plans:\n%s", diff)
	}
	if cmp.Equal(a.plan(1), a.plan(2), opt) {
		t.Error("cycles 1 and 2 planned the same changes")
	}
}

// TestPlanRules: one action per user, no deletes of managers or in Okta
// mode, member additions only of provisioned non-members that stay.
func TestPlanRules(t *testing.T) {
	for _, mode := range []Mode{EntraLegacy, Okta} {
		s := testSim(mode, 1000)
		s.users[5].state = broken
		for i := 0; i < 40; i++ {
			s.users[100+i].active = false
		}
		s.groups = make([]groupModel, 50)
		for g := range s.groups {
			s.groups[g] = groupModel{id: fmt.Sprint("g", g), state: live, members: map[string]int32{"id1": 1, "id200": 200}}
		}
		p := s.plan(1)
		seen := map[int32]bool{}
		count := map[userAction]int{}
		for _, up := range p.users {
			if seen[up.user] {
				t.Fatalf("%s: user %d planned twice", mode, up.user)
			}
			seen[up.user] = true
			count[up.act]++
			u := &s.users[up.user]
			if u.state != live {
				t.Errorf("%s: plan for unprovisioned user %d", mode, up.user)
			}
			if up.act == actEnable && u.active || up.act == actDisable && !u.active {
				t.Errorf("%s: %s planned for user %d with active=%t", mode, actionNames[up.act], up.user, u.active)
			}
			if up.act == actChange && (len(up.attrs) < 1 || len(up.attrs) > 4) {
				t.Errorf("%s: %d attributes changed", mode, len(up.attrs))
			}
			if up.manager == up.user {
				t.Errorf("%s: user %d made its own manager", mode, up.user)
			}
		}
		deleting := map[int32]bool{}
		for _, i := range p.deletes {
			if seen[i] || int(i) < s.pool {
				t.Errorf("%s: delete of user %d (planned otherwise %t, manager pool %d)", mode, i, seen[i], s.pool)
			}
			deleting[i] = true
		}
		wantDeletes := 9 // 1% of the 999 provisioned users; 3% (29) disabled
		if mode == Okta {
			wantDeletes = 0
		}
		want := map[userAction]int{actChange: 99, actRename: 19, actDisable: 29, actEnable: 20}
		if diff := cmp.Diff(want, count); diff != "" || len(p.deletes) != wantDeletes {
			t.Errorf("%s: action counts (-want +got):\n%s deletes %d, want %d", mode, diff, len(p.deletes), wantDeletes)
		}
		for _, gp := range p.groups {
			gm := &s.groups[gp.group]
			for _, j := range gp.add {
				if deleting[j] || s.users[j].state != live {
					t.Errorf("%s: group %d adds user %d (deleting %t)", mode, gp.group, j, deleting[j])
				}
				if _, ok := gm.members[s.users[j].id]; ok {
					t.Errorf("%s: group %d adds existing member %d", mode, gp.group, j)
				}
			}
			for _, id := range gp.remove {
				if _, ok := gm.members[id]; !ok {
					t.Errorf("%s: group %d removes non-member %s", mode, gp.group, id)
				}
			}
		}
	}
}

// TestGeneratedData: userNames are unique, changes change values, ids
// have the IdPs' formats.
func TestGeneratedData(t *testing.T) {
	s := testSim(EntraLegacy, 0)
	names := map[string]bool{}
	for i := 0; i < 20000; i++ {
		n := s.userName(i, 1)
		if names[n] {
			t.Fatalf("duplicate userName %s", n)
		}
		names[n] = true
	}
	if s.userName(7, 1) == s.userName(7, 2) {
		t.Error("rename kept the userName")
	}
	for a := range attrs {
		for i := range 50 {
			g := s.nextGen(a, i, 1)
			if s.value(a, i, g) == s.value(a, i, 1) {
				t.Errorf("%s: change of user %d kept the value %q", attrs[a].path, i, s.value(a, i, 1))
			}
		}
	}
	guidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, g := range []string{s.externalID(3), s.groupExternalID(3), randomGUID()} {
		if !guidRE.MatchString(g) {
			t.Errorf("not a v4 GUID: %s", g)
		}
	}
	if a, b := randomGUID(), randomGUID(); a == b {
		t.Errorf("Test Connection GUIDs repeat: %s", a)
	}
	okta := testSim(Okta, 0)
	if id := okta.externalID(3); !regexp.MustCompile(`^00u[0-9A-Za-z]{17}$`).MatchString(id) {
		t.Errorf("not an Okta user id: %s", id)
	}
}

// TestCheckList runs the ListResponse checks on canned responses.
func TestCheckList(t *testing.T) {
	const lr = `"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		reasons           []string
		total             int
		usable            bool
	}{
		{"empty", "application/scim+json", `{` + lr + `,"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`, 200, nil, 0, true},
		{"one", "application/scim+json; charset=utf-8", `{` + lr + `,"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"x"}]}`, 200, nil, 1, true},
		{"404", "application/scim+json", `{"schemas":["` + errorURN + `"],"status":"404"}`, 404, []string{ReasonFilterMiss404}, 0, true},
		{"strings", "application/scim+json", `{` + lr + `,"totalResults":"0","startIndex":"1","itemsPerPage":0,"Resources":[]}`, 200,
			[]string{"totalResults is a string: IdPs read paging numbers as integers", "startIndex is a string: IdPs read paging numbers as integers"}, 0, true},
		{"no paging", "application/scim+json", `{` + lr + `,"totalResults":0,"Resources":[]}`, 200,
			[]string{"startIndex missing from ListResponse", "itemsPerPage missing from ListResponse"}, 0, true},
		{"no Resources", "application/scim+json", `{` + lr + `,"totalResults":0,"startIndex":1,"itemsPerPage":0}`, 200,
			[]string{`Resources missing from an empty ListResponse: Entra expects "Resources": []`}, 0, true},
		{"wrong counts", "application/scim+json", `{` + lr + `,"totalResults":0,"startIndex":2,"itemsPerPage":5,"Resources":[{"id":"x"},{"userName":"y"}]}`, 200,
			[]string{"startIndex of the first page is not 1", "resource without id in ListResponse", "totalResults smaller than the resources returned", "itemsPerPage differs from the number of resources returned"}, 0, true},
		{"no schema", "application/scim+json", `{"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`, 200,
			[]string{"ListResponse without the ListResponse schema URN"}, 0, true},
		{"json type", "application/json", `{` + lr + `,"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`, 200, []string{ReasonJSONType}, 0, true},
		{"html", "text/html", `<html>denied</html>`, 403, []string{`content type "text/html": SCIM responses must be application/scim+json`, ReasonCredentials}, 0, false},
		{"not json", "application/scim+json", `{"totalResults":`, 200, []string{"the lookup: response body is not a JSON object"}, 0, false},
		{"500", "application/scim+json", `{"schemas":["` + errorURN + `"],"status":"500"}`, 500, []string{"server error 500 on the lookup: Entra escrows the object and retries for 28 days"}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer hs.Close()
			s := testSim(EntraLegacy, 0)
			s.cfg.BaseURL, s.client, s.log = hs.URL, hs.Client(), newLogger(discard{}, false, s.requests.Load)
			defer s.log.close()
			o := s.begin("user", "x", "lookup")
			res := s.checkList(context.Background(), o, "/Users?filter=x", "the lookup")
			var got []string
			for _, p := range o.probs {
				got = append(got, p.Reason)
			}
			if diff := cmp.Diff(tc.reasons, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			if (res != nil) != tc.usable {
				t.Fatalf("usable = %t, want %t", res != nil, tc.usable)
			}
			if res != nil && res.total != tc.total {
				t.Errorf("total %d, want %d", res.total, tc.total)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
