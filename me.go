package scim

import (
	"errors"
	"net/http"
	"strings"
)

// me serves /Me (RFC 7644 section 3.11): the User resource of the
// authenticated subject, as Config.Me names it, with GET, PUT, PATCH and
// DELETE exactly as /Users/<id> serves them; meta.location stays the
// /Users address.
func (q *request) me(rest []string) {
	users := q.s.byPath["users"]
	if q.s.cfg.Me == nil || users == nil {
		q.fail(&Error{Status: http.StatusNotImplemented, Detail: "/Me is not supported by this server."})
		return
	}
	if len(rest) > 0 {
		q.fail(&Error{Status: http.StatusNotFound, Detail: "No such endpoint."})
		return
	}
	if q.r.Method == http.MethodPost {
		q.fail(&Error{Status: http.StatusNotImplemented, Detail: "Creating a resource through /Me is not supported; POST to /Users."})
		return
	}
	id, err := q.s.cfg.Me(q.r, q.tenant)
	if err == nil && strings.TrimSpace(id) == "" {
		err = ErrNotFound
	}
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			err = &Error{Status: http.StatusNotFound, Detail: "The authenticated subject has no User resource."}
		}
		q.fail(err)
		return
	}
	q.log.ResourceID = boundedUTF8(id, maxLoggedID)
	q.one(users, id)
}
