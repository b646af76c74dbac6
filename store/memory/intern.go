package memory

import (
	"unique"

	"github.com/scimkit/scim"
)

// maxIntern bounds the strings worth interning: shared values are short.
const maxIntern = 64

// intern returns the canonical copy of s. Many users share values such as
// an email type, a city, a department or a manager's id; at a million
// users one copy of each instead of one per user is a large part of the
// store's footprint.
func intern(s string) string {
	if s == "" || len(s) > maxIntern {
		return s
	}
	return unique.Make(s).Value()
}

// internUser interns the attributes of u that users commonly share. Values
// that are unique per user (id, userName, externalId, emails) are left
// alone: interning them would only add a table entry each.
func internUser(u *scim.User) {
	for _, p := range []*string{&u.Title, &u.UserType, &u.PreferredLanguage, &u.Locale, &u.Timezone} {
		*p = intern(*p)
	}
	if n := u.Name; n != nil {
		n.GivenName = intern(n.GivenName)
		n.MiddleName = intern(n.MiddleName)
		n.HonorificPrefix = intern(n.HonorificPrefix)
		n.HonorificSuffix = intern(n.HonorificSuffix)
	}
	for _, list := range [][]scim.MultiValue{u.Emails, u.PhoneNumbers, u.IMs, u.Photos, u.Entitlements, u.Roles, u.X509Certificates} {
		for i := range list {
			list[i].Type = intern(list[i].Type)
		}
	}
	for i := range u.Roles {
		u.Roles[i].Value = intern(u.Roles[i].Value)
	}
	for i := range u.Entitlements {
		u.Entitlements[i].Value = intern(u.Entitlements[i].Value)
	}
	for i := range u.Addresses {
		a := &u.Addresses[i]
		for _, p := range []*string{&a.Type, &a.Country, &a.Region, &a.Locality, &a.PostalCode, &a.StreetAddress, &a.Formatted} {
			*p = intern(*p)
		}
	}
	if e := u.Enterprise; e != nil {
		for _, p := range []*string{&e.CostCenter, &e.Organization, &e.Division, &e.Department} {
			*p = intern(*p)
		}
		if m := e.Manager; m != nil {
			m.Value = intern(m.Value)
			m.Ref = intern(m.Ref)
			m.DisplayName = intern(m.DisplayName)
		}
	}
}
