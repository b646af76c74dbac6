package scim

import (
	"cmp"
	"context"
	"errors"

	"github.com/scimkit/scim/filter"
)

// Errors a Store or ResourceHandler returns. The server maps each to its
// SCIM error in one place; a store never writes HTTP. Wrap them with
// fmt.Errorf("...: %w") to add context; the server matches with errors.Is
// and never shows the wrapped text to clients.
var (
	// ErrNotFound: no resource with that id in that tenant.
	ErrNotFound = errors.New("scim: resource not found")
	// ErrConflict: a uniqueness constraint (userName, compared by FoldUserName,
	// or an extension attribute with uniqueness server or global) would be
	// violated.
	ErrConflict = errors.New("scim: uniqueness conflict")
	// ErrVersionMismatch: the resource's current version is not the one the
	// caller expected.
	ErrVersionMismatch = errors.New("scim: version mismatch")
	// ErrInvalidMember: a member id does not name a user of the tenant.
	ErrInvalidMember = errors.New("scim: member is not a user of this tenant")
	// ErrUnavailable: the store cannot serve the call for a reason outside
	// the request, which the same request may not meet later: a full disk,
	// a read-only database or file system, an I/O error. Nothing was
	// written. The server answers 503 with a Retry-After header and a
	// generic detail, and logs the wrapped cause.
	ErrUnavailable = errors.New("scim: store unavailable")
)

// Query selects, orders and pages resources for a List call.
type Query struct {
	// Filter is the resolved filter, or nil for all resources. Stores may
	// evaluate it with filter.Match or compile it for their own engine; the
	// result must be exactly the resources that filter.Match accepts.
	Filter filter.Expr
	// StartIndex is 1-based (RFC 7644 section 3.4.2.4); values below 1 mean 1.
	StartIndex int
	// Count is the maximum number of resources to return; 0 returns none
	// (TotalResults is still exact). The server caps it before calling.
	Count int
	// ExcludeMembers asks a group store not to read members; the returned
	// groups have nil Members. Ignored for users.
	ExcludeMembers bool
	// SortBy, when it names an attribute (SortBy.Resolved.Attr is set),
	// orders the matches before paging (RFC 7644 section 3.4.2.3): by the
	// order SortKey.Compare defines on UserSortKey, GroupSortKey or
	// SortKeyOf, ties broken by creation order. The server resolves it
	// against the resource type; a multi-valued or complex attribute
	// always comes with its sub-attribute ("emails.value"). When it is
	// zero, the order is the store's stable default (creation order).
	SortBy filter.AttrPath
	// Descending reverses the whole order, ties included, so that missing
	// values come first (sortOrder=descending).
	Descending bool
	// After, when not nil, asks for keyset paging (a cursor page, RFC
	// 9865): only the matches strictly after After in the order above,
	// at most Count of them; StartIndex is ignored. A resource that
	// existed before and after the call is never skipped or repeated by
	// a walk of such pages, whatever is created and deleted between them.
	// TotalResults still counts every match. A store that pages by
	// keyset sets Page.Last; one that does not must leave it nil.
	After *Position
	// Keyset marks every page of a cursor walk, the first (After nil,
	// from the first match) included: a store may then read the page by
	// keyset and must set Page.Last if it supports After.
	Keyset bool
}

// Position is a place in a list's order, for keyset paging: the sort key
// of a resource under Query.SortBy (zero when unsorted) and its creation
// sequence in the store, which breaks ties. Seq must be unique per tenant
// and resource type and grow with creation order.
type Position struct {
	Key SortKey
	Seq int64
}

// Compare orders positions ascending, as Query.SortBy does: by Key, then
// by Seq. Negate it for Query.Descending.
func (p Position) Compare(o Position) int {
	if c := p.Key.Compare(o.Key); c != 0 {
		return c
	}
	return cmp.Compare(p.Seq, o.Seq)
}

// Sorted reports whether q asks for an order by attribute.
func (q Query) Sorted() bool { return q.SortBy.Resolved.Attr != nil }

// Page is one page of a List result: of typed resources from a Store
// (Page[*User], Page[*Group]) or of documents from a ResourceHandler
// (Page[map[string]any]).
type Page[T any] struct {
	// Resources are the matching resources from StartIndex, at most Count,
	// in the order Query.SortBy asks for, else in a stable order (creation
	// order unless the store documents another).
	Resources []T
	// TotalResults is the exact number of matching resources.
	TotalResults int
	// Last is the Position of the last of Resources, set by a store that
	// supports Query.After (both bundled stores do); nil otherwise, and
	// when Resources is empty. The server turns it into nextCursor.
	Last *Position
}

// GetOptions tunes a single-resource read.
type GetOptions struct {
	// ExcludeMembers asks a group store not to read members.
	ExcludeMembers bool
}

