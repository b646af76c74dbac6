package scim

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scimkit/scim/schema"
)

// Indexer is an optional ability of a Store: indexing the attributes of
// registered extensions that the schema marks Indexed (an employeeId an
// identity provider matches users on), so that eq filters on them are
// answered from an index, and keeping those with uniqueness "server" or
// "global" unique per tenant.
//
// NewServer calls IndexAttributes once, before serving, when a registered
// extension has such attributes; a store that does not implement Indexer
// then makes NewServer fail, since uniqueness it cannot keep would be a
// silent lie. store/memory and store/sqlstore implement it.
type Indexer interface {
	// IndexAttributes tells the store which extension attributes to index.
	// Calling it again with the same list is a no-op; a store may refuse a
	// different list once it holds data indexed by the first (return an
	// error saying so). A unique attribute's value, compared as
	// IndexedAttribute.CaseExact says, is held by at most one resource of its
	// type per tenant: a create or replace that would break that returns
	// ErrConflict and changes nothing.
	IndexAttributes(attrs []IndexedAttribute) error
}

// IndexedAttribute is one single-valued extension attribute of type
// string, reference or integer that a store indexes.
type IndexedAttribute struct {
	// ResourceType is "User" or "Group".
	ResourceType string
	// Schema is the extension's URN; Name the attribute's canonical name.
	Schema, Name string
	// Unique is set for uniqueness "server" or "global".
	Unique bool
	// CaseExact is the attribute's caseExact: when false, values are
	// compared by their case fold (filter.Fold).
	CaseExact bool
}

// Path returns the attribute's fully qualified path, "urn:...:name".
func (a IndexedAttribute) Path() string { return a.Schema + ":" + a.Name }

// Value returns the attribute's value in the JSON-form extensions e, and
// whether it has one. Strings are returned as they are (fold them with
// filter.Fold when CaseExact is false); integers in their decimal form.
func (a IndexedAttribute) Value(e Extensions) (string, bool) {
	m := e.lookup(a.Schema)
	switch v := m[a.Name].(type) {
	case string:
		return v, v != ""
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// indexedAttributes returns the attributes of rt's registered extensions
// that a store must index, or an error naming one that cannot be.
func indexedAttributes(rt *schema.ResourceType) ([]IndexedAttribute, error) {
	var out []IndexedAttribute
	for _, e := range rt.Extensions {
		if e.Schema == nil || e.Schema.ID == schema.EnterpriseUserURN {
			continue
		}
		for _, a := range e.Schema.Attributes {
			if !a.IsIndexed() {
				continue
			}
			unique := a.Uniqueness == schema.UniquenessServer || a.Uniqueness == schema.UniquenessGlobal
			t := cmp.Or(a.Type, schema.String)
			if a.MultiValued || !(t == schema.String || t == schema.Reference || t == schema.Integer) {
				return nil, fmt.Errorf("scim: attribute %s:%s cannot be indexed or unique: only single-valued string, reference and integer attributes can", e.Schema.ID, a.Name)
			}
			out = append(out, IndexedAttribute{ResourceType: rt.Name, Schema: e.Schema.ID, Name: a.Name, Unique: unique, CaseExact: a.CaseExact})
		}
	}
	return out, nil
}

// useIndexes hands the attributes of the built-in resource types' host
// extensions that need an index to the store.
func useIndexes(store Store, types ...*schema.ResourceType) error {
	var all []IndexedAttribute
	for _, rt := range types {
		attrs, err := indexedAttributes(rt)
		if err != nil {
			return err
		}
		all = append(all, attrs...)
	}
	if len(all) == 0 {
		return nil
	}
	ix, ok := store.(Indexer)
	if !ok {
		return errors.New("scim: a registered extension has Indexed or unique attributes (" + all[0].Path() + "), and Config.Store does not implement scim.Indexer to keep them; use store/memory or store/sqlstore, or implement Indexer")
	}
	if err := ix.IndexAttributes(all); err != nil {
		return fmt.Errorf("scim: indexing extension attributes: %w", err)
	}
	return nil
}
