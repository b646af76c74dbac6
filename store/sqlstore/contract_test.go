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

// TestContractRecordingEvents runs the contract on stores that record
// events, whose writes take other paths (the old row read locked, deltas
// reported by the SQL): every rule holds there too.
func TestContractRecordingEvents(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) scim.Store {
				s := newStore(t, d)
				s.RecordEvents(func() {})
				return s
			})
		})
	}
}

func TestClientContractSQLite(t *testing.T) {
	t.Parallel()
	storetest.RunClients(t, func(t *testing.T) scim.ClientStore { return newSQLite(t) })
}

func TestClientContractPostgres(t *testing.T) {
	t.Parallel()
	storetest.RunClients(t, func(t *testing.T) scim.ClientStore { return newPostgres(t) })
}
