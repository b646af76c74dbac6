package scim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// newStoreHarness is a client of a Server on store with tenant a only.
func newStoreHarness(t *testing.T, store scim.Store) *harness {
	t.Helper()
	srv, err := scim.NewServer(scim.Config{Store: store, Auth: scim.StaticToken("a", tokenA)})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Client: e2e.Serve(t, srv, tokenA), logs: &e2e.Log{}}
}

// jsonString is s as a JSON string literal, non-ASCII escaped so the
// test says exactly which code points it sends.
func jsonString(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func userBodyJSON(t *testing.T, userName string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":` + jsonString(t, userName) + `}`
}

// listIDs returns the ids a GET /Users?filter=f answers, failing unless 200.
func listIDs(h *harness, f string) []string {
	h.T.Helper()
	r := h.Must(http.StatusOK, http.MethodGet, "/Users?filter="+url.QueryEscape(f), "")
	var ids []string
	for _, u := range e2e.Path(r.Body, "Resources").([]any) {
		ids = append(ids, u.(map[string]any)["id"].(string))
	}
	return ids
}

// userSnapshot returns the stored user id as GET returns it.
func userSnapshot(h *harness, id string) map[string]any {
	h.T.Helper()
	r := h.Must(http.StatusOK, http.MethodGet, "/Users/"+id, "")
	delete(r.Body, "meta")
	return r.Body
}

// wantError checks a SCIM error's status and scimType, and that its
// detail does not echo the input bad.
func wantError(t *testing.T, what string, r e2e.Resp, status int, scimType, bad string) {
	t.Helper()
	if r.Status != status || r.Body["scimType"] != scimType {
		t.Errorf("%s: %d %v, want %d %s\n%s", what, r.Status, r.Body["scimType"], status, scimType, r.Raw)
	}
	detail, _ := r.Body["detail"].(string)
	if bad != "" && strings.Contains(detail, bad) || strings.ContainsRune(detail, '\uFFFD') {
		t.Errorf("%s: detail %q echoes the input", what, detail)
	}
}

// TestUserNameIdentityOverHTTP checks on every store that userNames
// naming one person under the userName profile are one userName to
// POST, PUT, PATCH and filters, and that userNames the profile refuses
// are 400 invalidValue with nothing stored.
func TestUserNameIdentityOverHTTP(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) { testUserNameIdentity(t, open(t)) })
	}
}

