package scim_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/scimkit/scim/internal/e2e"
)

// Probe strings a client may send that no error response may repeat:
// markup, a secret-like token and SQL.
const (
	probeScript = `<script>alert(1)</script>`
	probeToken  = "Q7xW2kLp9ZrT4vNb8YcH3mJs6DfG1aEu" // also a valid attribute name
	probeSQL    = `' OR '1'='1'; DROP TABLE users; --`
)

var probes = []string{"<script>", "alert(1)", probeToken, "DROP TABLE", "' OR '1'='1"}

// TestErrorsDoNotEchoInput sends the probes in filters (GET and
// .search), query parameters, ids, PATCH ops, paths and values, and
// bodies (unknown attribute names in attributes= and unknown schemas in
// a .search are ignored, as RFC 7644 lets a server do, so they make no
// error), and checks that each answer is a 4xx whose body repeats none of
// them: a detail says where and what (an offset, the kind of mistake, a
// schema attribute name), not what the client sent.
func TestErrorsDoNotEchoInput(t *testing.T) {
	h := newHarness(t)
	uid := h.CreateUser(e2e.UserBody("probe@contoso.com"))
	gid := h.CreateGroup(`{"displayName":"Probes"}`)
	q := url.QueryEscape
	search := func(f string) string {
		return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":%q}`, f)
	}
	patch := func(op string) string { return e2e.PatchBody(op) }
	filters := []string{
		`userName eq "` + probeScript,
		`userName eq "` + probeScript + `" ` + probeScript,
		`userName eq "x" ` + probeSQL,
		`userName eq '` + probeSQL + `'`,
		probeToken + ` eq "x"`,
		`userName eq "x" or ` + probeToken + ` pr`,
		`name.` + probeToken + ` pr`,
		`urn:` + probeToken + `:User:userName pr`,
		`emails[` + probeToken + ` eq "x"]`,
		`emails[type eq "` + probeScript + `"`,
		`meta.lastModified gt "` + probeScript + `"`,
		`meta.lastModified gt "` + probeToken + `"`,
		`active eq "` + probeToken + `"`,
		`userName ` + probeToken + ` "x"`,
		`userName eq ` + probeToken,
		`password eq "` + probeToken + `"`,
	}
	paths := []string{
		probeToken,
		probeScript,
		`name.` + probeToken,
		`urn:` + probeToken + `:User:userName`,
		`emails[` + probeToken + ` eq "x"].value`,
		`emails[type eq "work"].` + probeToken,
		`emails[type eq "` + probeScript + `"`,
		`emails[type eq "x"] ` + probeSQL,
		`emails[type eq '` + probeSQL + `']`,
		`userName[value eq "` + probeToken + `"]`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:` + probeToken,
	}
	type req struct{ method, path, body string }
	var reqs []req
	for _, f := range filters {
		reqs = append(reqs, req{"GET", "/Users?filter=" + q(f), ""}, req{"POST", "/Users/.search", search(f)})
	}
	reqs = append(reqs, req{"GET", "/Groups?filter=" + q(`members[value eq "x"].`+probeToken+` pr`), ""})
	for _, p := range paths {
		reqs = append(reqs,
			req{"PATCH", "/Users/" + uid, patch(fmt.Sprintf(`{"op":"replace","path":%q,"value":"x"}`, p))},
			req{"PATCH", "/Users/" + uid, patch(fmt.Sprintf(`{"op":"remove","path":%q}`, p))},
			req{"PATCH", "/Groups/" + gid, patch(fmt.Sprintf(`{"op":"add","path":%q,"value":"x"}`, p))},
		)
	}
	for _, p := range []string{"count", "startIndex"} {
		reqs = append(reqs, req{"GET", "/Users?" + p + "=" + q(probeScript), ""}, req{"GET", "/Users?" + p + "=" + probeToken, ""})
	}
	reqs = append(reqs,
		req{"GET", "/Users/" + probeToken, ""},
		req{"GET", "/Users/" + url.PathEscape(probeScript), ""},
		req{"GET", "/" + probeToken, ""},
		req{"GET", "/Schemas/" + probeToken, ""},
		req{"GET", "/ResourceTypes/" + url.PathEscape(probeScript), ""},
		req{"GET", "/Users/" + uid + "/" + probeToken, ""},
		req{"DELETE", "/Groups/" + probeToken, ""},
		req{"PUT", "/Users/" + probeToken, e2e.UserBody("x@contoso.com")},
		req{"PATCH", "/Users/" + uid, patch(fmt.Sprintf(`{"op":%q,"path":"title","value":"x"}`, probeScript))},
		req{"PATCH", "/Users/" + uid, patch(fmt.Sprintf(`{"op":%q,"path":"title","value":"x"}`, probeToken))},
		req{"PATCH", "/Users/" + uid, fmt.Sprintf(`{"schemas":[%q],"Operations":[]}`, probeScript)},
		req{"PATCH", "/Users/" + uid, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":%q}`, probeToken)},
		req{"PATCH", "/Users/" + uid, patch(fmt.Sprintf(`{"op":"replace","path":"title","value":{"x":%q}`, probeScript))},
		req{"PATCH", "/Users/" + uid, patch(fmt.Sprintf(`{"op":"replace","path":"userName","value":%q}`, probeSQL+"\u0000"))},
		req{"PATCH", "/Users/" + uid, patch(fmt.Sprintf(`{"op":"replace","value":%q}`, probeScript))},
		req{"PATCH", "/Users/" + uid, patch(fmt.Sprintf(`{"op":"replace","path":"active","value":%q}`, probeToken))},
		req{"PATCH", "/Groups/" + gid, patch(fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":%q}]}`, probeToken))},
		req{"PATCH", "/Groups/" + gid, patch(fmt.Sprintf(`{"op":"remove","path":"members[value eq %q]"}`, probeScript))},
		req{"POST", "/Users", fmt.Sprintf(`{"userName":%q`, probeScript)},
		req{"POST", "/Users", fmt.Sprintf(`{"userName":"a@b","userName":%q}`, probeToken)},
		req{"POST", "/Users", fmt.Sprintf(`{"userName":"a@b"} %s`, probeScript)},
		req{"POST", "/Users", fmt.Sprintf(`[%q]`, probeToken)},
		req{"POST", "/Users", fmt.Sprintf(`{"userName":%q,"active":%q}`, "p2@contoso.com", probeToken)},
		req{"POST", "/Users", fmt.Sprintf(`{"userName":%q,"name":%q}`, "p3@contoso.com", probeScript)},
		req{"POST", "/Users", fmt.Sprintf(`{"userName":%q,"emails":[{"value":"x@y","primary":%q}]}`, "p4@contoso.com", probeSQL)},
		req{"POST", "/Users", fmt.Sprintf(`{"userName":{"x":%q}}`, probeToken)},
		req{"POST", "/Groups", fmt.Sprintf(`{"displayName":"G2","members":[{"value":%q}]}`, probeToken)},
		req{"POST", "/Users/.search", fmt.Sprintf(`{"filter":"userName pr","count":%q}`, probeToken)},
	)
	for _, r := range reqs {
		res := h.Do(r.method, r.path, r.body)
		if res.Status < 400 || res.Status >= 500 {
			t.Errorf("%s %s %.80s: status %d, want 4xx\n%s", r.method, r.path, r.body, res.Status, res.Raw)
			continue
		}
		for _, p := range probes {
			if strings.Contains(res.Raw, p) {
				t.Errorf("%s %.100s %.100s: the answer repeats %q:\n%s", r.method, r.path, r.body, p, res.Raw)
			}
		}
	}
}
