package scim

import (
	"context"

	"github.com/scimkit/scim/schema"
)

// ResourceHandler serves one resource type for the Server. Documents are
// resources in their JSON form: maps keyed by canonical attribute names,
// with extension attributes under their schema URN. The Server has already
// authenticated the tenant, bounded and parsed the request and normalised
// request bodies against the resource type's schema; it adds meta.location
// and meta.resourceType, projects attributes and writes the response.
//
// Errors: return ErrNotFound, ErrConflict, ErrVersionMismatch or an *Error;
// anything else becomes a 500 whose detail reveals nothing.
type ResourceHandler interface {
	// Create stores a new resource and returns it with its id.
	Create(ctx context.Context, tenant string, doc map[string]any) (map[string]any, error)
	// Get returns one resource.
	Get(ctx context.Context, tenant, id string, opts GetOptions) (map[string]any, error)
	// Replace replaces a resource (PUT). ifVersion, when not empty, is the
	// version the client expects the resource to have.
	Replace(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (map[string]any, error)
	// Patch applies PATCH operations atomically. A nil document answers
	// 204 No Content.
	Patch(ctx context.Context, tenant, id string, ops []PatchOp, ifVersion string) (map[string]any, error)
	// Delete deletes a resource.
	Delete(ctx context.Context, tenant, id, ifVersion string) error
	// List returns the resources matching q.
	List(ctx context.Context, tenant string, q Query) (*ListResult, error)
}

// ListResult is one page of documents returned by ResourceHandler.List.
type ListResult struct {
	Resources    []map[string]any
	TotalResults int
}

// Resource is a resource type served by a ResourceHandler.
type Resource struct {
	Type    *schema.ResourceType
	Handler ResourceHandler
}
