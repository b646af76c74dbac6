package main

import "database/sql"

// store is scimkit's view of Juno's tables: a scim.Store over accounts
// (users) and teams (groups). Juno's own code keeps using its tables as
// it always did.
type store struct {
	userStore
	groupStore
}

func newStore(db *sql.DB) *store {
	return &store{userStore{db}, groupStore{db}}
}
