package scim

import (
	"context"

	"github.com/scimkit/scim/schema"
)

// ResourceHandler serves one resource type for the Server: Users and
// Groups (UserHandler and GroupHandler adapt a typed Store; a host may
// register its own in Config.Resources instead) or any type a host adds.
// Documents are resources in their JSON form: maps keyed by canonical
// attribute names, numbers as json.Number, extension attributes in an
// object under their schema URN.
//
// Who does what. The Server authenticates the tenant, bounds and parses
// requests, normalises request bodies (identity providers' dialects) and
// validates them against the resource type's schema (types, required
// attributes, mutability, canonical values) before any handler call. It
// runs PATCH itself: it reads the resource with Get, applies the
// operations and writes the result with Replace, retrying when another
// write won the race (writes of one resource through one Server take
// turns), unless the handler implements MemberPatcher. It fills schemas,
// meta.resourceType, meta.location and the $ref of references, projects
// attributes and writes responses. The handler assigns ids; keeps
// meta.created, meta.lastModified and meta.version (a version that changes
// on every write, which the Server compares for optimistic concurrency
// and If-Match, and shows as a weak entity-tag, W/"<version>", unless it
// already is one);
// enforces uniqueness (ErrConflict) and references (ErrInvalidMember); and
// evaluates filters (filter.Match evaluates one on a document).
//
// Documents. A handler may keep the documents the Server hands it. Those
// it returns are the Server's to add to (schemas, meta.location, $ref):
// return copies, never the maps the handler keeps. After a PATCH, Replace
// gets the document Get returned, changed: its id, meta and readOnly
// attributes (a user's groups) are the handler's to ignore.
//
// Errors: return ErrNotFound, ErrConflict, ErrVersionMismatch,
// ErrInvalidMember or an *Error; anything else becomes a 500 whose detail
// reveals nothing (the cause is logged).
type ResourceHandler interface {
	// Create stores a new resource and returns it with its id and meta.
	Create(ctx context.Context, tenant string, doc map[string]any) (map[string]any, error)
	// Get returns one resource, or ErrNotFound.
	Get(ctx context.Context, tenant, id string, opts GetOptions) (map[string]any, error)
	// Replace replaces every writable attribute of the resource with
	// those of doc and returns the result. When ifVersion is not empty and
	// differs from the stored version it returns ErrVersionMismatch and
	// changes nothing.
	Replace(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (map[string]any, error)
	// Delete deletes a resource; ErrNotFound when absent, ifVersion as
	// for Replace.
	Delete(ctx context.Context, tenant, id, ifVersion string) error
	// List returns the resources matching q.
	List(ctx context.Context, tenant string, q Query) (*Page[map[string]any], error)
}

// MemberPatcher is an optional ResourceHandler ability, for resources with
// a members attribute that may be large (groups): the Server applies the
// PATCH operations on the other attributes itself and hands over member
// changes as deltas, so that concurrent changes to different members
// never overwrite each other and a change costs the same in a group of ten
// as in one of a hundred thousand. GroupHandler implements it.
type MemberPatcher interface {
	// PatchMembers applies, atomically and in this order, doc (the new
	// attributes other than members, validated; nil when they do not
	// change) and ops. ifVersion as for ResourceHandler.Replace. It
	// returns the resource, or nil to answer 204 No Content.
	PatchMembers(ctx context.Context, tenant, id string, doc map[string]any, ops []MemberOp, ifVersion string) (map[string]any, error)
}

// UserSource is an optional ResourceHandler ability for User resources:
// handing out typed users, which the Server writes straight from the
// struct when no attributes or excludedAttributes parameter asks for
// another shape. That is several times faster than the JSON-form path on
// the lookups identity providers send every cycle. UserHandler implements
// it; the results must be those of Get and List.
type UserSource interface {
	GetUser(ctx context.Context, tenant, id string) (*User, error)
	ListUsers(ctx context.Context, tenant string, q Query) (*Page[*User], error)
}

// Resource is a resource type served by a ResourceHandler.
type Resource struct {
	Type    *schema.ResourceType
	Handler ResourceHandler

	// recorded: the handler's writes record their own events (a built-in
	// handler over a Store that is an Outbox); the Server publishes the
	// others' in-process.
	recorded bool
	// plainExts: the host extensions a typed user is written with straight
	// from the struct (see plainExtensions); fastExts: every host
	// extension is among them.
	plainExts []string
	fastExts  bool
}