func testUserNameIdentity(t *testing.T, store scim.Store) {
	h := newStoreHarness(t, store)
	collisions := []struct {
		name, stored, sent string
	}{
		{"NFD of an NFC user", "jos\u00e9@y", "jose\u0301@y"},
		{"NFC of an NFD user", "rene\u0301@y", "ren\u00e9@y"},
		{"fullwidth of an ordinary user", "full@y", "\uff46\uff55\uff4c\uff4c@y"},
		{"ordinary of a fullwidth user", "\uff57\uff49\uff44\uff45@y", "wide@y"},
		{"upper case NFD", "zo\u00eb@y", "ZOE\u0308@Y"},
		{"Kelvin sign", "kelvin@y", "\u212aelvin@y"},
		{"long s", "sam@y", "\u017fam@y"},
		{"final sigma", "\u03c3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2@y", "\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3@y"},
		{"ideographic space", "jane doe", "jane\u3000doe"},
	}
	other := h.CreateUser(userBodyJSON(t, "other@y"))
	for _, tt := range collisions {
		t.Run(tt.name, func(t *testing.T) {
			id := h.CreateUser(userBodyJSON(t, tt.stored))
			r := h.Do(http.MethodPost, "/Users", userBodyJSON(t, tt.sent))
			wantError(t, "POST", r, http.StatusConflict, "uniqueness", "")

			before := userSnapshot(h, other)
			r = h.Do(http.MethodPut, "/Users/"+other, userBodyJSON(t, tt.sent))
			wantError(t, "PUT another user", r, http.StatusConflict, "uniqueness", "")
			r = h.Do(http.MethodPatch, "/Users/"+other, e2e.PatchBody(`{"op":"replace","path":"userName","value":`+jsonString(t, tt.sent)+`}`))
			wantError(t, "PATCH another user", r, http.StatusConflict, "uniqueness", "")
			if d := cmp.Diff(before, userSnapshot(h, other)); d != "" {
				t.Errorf("a refused write changed the user (-before +after):\n%s", d)
			}

			for _, f := range []string{
				`userName eq ` + jsonString(t, tt.sent),
				`userName sw ` + jsonString(t, tt.sent),
				`userName co ` + jsonString(t, tt.sent),
				`userName eq ` + jsonString(t, tt.stored) + ` and not (userName ne ` + jsonString(t, tt.sent) + `)`,
			} {
				if d := cmp.Diff([]string{id}, listIDs(h, f)); d != "" {
					t.Errorf("%s (-want +got):\n%s", f, d)
				}
			}
			r = h.Must(http.StatusOK, http.MethodPost, "/Users/.search",
				`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":`+jsonString(t, `userName eq `+jsonString(t, tt.sent))+`}`)
			if r.Body["totalResults"] != float64(1) {
				t.Errorf(".search for %+q: %v", tt.sent, r.Raw)
			}
		})
	}

	// What identity providers really send is accepted.
	for _, userName := range []string{
		"Alice.Smith@contoso.onmicrosoft.com",   // Entra UPN
		"cf4d78e8-4a05-4c3f-a2dd-1c4f1b8e2f33",  // Entra's Test Connection GUID
		"o'neil#!~^_-@contoso.com",              // UPN punctuation
		"test.user+okta@okta.local",             // Okta email
		"jdoe",                                  // JumpCloud username
		"Jane Q. Public",                        // OneLogin template on a display name
		"jos\u00e9.n\u00fa\u00f1ez@example.com", // accents
		"\u05e9\u05dc\u05d5\u05dd@example.com",  // a right-to-left local part
		"\u7530\u4e2d\u592a\u90ce@example.jp",   // CJK
	} {
		if r := h.Do(http.MethodPost, "/Users", userBodyJSON(t, userName)); r.Status != http.StatusCreated {
			t.Errorf("POST userName %+q: %d\n%s", userName, r.Status, r.Raw)
		}
	}

	refused := []struct {
		name, userName string
	}{
		{"leading space", " lead@y"},
		{"trailing space", "trail@y "},
		{"leading ideographic space", "\u3000lead@y"},
		{"consecutive spaces", "jane  doe"},
		{"tab", "a\tb@y"},
		{"DEL", "a\x7fb@y"},
		{"C1 control", "a\u0085b@y"},
		{"right-to-left override", "a\u202eb@y"},
		{"left-to-right mark", "a\u200eb@y"},
		{"bidi isolate", "a\u2066b@y"},
		{"zero width space", "a\u200bb@y"},
		{"zero width joiner", "a\u200db@y"},
		{"byte order mark", "\ufeffa@y"},
		{"soft hyphen", "a\u00adb@y"},
		{"no-break space", "a\u00a0b@y"},
		{"emoji", "a\U0001F600@y"},
	}
	count := func() float64 {
		return h.Must(http.StatusOK, http.MethodGet, "/Users?count=0", "").Body["totalResults"].(float64)
	}
	n := count()
	before := userSnapshot(h, other)
	for _, tt := range refused {
		t.Run("refused "+tt.name, func(t *testing.T) {
			wantError(t, "POST", h.Do(http.MethodPost, "/Users", userBodyJSON(t, tt.userName)), http.StatusBadRequest, "invalidValue", tt.userName)
			wantError(t, "PUT", h.Do(http.MethodPut, "/Users/"+other, userBodyJSON(t, tt.userName)), http.StatusBadRequest, "invalidValue", tt.userName)
			wantError(t, "PATCH", h.Do(http.MethodPatch, "/Users/"+other,
				e2e.PatchBody(`{"op":"replace","path":"userName","value":`+jsonString(t, tt.userName)+`}`)), http.StatusBadRequest, "invalidValue", tt.userName)
		})
	}
	if got := count(); got != n {
		t.Errorf("users after the refused POSTs: %v, want %v", got, n)
	}
	if d := cmp.Diff(before, userSnapshot(h, other)); d != "" {
		t.Errorf("refused writes changed the user (-before +after):\n%s", d)
	}

	// A userName stored before the profile existed does not block the
	// user's updates and deactivation; only a change to it is checked.
	legacy, err := store.CreateUser(t.Context(), "a", &scim.User{UserName: "legacy\u200b@y "})
	if err != nil {
		t.Fatal(err)
	}
	h.Must(http.StatusOK, http.MethodPatch, "/Users/"+legacy.ID, e2e.PatchBody(`{"op":"replace","path":"active","value":false}`))
	h.Must(http.StatusOK, http.MethodPut, "/Users/"+legacy.ID, `{"userName":"legacy\u200b@y ","displayName":"Legacy","active":false}`)
	wantError(t, "PATCH to another refused userName", h.Do(http.MethodPatch, "/Users/"+legacy.ID,
		e2e.PatchBody(`{"op":"replace","path":"userName","value":"legacy\u200c@y "}`)), http.StatusBadRequest, "invalidValue", "legacy")
	h.Must(http.StatusOK, http.MethodPatch, "/Users/"+legacy.ID, e2e.PatchBody(`{"op":"replace","path":"userName","value":"legacy@y"}`))
}

