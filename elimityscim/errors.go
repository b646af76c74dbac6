package elimityscim

import (
	"errors"
	"fmt"
	"net/http"

	eerrors "github.com/elimity-com/scim/errors"
	"github.com/scimkit/scim"
)

// scimError maps what an elimity handler returned to the errors a
// scim.ResourceHandler returns (see the package documentation). The
// cause stays wrapped for the Server's log.
func scimError(err error) error {
	if err == nil {
		return nil
	}
	var se eerrors.ScimError
	var sp *eerrors.ScimError
	switch {
	case errors.As(err, &se):
	case errors.As(err, &sp) && sp != nil:
		se = *sp
	default:
		return fmt.Errorf("elimityscim: handler failed: %w", err)
	}
	switch {
	case se.Status == http.StatusNotFound:
		return fmt.Errorf("%w: %w", scim.ErrNotFound, err)
	case se.Status == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %w", scim.ErrVersionMismatch, err)
	case se.Status >= 400 && se.Status < 500:
		return &scim.Error{Status: se.Status, ScimType: string(se.ScimType), Detail: se.Detail}
	case se.Status == http.StatusNotImplemented || se.Status == http.StatusServiceUnavailable:
		return &scim.Error{Status: se.Status, Detail: http.StatusText(se.Status) + "."}
	}
	return fmt.Errorf("elimityscim: handler failed: %w", err)
}
