package scim_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// A provisioning log beside the store: every SCIM operation leaves a
// record, and a user's history answers why the user left a group.
// store/sqlstore's OpenOperationLog keeps it in a database instead (on SQLite,
// OpenSQLiteOperationLog, in a file of its own).
func ExampleConfig_operationLog() {
	oplog := memory.NewOperationLog(memory.OperationLogOptions{})
	srv, err := scim.NewServer(scim.Config{
		Store:        memory.New(),
		Auth:         scim.StaticToken("acme", "example-token"),
		OperationLog: oplog,
	})
	if err != nil {
		log.Fatal(err)
	}
	// do sends a request as Okta would and returns the Location.
	do := func(method, path, body string) string {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer example-token")
		r.Header.Set("Content-Type", "application/scim+json")
		r.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Header().Get("Location")
	}
	bob := do("POST", "/Users", `{"userName":"bob@example.com"}`)
	bobID := bob[strings.LastIndex(bob, "/")+1:]
	sales := do("POST", "/Groups", `{"displayName":"Sales","members":[{"value":"`+bobID+`"}]}`)
	do("PATCH", sales[strings.Index(sales, "/Groups"):], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"remove","path":"members[value eq \"`+bobID+`\"]"}]}`)

	page, err := oplog.QueryLog(context.Background(), scim.LogQuery{Tenant: "acme", ResourceType: "User", ResourceID: bobID})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range page.Records {
		fmt.Println(r.Client, r.Op, r.ResourceType, r.Status, r.Changed,
			len(r.MembersAdded), "added,", len(r.MembersRemoved), "removed")
	}
	// Output:
	// Okta SCIM Client 1.0.0 patch Group 204 [members] 0 added, 1 removed
	// Okta SCIM Client 1.0.0 create Group 201 [displayName members] 1 added, 0 removed
	// Okta SCIM Client 1.0.0 create User 201 [active userName] 0 added, 0 removed
}
