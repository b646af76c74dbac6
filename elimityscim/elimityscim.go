// Package elimityscim mounts a github.com/elimity-com/scim ResourceHandler
// behind a scimkit Server unchanged. The handler then receives what
// identity providers send after scimkit has authenticated the tenant,
// bounded the request, normalised the provider's dialect and validated it
// against the schema; scimkit evaluates filters, runs PATCH, projects
// attributes and answers.
//
//	users, err := elimityscim.Resource(escim.ResourceType{ // escim: github.com/elimity-com/scim
//		Name: "User", Endpoint: "/Users", Schema: eschema.CoreUserSchema(), // eschema: its schema package
//		SchemaExtensions: []escim.SchemaExtension{{Schema: eschema.ExtensionEnterpriseUser()}},
//		Handler: myUsers, // the team's existing escim.ResourceHandler
//	})
//	...
//	srv, err := scim.NewServer(scim.Config{Auth: auth, Resources: []scim.Resource{users, groups}})
//
// How the calls map:
//
//   - Attributes reach the handler as elimity's own validation would
//     pass them: canonical names, integers as int64, decimals as float64,
//     complex values as map[string]interface{}, multi-valued ones as
//     []interface{}, extension attributes in a map under their schema URN,
//     externalId among them, and no readOnly attributes, id, meta or
//     schemas.
//   - Each call gets an *http.Request built for it: the method and path of
//     the operation (PUT /Users/{id} for Replace); startIndex and count in
//     the query of GetAll (whose ListRequestParams have no
//     FilterValidator); excludedAttributes=members when the members are
//     not needed, a hint a handler may use; If-Match on writes that expect
//     a version; no body and no other headers (the bearer token never
//     reaches the handler); and the context of the SCIM request, with the
//     tenant (see Tenant) and whatever the host's middleware put there.
//   - The Resource a handler returns becomes the document: ID is id,
//     Meta.Created, Meta.LastModified and Meta.Version are meta.created,
//     meta.lastModified and meta.version, ExternalID (when present) is
//     externalId, and readOnly values the handler computes, such as a
//     user's groups, are kept. Attribute names are matched
//     case-insensitively against the schema and any Go value that encodes
//     to JSON is accepted; attributes the schema does not define are
//     dropped, and so are null, "" and empty lists, which SCIM treats as
//     unassigned. A core Group read with its members lists them, even
//     none ("members": [], which Entra expects after a create).
//   - List: a request without a filter goes to GetAll as it is. With a
//     filter, the adapter pages through GetAll without one and keeps what
//     scimkit's filter.Match accepts, so every filter identity providers
//     send (emails[type eq "work"].value, extension attributes, manager)
//     is answered exactly. Passing the filter on would not be: elimity
//     handlers need not apply it, and elimity's Validator.PassesFilter,
//     which they usually call, misses emails.value and extension
//     attributes and panics on ordinary data. The cost: a filtered list
//     reads every resource of the type, so the lookup Entra makes per user
//     and cycle is a scan of the handler's data. A host whose handler can
//     do better wraps the scim.ResourceHandler that Handler returns and
//     serves List itself (for Groups, forwarding PatchMembers too).
//   - PATCH is run by scimkit (read with Get, apply, write with Replace),
//     not by the handler's Patch: scimkit's engine knows every path form
//     identity providers send, which handlers written against
//     filter-parser paths rarely do. The exception is member changes of
//     the core Group type: the adapter hands them to Patch as deltas
//     ("add" members [...], "remove" members[value eq "x"], "replace"
//     members [...], "remove" members, "remove" members[filter]), after a
//     "replace" or "remove" per group attribute the PATCH changes, in one
//     call, so concurrent member changes are never lost to a
//     read-modify-write of the whole list and a change costs the same in a
//     group of any size. Such a PATCH answers 204 No Content, as identity
//     providers expect.
//   - Errors: an elimity errors.ScimError (value or pointer, possibly
//     wrapped) with status 404 is scim.ErrNotFound, 412 is
//     scim.ErrVersionMismatch, any other 4xx keeps its status, scimType
//     and detail (the handler wrote those for clients, as elimity's server
//     shows them), 501 and 503 keep their status with a generic detail;
//     everything else is a 500 whose cause is logged and never shown.
//   - Versions: elimity's Replace, Patch and Delete take no expected
//     version. When scimkit expects one, the adapter sends it as If-Match,
//     reads the resource and refuses with scim.ErrVersionMismatch if its
//     meta.version differs, and holds a lock per resource over the read
//     and the write, so that writes through one process never overwrite
//     each other. Across processes only a handler that honours If-Match
//     (answering 412) closes the gap. A handler that keeps no Meta.Version
//     gets no version checks at all.
package elimityscim

import (
	"encoding/json"
	"errors"
	"fmt"

	escim "github.com/elimity-com/scim"
	eschema "github.com/elimity-com/scim/schema"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// Resource converts an elimity resource type, its schemas and its
// handler, into a scimkit Resource for scim.Config.Resources: the
// ResourceType of rt served by Handler over rt.Handler.
func Resource(rt escim.ResourceType) (scim.Resource, error) {
	if rt.Handler == nil {
		return scim.Resource{}, fmt.Errorf("elimityscim: resource type %q has no Handler", rt.Name)
	}
	t, err := ResourceType(rt)
	if err != nil {
		return scim.Resource{}, err
	}
	return scim.Resource{Type: t, Handler: Handler(t, rt.Handler)}, nil
}

// ResourceType converts an elimity resource type's name, endpoint,
// description, schema and schema extensions (through their RFC 7643 JSON
// form, as schema.Parse reads it). rt.Handler is not used. The id is
// rt.ID, or rt.Name when rt.ID is absent.
func ResourceType(rt escim.ResourceType) (*schema.ResourceType, error) {
	core, err := convertSchema(rt.Schema)
	if err != nil {
		return nil, fmt.Errorf("elimityscim: resource type %q: %w", rt.Name, err)
	}
	out := &schema.ResourceType{
		ID:          rt.Name,
		Name:        rt.Name,
		Endpoint:    rt.Endpoint,
		Description: rt.Description.Value(),
		Schema:      core,
	}
	if rt.ID.Present() {
		out.ID = rt.ID.Value()
	}
	for _, e := range rt.SchemaExtensions {
		s, err := convertSchema(e.Schema)
		if err != nil {
			return nil, fmt.Errorf("elimityscim: resource type %q: extension: %w", rt.Name, err)
		}
		out.Extensions = append(out.Extensions, schema.Extension{Schema: s, Required: e.Required})
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("elimityscim: %w", err)
	}
	return out, nil
}

func convertSchema(s eschema.Schema) (*schema.Schema, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	ss, err := schema.Parse(b)
	if err != nil {
		return nil, err
	}
	if len(ss) != 1 {
		return nil, errors.New("schema " + s.ID + " is not one schema")
	}
	return ss[0], nil
}
