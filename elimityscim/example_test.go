package elimityscim_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	escim "github.com/elimity-com/scim"
	eschema "github.com/elimity-com/scim/schema"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/elimityscim"
)

// A team's elimity handlers (here the in-memory ones of this package's
// tests) served by scimkit, which then accepts what Entra sends, such as
// "active":"False" and a filter on the work email.
func ExampleResource() {
	m := newMemory() // m.users() and m.groups() are escim.ResourceHandlers
	var resources []scim.Resource
	for _, rt := range []escim.ResourceType{
		{Name: "User", Endpoint: "/Users", Schema: eschema.CoreUserSchema(),
			SchemaExtensions: []escim.SchemaExtension{{Schema: eschema.ExtensionEnterpriseUser()}},
			Handler:          m.users()},
		{Name: "Group", Endpoint: "/Groups", Schema: eschema.CoreGroupSchema(), Handler: m.groups()},
	} {
		r, err := elimityscim.Resource(rt)
		if err != nil {
			log.Fatal(err)
		}
		resources = append(resources, r)
	}
	srv, err := scim.NewServer(scim.Config{
		Auth:      scim.StaticToken("acme", "secret-token"),
		Resources: resources, // they serve /Users and /Groups: no Store
	})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	send := func(method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer secret-token")
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		return res
	}
	res := send("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":"ada@example.com","active":"False","emails":[{"type":"work","value":"ada@example.com"}]}`)
	res.Body.Close()
	fmt.Println(res.Status)

	res = send("GET", "/Users?filter="+url.QueryEscape(`emails[type eq "work"].value eq "ADA@example.com"`), "")
	defer res.Body.Close()
	var list struct {
		TotalResults int
		Resources    []struct{ Active bool }
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		log.Fatal(err)
	}
	fmt.Println(list.TotalResults, "user, active:", list.Resources[0].Active)
	// Output:
	// 201 Created
	// 1 user, active: false
}
