// Package scimtest replays identity providers' provisioning traffic
// against a SCIM endpoint, for a host's own go test: the request shapes
// they send and the checks they and a careful integrator make of the
// answers. It speaks only HTTP, so it tests any endpoint: a scim.Server
// over any Store or ResourceHandler, behind the host's own middleware.
//
// RunEntra runs focused flows, each against a fresh endpoint. RunCycle,
// RunEntraCycle and RunOktaCycle run whole provisioning cycles with the
// engine of the entrasim command (Entra ID in both PATCH forms, and Okta),
// and report its failed checks as test failures.
package scimtest

import "net/http"

// Target is one SCIM endpoint under test, with empty Users and Groups.
type Target struct {
	// Handler serves the endpoint at its root: requests arrive as
	// /Users, /Groups/{id} and so on (scimtest mounts it under /scim/v2
	// on a test server bound to 127.0.0.1 and strips the prefix).
	Handler http.Handler
	// URL, when set, is the Tenant URL of an endpoint already running,
	// such as the host's whole application on an httptest.Server
	// ("http://127.0.0.1:41234/scim/v2"); RunCycle and its kin then use it
	// instead of serving Handler. RunEntra needs Handler.
	URL string
	// Token is a bearer token of the tenant the flows act as.
	Token string
}
