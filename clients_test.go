package scim_test

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/storetest"
)

func TestClientMapContract(t *testing.T) {
	storetest.RunClients(t, func(*testing.T) scim.ClientStore { return scim.NewClientMap() })
}