// MemberOpKind says what a MemberOp does.
type MemberOpKind int

// Member operation kinds.
const (
	// AddMembers adds Members; members already present are kept (their
	// display and type are updated). Adding a present member is a no-op.
	AddMembers MemberOpKind = iota + 1
	// RemoveMembers removes the members whose values are in Members.
	// Removing an absent member is a no-op.
	RemoveMembers
	// RemoveMatchingMembers removes the members that Filter matches; the
	// filter is resolved against the Group members sub-attributes and
	// evaluated on each member's JSON form ({"value":..,"display":..,"type":..}).
	RemoveMatchingMembers
	// ReplaceMembers makes Members the whole member list.
	ReplaceMembers
	// RemoveAllMembers empties the group.
	RemoveAllMembers
)

// MemberOp is one change to a group's members, expressed as a delta so
// that concurrent changes to other members are never lost.
type MemberOp struct {
	Kind    MemberOpKind
	Members []Member
	Filter  filter.Expr
}

// GroupPatch is a PATCH to a group after the server has validated it: new
// attribute values (when Attributes is non-nil) and member deltas, to be
// applied in order and atomically.
type GroupPatch struct {
	// Attributes, when non-nil, holds the group's new displayName,
	// externalId and Extensions. Its ID, Members and Meta are ignored.
	Attributes *Group
	// MemberOps are applied in order after Attributes.
	MemberOps []MemberOp
}

// UserStore keeps users. Every method is scoped to a tenant: a resource of
// another tenant is indistinguishable from a missing one. Implementations
// must be safe for concurrent use.
type UserStore interface {
	// CreateUser stores a new user and returns it as stored, with ID and
	// Meta (Created, LastModified, Version) assigned by the store; the ID
	// and Meta of u are ignored. It returns ErrConflict when another user
	// of the tenant has the same userName, compared by FoldUserName.
	CreateUser(ctx context.Context, tenant string, u *User) (*User, error)
	// GetUser returns the user with Groups filled, or ErrNotFound.
	GetUser(ctx context.Context, tenant, id string) (*User, error)
	// ReplaceUser replaces every writable attribute of the user u.ID with
	// those of u, bumps its version and returns it as stored. When
	// ifVersion is not empty and differs from the stored version it
	// returns ErrVersionMismatch and changes nothing. ErrNotFound and
	// ErrConflict as for GetUser and CreateUser.
	ReplaceUser(ctx context.Context, tenant string, u *User, ifVersion string) (*User, error)
	// DeleteUser deletes the user and, in the same transaction, its group
	// memberships (bumping those groups' versions). ErrNotFound when absent;
	// ErrVersionMismatch as for ReplaceUser.
	DeleteUser(ctx context.Context, tenant, id, ifVersion string) error
	// ListUsers returns the users matching q.Filter, paged by q, with
	// Groups filled as GetUser fills them: the server writes listed users
	// as they are, and a filter on groups must see them.
	ListUsers(ctx context.Context, tenant string, q Query) (*Page[*User], error)
}

// GroupStore keeps groups and their members. Same tenancy and concurrency
// rules as UserStore. Member values must name users of the same tenant;
// otherwise the write fails with ErrInvalidMember and changes nothing.
type GroupStore interface {
	// CreateGroup stores a new group with its members and returns it. A
	// member value listed twice is one member (the last display and type
	// win), here and in ReplaceGroup and AddMembers.
	CreateGroup(ctx context.Context, tenant string, g *Group) (*Group, error)
	// GetGroup returns the group, or ErrNotFound. With opts.ExcludeMembers
	// the members are not read and Members is nil.
	GetGroup(ctx context.Context, tenant, id string, opts GetOptions) (*Group, error)
	// ReplaceGroup replaces the group's attributes and its whole member
	// list; ifVersion as for ReplaceUser.
	ReplaceGroup(ctx context.Context, tenant string, g *Group, ifVersion string) (*Group, error)
	// PatchGroup applies p atomically: either every change lands or none
	// does. It bumps the version once and returns the group without
	// members. ifVersion as for ReplaceUser.
	PatchGroup(ctx context.Context, tenant, id string, p GroupPatch, ifVersion string) (*Group, error)
	// DeleteGroup deletes the group and its memberships; ErrNotFound when
	// absent; ifVersion as for ReplaceUser.
	DeleteGroup(ctx context.Context, tenant, id, ifVersion string) error
	// ListGroups returns the groups matching q.Filter, paged by q.
	ListGroups(ctx context.Context, tenant string, q Query) (*Page[*Group], error)
}

// Store is what a host implements (or takes from store/memory or
// store/sqlstore) to keep users and groups. The contract suite in
// store/storetest checks every rule stated on these methods.
type Store interface {
	UserStore
	GroupStore
}
