package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/memory"
)

// Register an extension schema built in Go, let an identity provider send
// its values, and read them into the host's own struct; then change one
// from Go.
func ExampleExtensions_Decode() {
	const juno = "urn:ietf:params:scim:schemas:extension:junojourney:2.0:User"
	ctx := context.Background()
	store := memory.New()
	srv, err := scim.NewServer(scim.Config{
		Store: store,
		Auth:  scim.StaticToken("acme", "s3cret"),
		UserExtensions: []schema.Extension{{Schema: &schema.Schema{
			ID:   juno,
			Name: "Juno Journey learner",
			Attributes: []*schema.Attribute{ // strings unless a Type says otherwise
				{Name: "learnerLevel", CanonicalValues: []string{"beginner", "intermediate", "advanced"}},
				{Name: "employeeId", Indexed: true}, // a lookup key: eq filters use an index
				{Name: "credits", Type: schema.Integer},
				{Name: "remote", Type: schema.Boolean},
				{Name: "mentor", Type: schema.Complex, SubAttributes: []*schema.Attribute{{Name: "value"}, {Name: "display"}}},
			},
		}}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(srv)
	defer app.Close()

	// As an identity provider may send it: a string boolean, the mentor as
	// a bare id, and an extension nobody registered.
	req, _ := http.NewRequest("POST", app.URL+"/Users", strings.NewReader(`{
	  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "`+juno+`"],
	  "userName": "ada@example.com",
	  "`+juno+`": {"learnerLevel": "beginner", "employeeId": "E-1815", "credits": 12, "remote": "True", "mentor": "u-42"},
	  "urn:example:unregistered:2.0:User": {"shoeSize": 38}
	}`))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	var created struct{ ID string }
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()

	// The host's own struct: JSON field names are the attribute names.
	type learner struct {
		LearnerLevel string `json:"learnerLevel"`
		EmployeeID   string `json:"employeeId"`
		Credits      int    `json:"credits"`
		Remote       bool   `json:"remote"`
		Mentor       struct {
			Value string `json:"value,omitempty"`
		} `json:"mentor"`
	}
	u, err := store.GetUser(ctx, "acme", created.ID)
	if err != nil {
		log.Fatal(err)
	}
	var l learner
	if err := u.Extensions.Decode(juno, &l); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d %+v\n", res.StatusCode, l)
	fmt.Println("extensions kept:", len(u.Extensions))

	// Writing from Go: Set replaces the extension's values. A write straight
	// to the store bypasses the Server's validation, so keep to the schema.
	l.Credits += 3
	if err := u.Extensions.Set(juno, l); err != nil {
		log.Fatal(err)
	}
	if _, err := store.ReplaceUser(ctx, "acme", u, u.Meta.Version); err != nil {
		log.Fatal(err)
	}
	u, _ = store.GetUser(ctx, "acme", created.ID)
	var again learner
	u.Extensions.Decode(juno, &again)
	fmt.Println("credits:", again.Credits)
	// Output:
	// 201 {LearnerLevel:beginner EmployeeID:E-1815 Credits:12 Remote:true Mentor:{Value:u-42}}
	// extensions kept: 1
	// credits: 15
}