// TestInvalidUTF8OverHTTP checks on every store that invalid UTF-8 in a
// body, a path or a query is 400 and changes nothing, never stored or
// matched with U+FFFD in its place.
func TestInvalidUTF8OverHTTP(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) { testInvalidUTF8(t, newStoreHarness(t, open(t))) })
	}
}

func testInvalidUTF8(t *testing.T, h *harness) {
	id := h.CreateUser(e2e.UserBody("keep@y"))
	before := userSnapshot(h, id)
	count := func() float64 {
		return h.Must(http.StatusOK, http.MethodGet, "/Users?count=0", "").Body["totalResults"].(float64)
	}
	n := count()
	tests := []struct {
		name, method, path, body string
		scimType                 string
	}{
		{"userName in POST", http.MethodPost, "/Users", e2e.UserBody("bad\xffutf8@y"), "invalidSyntax"},
		{"continuation byte in POST", http.MethodPost, "/Users", e2e.UserBody("coll\x80x@y"), "invalidSyntax"},
		{"truncated sequence in POST", http.MethodPost, "/Users", e2e.UserBody("cut\xe2\x82@y"), "invalidSyntax"},
		{"UTF-8 of a surrogate in POST", http.MethodPost, "/Users", e2e.UserBody("sur\xed\xa0\x80@y"), "invalidSyntax"},
		{"lone surrogate escape in POST", http.MethodPost, "/Users", `{"userName":"lone@y","displayName":"a\ud800b"}`, "invalidSyntax"},
		{"key in POST", http.MethodPost, "/Users", "{\"userName\":\"k@y\",\"nick\xffName\":\"x\"}", "invalidSyntax"},
		{"displayName in PUT", http.MethodPut, "/Users/" + id, `{"userName":"keep@y","displayName":"` + "a\xfeb" + `"}`, "invalidSyntax"},
		{"value in PATCH", http.MethodPatch, "/Users/" + id, e2e.PatchBody(`{"op":"replace","path":"displayName","value":"` + "a\xffb" + `"}`), "invalidSyntax"},
		{"lone surrogate escape in PATCH", http.MethodPatch, "/Users/" + id, e2e.PatchBody(`{"op":"replace","path":"displayName","value":"a\udc00b"}`), "invalidSyntax"},
		{"filter in .search", http.MethodPost, "/Users/.search", `{"filter":"userName eq \"` + "keep\xff" + `\""}`, "invalidSyntax"},
		{"filter in a query", http.MethodGet, "/Users?filter=" + url.QueryEscape("userName eq \"keep\xff\""), "", "invalidFilter"},
		{"lone surrogate escape in a filter", http.MethodGet, "/Users?filter=" + url.QueryEscape(`userName eq "keep\ud800"`), "", "invalidFilter"},
		{"attributes in a query", http.MethodGet, "/Users?attributes=user%FFName", "", "invalidSyntax"},
		{"parameter name in a query", http.MethodGet, "/Users?%FF=1", "", "invalidSyntax"},
		{"id in a path", http.MethodGet, "/Users/%FF", "", "invalidSyntax"},
		{"id in a DELETE path", http.MethodDelete, "/Users/" + id + "%FF", "", "invalidSyntax"},
		{"endpoint in a path", http.MethodGet, "/Us%FFers", "", "invalidSyntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.method+" "+tt.path, h.Do(tt.method, tt.path, tt.body), http.StatusBadRequest, tt.scimType, "\xff")
		})
	}
	if got := count(); got != n {
		t.Errorf("users after the refused requests: %v, want %v", got, n)
	}
	if d := cmp.Diff(before, userSnapshot(h, id)); d != "" {
		t.Errorf("refused requests changed the user (-before +after):\n%s", d)
	}
	if ids := listIDs(h, "userName eq \"keep\uFFFD\""); len(ids) != 0 {
		t.Errorf("a U+FFFD filter finds %v", ids)
	}
}
