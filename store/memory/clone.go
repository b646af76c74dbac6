package memory

import (
	"slices"

	"github.com/scimkit/scim"
)

// cloneUserInto makes *dst a deep copy of *src, sharing no pointer or
// slice backing array, so that neither callers nor the store can change
// the other's data. TestCloneUserDeep fails when a new reference field is
// added to scim.User without being copied here.
func cloneUserInto(dst, src *scim.User) {
	*dst = *src
	if src.Name != nil {
		n := *src.Name
		dst.Name = &n
	}
	if src.Active != nil {
		a := *src.Active
		dst.Active = &a
	}
	dst.Emails = cloneSlice(src.Emails)
	dst.PhoneNumbers = cloneSlice(src.PhoneNumbers)
	dst.IMs = cloneSlice(src.IMs)
	dst.Photos = cloneSlice(src.Photos)
	dst.Addresses = cloneSlice(src.Addresses)
	dst.Entitlements = cloneSlice(src.Entitlements)
	dst.Roles = cloneSlice(src.Roles)
	dst.X509Certificates = cloneSlice(src.X509Certificates)
	if src.Enterprise != nil {
		e := *src.Enterprise
		if e.Manager != nil {
			m := *e.Manager
			e.Manager = &m
		}
		dst.Enterprise = &e
	}
	dst.Groups = cloneSlice(src.Groups)
}

// cloneSlice copies a slice of plain values, keeping nil as nil.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return slices.Clone(s)
}
