package sqlstore_test

import (
	"context"
	"errors"
	"log"

	"github.com/scimkit/scim/store/sqlstore"
)

// After an upgrade that changes how userNames compare, Open recomputes
// the keys of existing users; two users of a tenant whose userNames now
// name one person stop it, with both ids to look at.
func ExampleUserNameCollisionError() {
	store, err := sqlstore.OpenSQLite(context.Background(), "scim.db")
	var ce *sqlstore.UserNameCollisionError
	if errors.As(err, &ce) {
		log.Fatalf("tenant %q: users %s and %s are one person; rename or delete one", ce.Tenant, ce.IDs[0], ce.IDs[1])
	}
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
}
