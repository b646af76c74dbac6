package sqlstore

import (
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/jsonx"
	"github.com/scimkit/scim/schema"
)

// readUser decodes a stored user document straight into a User, without
// the map of decodeUser's parse: the read behind every GET and lookup. It
// takes what encodeUser writes (known keys, each once; strings, booleans,
// objects and lists; an empty meta) and reports false for anything else
// (a null, a number, an unknown or repeated key, a host extension, a
// document that is not well formed), which decodeUser then reads.
// FuzzReadUser holds the two to the same users.
func readUser(doc []byte) (*scim.User, bool) {
	d := userReader{b: doc}
	u := new(scim.User)
	if !d.user(u) {
		return nil, false
	}
	d.ws()
	return u, d.i == len(d.b)
}

// userReader is readUser's position in the document.
type userReader struct {
	b []byte
	i int
}

func (d *userReader) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips whitespace and reports whether the next byte is c, taking
// it if so.
func (d *userReader) next(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *userReader) str(dst *string) bool {
	d.ws()
	s, n, err := jsonx.ParseString(d.b[d.i:], jsonx.Options{})
	if err != nil {
		return false
	}
	*dst, d.i = s, d.i+n
	return true
}

func (d *userReader) truth(dst *bool) bool {
	d.ws()
	switch {
	case len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "true":
		*dst, d.i = true, d.i+4
	case len(d.b)-d.i >= 5 && string(d.b[d.i:d.i+5]) == "false":
		*dst, d.i = false, d.i+5
	default:
		return false
	}
	return true
}

// object reads an object, calling member for each key with the key's
// index in keys, after its colon; member reads the value. A key not in
// keys, or one seen before, fails.
func (d *userReader) object(keys []string, member func(int) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	var seen uint64
	for {
		var k string
		if !d.str(&k) || !d.next(':') {
			return false
		}
		i := indexOf(keys, k)
		if i < 0 || seen&(1<<i) != 0 || !member(i) {
			return false
		}
		seen |= 1 << i
		if d.next('}') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

func indexOf(keys []string, k string) int {
	for i, key := range keys {
		if key == k {
			return i
		}
	}
	return -1
}

// list reads a list of objects into a new slice (empty, not nil, for []),
// elem reading each into its place.
func list[T any](d *userReader, elem func(*T) bool) ([]T, bool) {
	if !d.next('[') {
		return nil, false
	}
	out := []T{}
	if d.next(']') {
		return out, true
	}
	for {
		out = append(out, *new(T))
		if !elem(&out[len(out)-1]) {
			return nil, false
		}
		if d.next(']') {
			return out, true
		}
		if !d.next(',') {
			return nil, false
		}
	}
}

// The keys of each object, in the order of the fields they fill.
var (
	userKeys = []string{"id", "externalId", "userName", "displayName", "nickName", "profileUrl", "title", "userType",
		"preferredLanguage", "locale", "timezone", "name", "active", "emails", "phoneNumbers", "ims", "photos",
		"addresses", "entitlements", "roles", "x509Certificates", schema.EnterpriseUserURN, "meta"}
	nameKeys       = []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}
	multiKeys      = []string{"value", "display", "type", "primary"}
	addressKeys    = []string{"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"}
	enterpriseKeys = []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}
	managerKeys    = []string{"value", "$ref", "displayName"}
)

func (d *userReader) user(u *scim.User) bool {
	strs := []*string{&u.ID, &u.ExternalID, &u.UserName, &u.DisplayName, &u.NickName, &u.ProfileURL, &u.Title,
		&u.UserType, &u.PreferredLanguage, &u.Locale, &u.Timezone}
	return d.object(userKeys, func(i int) bool {
		if i < len(strs) {
			return d.str(strs[i])
		}
		var ok bool
		switch k := userKeys[i]; k {
		case "name":
			u.Name = new(scim.Name)
			n := u.Name
			ok = d.object(nameKeys, func(i int) bool {
				return d.str([]*string{&n.Formatted, &n.FamilyName, &n.GivenName, &n.MiddleName, &n.HonorificPrefix, &n.HonorificSuffix}[i])
			})
		case "active":
			u.Active = new(bool)
			ok = d.truth(u.Active)
		case "addresses":
			u.Addresses, ok = list(d, func(a *scim.Address) bool {
				return d.object(addressKeys, func(i int) bool {
					if i == 7 {
						return d.truth(&a.Primary)
					}
					return d.str([]*string{&a.Formatted, &a.StreetAddress, &a.Locality, &a.Region, &a.PostalCode, &a.Country, &a.Type}[i])
				})
			})
		case schema.EnterpriseUserURN:
			u.Enterprise = new(scim.EnterpriseUser)
			ok = d.enterprise(u.Enterprise)
		case "meta":
			ok = d.object(nil, nil) // encodeUser leaves it empty
		default:
			*multiField(u, k), ok = list(d, func(mv *scim.MultiValue) bool {
				return d.object(multiKeys, func(i int) bool {
					if i == 3 {
						return d.truth(&mv.Primary)
					}
					return d.str([]*string{&mv.Value, &mv.Display, &mv.Type}[i])
				})
			})
		}
		return ok
	})
}

func (d *userReader) enterprise(e *scim.EnterpriseUser) bool {
	return d.object(enterpriseKeys, func(i int) bool {
		if i < 5 {
			return d.str([]*string{&e.EmployeeNumber, &e.CostCenter, &e.Organization, &e.Division, &e.Department}[i])
		}
		e.Manager = new(scim.Manager)
		m := e.Manager
		return d.object(managerKeys, func(i int) bool {
			return d.str([]*string{&m.Value, &m.Ref, &m.DisplayName}[i])
		})
	})
}

// multiField is u's list of the multi-valued attribute k.
func multiField(u *scim.User, k string) *[]scim.MultiValue {
	switch k {
	case "emails":
		return &u.Emails
	case "phoneNumbers":
		return &u.PhoneNumbers
	case "ims":
		return &u.IMs
	case "photos":
		return &u.Photos
	case "entitlements":
		return &u.Entitlements
	case "roles":
		return &u.Roles
	}
	return &u.X509Certificates
}
