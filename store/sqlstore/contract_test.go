package sqlstore

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/storetest"
)

func TestContractSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) scim.Store { return newSQLite(t) })
}

func TestContractPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) scim.Store { return newPostgres(t) })
}

func TestTokenContractSQLite(t *testing.T) {
	t.Parallel()
	storetest.RunTokens(t, func(t *testing.T) scim.TokenStore { return newSQLite(t) })
}

func TestTokenContractPostgres(t *testing.T) {
	t.Parallel()
	storetest.RunTokens(t, func(t *testing.T) scim.TokenStore { return newPostgres(t) })
}
