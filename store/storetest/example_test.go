package storetest_test

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/storetest"
)

// A host proves its own Store with the suite the bundled stores pass,
// from a test in its own package: go test supplies the *testing.T, so
// this example only compiles. newStore must return a fresh, empty store
// for every subtest (on a database: a new schema or new tables). The
// Extensions subtests that need scim.Indexer skip for a store without it.
func ExampleRun() {
	// In the host's mystore_test.go, as func TestStore(t *testing.T):
	testStore := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) scim.Store {
			return memory.New() // mystore.New(newTestDB(t)) in the host's code
		})
	}
	_ = testStore
}
