package scim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// A Bulk request creates a group and the user it references by bulkId:
// the user is created first, and a third operation refers to a bulkId no
// operation defines.
func Example_bulk() {
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("acme", "s3cret"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(srv)
	defer app.Close()
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
	  {"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"Eng","members":[{"value":"bulkId:ada"}]}},
	  {"method":"POST","path":"/Users","bulkId":"ada","data":{"userName":"ada@acme.example"}},
	  {"method":"DELETE","path":"/Users/bulkId:nobody"}]}`
	req, _ := http.NewRequest("POST", app.URL+"/Bulk", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Operations []struct {
			Method, BulkID, Status string
			Response               struct{ ScimType string }
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.StatusCode)
	for _, op := range out.Operations {
		fmt.Println(strings.TrimSpace(fmt.Sprint(op.Method, " ", op.BulkID, " ", op.Status, " ", op.Response.ScimType)))
	}
	// Output:
	// 200
	// POST g 201
	// POST ada 201
	// DELETE  400 invalidValue
}
