package memory

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) scim.Store { return New() })
}
