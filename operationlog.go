package scim

import (
	"context"
	"errors"
	"time"
)

// LogRecord is one SCIM operation as the provisioning log keeps it: who
// asked for what, on which resource, and how it ended. It holds no token,
// Authorization header, password or request or response body: only
// attribute names, ids and the error's status and scimType.
type LogRecord struct {
	// Time is when the request started.
	Time   time.Time
	Tenant string
	// RequestID is the request's RequestInfo.ID (its X-Request-Id).
	RequestID string
	// Client names the identity provider: the request's
	// RequestInfo.UserAgent, cut to 256 bytes.
	Client string
	// Method is the HTTP method; for a Bulk operation, the operation's.
	Method string
	// Op is what the request did: "create", "replace", "patch",
	// "delete", "get", "list", "search", "bulk", "discovery" or "me", or
	// "" for a request no endpoint serves. A Bulk request makes one
	// record with Op "bulk" and one per operation with the operation's
	// own Op.
	Op string
	// ResourceType is the resource type's name ("User", "Group", a
	// host's own); "" when the request names none.
	ResourceType string
	// ResourceID is the resource's id when known: the new id after a
	// create, the id of the path otherwise.
	ResourceID string
	// Outcome is "success" (status below 400) or "failure".
	Outcome string
	// Status is the HTTP status of the answer, and SCIMType the scimType
	// of an error answer (RFC 7644 section 3.12), or "".
	Status   int
	SCIMType string
	// Changed names the attributes a write changed, sorted, as
	// Change.Attribute names them ("active", "name.givenName",
	// "emails", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
	// never a password; a group write that changed its members also
	// lists "members". A create lists every attribute it set; a delete
	// lists none.
	Changed []string
	// MembersAdded and MembersRemoved are the user ids whose membership
	// of a group the write changed, sorted; for a PATCH whose add and
	// remove operations name members by value, the ids it named. Each
	// holds at most MaxLoggedMembers ids; MembersOmitted counts the ids
	// left out.
	MembersAdded, MembersRemoved []string
	MembersOmitted               int
	// Duration is how long the request took to serve.
	Duration time.Duration
}

// Outcomes of LogRecord.Outcome.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// MaxLoggedMembers bounds LogRecord.MembersAdded and MembersRemoved: a
// PUT or a PATCH that replaces the members of a large group names at
// most this many of each.
const MaxLoggedMembers = 1000

// LogSink receives one LogRecord per SCIM operation (Config.OperationLog).
// LogOperation is called on the request's goroutine once the answer is
// written: it must not block (buffer and return) and must not keep ctx,
// which ends with the request. It never sees a token, password or body.
type LogSink interface {
	LogOperation(ctx context.Context, rec LogRecord)
}

// LogQuery selects records of one tenant's provisioning log. Every empty
// field but Tenant matches anything.
type LogQuery struct {
	// Tenant is required.
	Tenant string
	// ResourceType, when set, keeps the records of that type.
	ResourceType string
	// ResourceID, when set, keeps the records of that resource: a user's
	// history. When ResourceType is "" or "User" it also keeps the
	// group records whose MembersAdded or MembersRemoved hold that id, so
	// a user's history tells when and by which request the user joined or
	// left each group.
	ResourceID string
	// Op and Outcome, when set, keep the records with that Op and
	// Outcome.
	Op      string
	Outcome string
	// Since and Until bound Time: Since <= Time < Until. Zero means
	// unbounded.
	Since, Until time.Time
	// Count is the page size: 0 means DefaultLogCount, and it is at most
	// MaxLogCount.
	Count int
	// Cursor continues from a previous LogPage.Next; "" starts with the
	// newest record.
	Cursor string
}

// Page sizes of LogQuery.Count.
const (
	DefaultLogCount = 50
	MaxLogCount     = 1000
)

// PageSize returns q.Count bounded as LogQuery.Count says.
func (q LogQuery) PageSize() int {
	switch {
	case q.Count <= 0:
		return DefaultLogCount
	case q.Count > MaxLogCount:
		return MaxLogCount
	}
	return q.Count
}

// ErrLogCursor is returned by QueryLog for a LogQuery.Cursor that no
// LogPage.Next gave, and ErrLogTenant for a LogQuery without a Tenant.
var (
	ErrLogCursor = errors.New("scim: invalid provisioning log cursor")
	ErrLogTenant = errors.New("scim: a provisioning log query needs a tenant")
)

// LogPage is one page of a provisioning log query, newest record first.
type LogPage struct {
	Records []LogRecord
	// Next is the LogQuery.Cursor of the following page; "" on the last.
	Next string
}

// LogReader answers queries on the provisioning log a LogSink kept.
// store/memory and store/sqlstore provide both.
type LogReader interface {
	QueryLog(ctx context.Context, q LogQuery) (LogPage, error)
}
