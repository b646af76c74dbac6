package scim

import "context"

// WriteOp names a write a BeforeWrite hook is asked about.
type WriteOp string

// The writes of RFC 7644 section 3.
const (
	OpCreate  WriteOp = "create"
	OpReplace WriteOp = "replace"
	OpPatch   WriteOp = "patch"
	OpDelete  WriteOp = "delete"
)

// Write describes a write the Server is about to make, for a
// Config.BeforeWrite hook. Documents are in their JSON form, normalised
// and validated; the hook must not change them.
type Write struct {
	Op           WriteOp
	Tenant       string
	ResourceType string // e.g. "User", "Group"
	// ID is the resource's id; empty on create.
	ID string
	// Old is the resource as stored; nil on create. For a group PATCH it
	// is read without members.
	Old map[string]any
	// New is the resource as it will be stored; nil on delete. For a group
	// PATCH it holds the attributes other than members, and is nil when
	// only members change.
	New map[string]any
	// Members are a group PATCH's member changes, as the store receives
	// them.
	Members []MemberOp
}

// beforeWrite runs the Config.BeforeWrite hook, if any.
func (q *request) beforeWrite(ctx context.Context, w Write) error {
	if q.s.cfg.BeforeWrite == nil {
		return nil
	}
	w.Tenant = q.tenant
	return q.s.cfg.BeforeWrite(ctx, w)
}
