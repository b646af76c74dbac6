package scim

import (
	"errors"
	"fmt"
	"net/http"

	serrors "github.com/elimity-com/scim/errors"
)

// SCIM error types (RFC 7644 section 3.12), the values of Error.ScimType.
const (
	InvalidFilter  = string(serrors.ScimTypeInvalidFilter)
	TooMany        = string(serrors.ScimTypeTooMany)
	Uniqueness     = string(serrors.ScimTypeUniqueness)
	Mutability     = string(serrors.ScimTypeMutability)
	InvalidSyntax  = string(serrors.ScimTypeInvalidSyntax)
	InvalidPath    = string(serrors.ScimTypeInvalidPath)
	NoTarget       = string(serrors.ScimTypeNoTarget)
	InvalidValue   = string(serrors.ScimTypeInvalidValue)
	InvalidVersion = string(serrors.ScimTypeInvalidVersion)
	Sensitive      = string(serrors.ScimTypeSensitive)
)

// Error is a SCIM error response (RFC 7644 section 3.12). A
// ResourceHandler, Store or Authenticator returns it to answer with a
// specific status and scimType; any other error that is not one of the
// sentinel errors becomes a 500 whose detail says nothing about the cause.
type Error struct {
	Status   int    // HTTP status
	ScimType string // one of the constants above, or ""
	Detail   string // shown to the client: never internal text
}

// Error returns the status, scimType and detail, for logs.
func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("scim: %d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("scim: %d: %s", e.Status, e.Detail)
}

// MarshalJSON encodes the error in the urn:ietf:params:scim:api:messages:2.0:Error
// form, with status as a string.
func (e *Error) MarshalJSON() ([]byte, error) {
	return serrors.ScimError{
		ScimType: serrors.ScimType(e.ScimType),
		Detail:   e.Detail,
		Status:   e.Status,
	}.MarshalJSON()
}

// Errorf returns a 400 Error of the given scimType with a formatted detail.
func Errorf(scimType, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// errUnavailable answers ErrUnavailable: 503, as the request was fine and
// nothing was written, so that clients retry it (writeError adds
// Retry-After). The detail names no cause, which the log has.
var errUnavailable = &Error{Status: http.StatusServiceUnavailable, Detail: "The service's storage is unavailable right now; nothing was changed. Retry later."}

// unavailableRetryAfter is the Retry-After, in seconds, of errUnavailable:
// an operator has to free space or make storage writable again.
const unavailableRetryAfter = "30"

// asError maps any error to the Error sent to the client. Store sentinels
// get their statuses; everything unknown is a 500 with a generic detail.
func asError(err error) *Error {
	var se *Error
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, ErrNotFound):
		return &Error{Status: http.StatusNotFound, Detail: "Resource not found."}
	case errors.Is(err, ErrConflict):
		return &Error{Status: http.StatusConflict, ScimType: Uniqueness, Detail: "A unique attribute's value is already taken (userName is compared case-insensitively)."}
	case errors.Is(err, ErrVersionMismatch):
		return &Error{Status: http.StatusPreconditionFailed, Detail: "The resource changed since the version given in If-Match."}
	case errors.Is(err, ErrInvalidMember):
		return Errorf(InvalidValue, "Every member value must be the id of a user of this tenant.")
	case errors.Is(err, ErrUnavailable):
		return errUnavailable
	}
	return &Error{Status: http.StatusInternalServerError, Detail: "Internal server error."}
}
