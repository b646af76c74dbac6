package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// GET / searches every resource type at once: displayName is an
// attribute of both User and Group, userName of User only.
func Example_searchAcrossTypes() {
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("acme", "secret")})
	if err != nil {
		panic(err)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer secret")
		r.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	do("POST", "/Users", `{"userName":"ada@example.com","displayName":"Ops"}`)
	do("POST", "/Groups", `{"displayName":"Ops"}`)
	do("POST", "/Groups", `{"displayName":"Sales"}`)

	for _, f := range []string{`displayName eq "Ops"`, `userName pr or displayName eq "Sales"`} {
		w := do("GET", "/?sortBy=displayName&filter="+url.QueryEscape(f), "")
		var list struct {
			TotalResults int
			Resources    []struct {
				DisplayName string
				Meta        struct{ ResourceType string }
			}
		}
		if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
			panic(err)
		}
		fmt.Print(w.Code, " ", list.TotalResults, ":")
		for _, r := range list.Resources {
			fmt.Print(" ", r.Meta.ResourceType, " ", r.DisplayName, ";")
		}
		fmt.Println()
	}
	// Output:
	// 200 2: User Ops; Group Ops;
	// 200 2: User Ops; Group Sales;
}
