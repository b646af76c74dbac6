package scim

import (
	"slices"
	"strconv"
	"time"

	"github.com/scimkit/scim/schema"
)

// The built-in User resource is read far more often than anything else
// (every provisioning cycle looks each user up by userName), so a user
// with no attribute projection is written straight from the typed model
// rather than through its JSON-form map. The bytes are exactly those of
// the general path (UserDoc, decorate, projection, appendJSON: same keys,
// same order); TestAppendUserMatchesDocPath holds the two together.

// userOut is a user to be written as it is returned by default, with
// meta.location and group $refs under base.
type userOut struct {
	u    *User
	base string
	// exts are the URNs of the host extensions to write, those of the
	// resource type (in its order), all of whose attributes are returned
	// by default (see plainExtensions).
	exts []string
}

// jsonField writes object members in order, with the commas between them.
type jsonField struct {
	b     []byte
	first bool
}

func (f *jsonField) key(k string) {
	if f.first {
		f.first = false
	} else {
		f.b = append(f.b, ',')
	}
	f.b = append(f.b, '"')
	f.b = append(f.b, k...) // keys are constants that need no escaping
	f.b = append(f.b, '"', ':')
}

func (f *jsonField) str(k, v string) {
	if v != "" {
		f.key(k)
		f.b = appendString(f.b, v)
	}
}

func (f *jsonField) truth(k string, v bool) {
	if v {
		f.key(k)
		f.b = append(f.b, "true"...)
	}
}

func (f *jsonField) time(k string, t time.Time) {
	if !t.IsZero() {
		f.key(k)
		f.b = append(f.b, '"')
		f.b = t.AppendFormat(f.b, time.RFC3339Nano)
		f.b = append(f.b, '"')
	}
}

func (f *jsonField) open(k string) {
	f.key(k)
	f.b = append(f.b, '{')
	f.first = true
}

func (f *jsonField) close() {
	f.b = append(f.b, '}')
	f.first = false
}

func (f *jsonField) multi(k string, list []MultiValue) {
	if len(list) == 0 {
		return
	}
	f.key(k)
	f.b = append(f.b, '[')
	for i, v := range list {
		if i > 0 {
			f.b = append(f.b, ',')
		}
		f.b = append(f.b, '{')
		f.first = true
		f.str("display", v.Display)
		f.truth("primary", v.Primary)
		f.str("type", v.Type)
		f.str("value", v.Value)
		f.b = append(f.b, '}')
	}
	f.b = append(f.b, ']')
	f.first = false
}

// appendUser appends u as GET returns it with no attributes or
// excludedAttributes parameter, with its host extensions named in exts
// (see userOut; the caller checks that they sort between "title" and
// "userName"). Keys are in appendObject's order: schemas, id, externalId,
// the rest sorted bytewise, meta; nested objects sorted.
func appendUser(b []byte, u *User, base string, exts []string) []byte {
	f := jsonField{b: b, first: true}
	f.b = append(f.b, '{')
	f.key("schemas")
	f.b = append(f.b, `["`+schema.UserURN+`"`...)
	if u.Enterprise != nil {
		f.b = append(f.b, `,"`+schema.EnterpriseUserURN+`"`...)
	}
	var urnBuf [4]string
	urns := urnBuf[:0] // the URN keys written, sorted
	for _, urn := range exts {
		if len(u.Extensions[urn]) > 0 {
			f.b = append(f.b, ',')
			f.b = appendString(f.b, urn)
			urns = append(urns, urn)
		}
	}
	f.b = append(f.b, ']')
	if u.Enterprise != nil {
		urns = append(urns, schema.EnterpriseUserURN)
	}
	slices.Sort(urns)
	f.str("id", u.ID)
	f.str("externalId", u.ExternalID)
	if u.Active != nil {
		f.key("active")
		f.b = strconv.AppendBool(f.b, *u.Active)
	}
	if len(u.Addresses) > 0 {
		f.key("addresses")
		f.b = append(f.b, '[')
		for i, a := range u.Addresses {
			if i > 0 {
				f.b = append(f.b, ',')
			}
			f.b = append(f.b, '{')
			f.first = true
			f.str("country", a.Country)
			f.str("formatted", a.Formatted)
			f.str("locality", a.Locality)
			f.str("postalCode", a.PostalCode)
			f.truth("primary", a.Primary)
			f.str("region", a.Region)
			f.str("streetAddress", a.StreetAddress)
			f.str("type", a.Type)
			f.b = append(f.b, '}')
		}
		f.b = append(f.b, ']')
		f.first = false
	}
	f.str("displayName", u.DisplayName)
	f.multi("emails", u.Emails)
	f.multi("entitlements", u.Entitlements)
	if len(u.Groups) > 0 {
		f.key("groups")
		f.b = append(f.b, '[')
		for i, g := range u.Groups {
			if i > 0 {
				f.b = append(f.b, ',')
			}
			f.b = append(f.b, '{')
			f.first = true
			if g.Value != "" {
				f.key("$ref")
				f.b = appendRef(f.b, base, "/Groups/", g.Value)
			} else {
				f.str("$ref", g.Ref)
			}
			f.str("display", g.Display)
			f.str("type", g.Type)
			f.key("value")
			f.b = appendString(f.b, g.Value)
			f.b = append(f.b, '}')
		}
		f.b = append(f.b, ']')
		f.first = false
	}
	f.multi("ims", u.IMs)
	f.str("locale", u.Locale)
	if n := u.Name; n != nil {
		f.open("name")
		f.str("familyName", n.FamilyName)
		f.str("formatted", n.Formatted)
		f.str("givenName", n.GivenName)
		f.str("honorificPrefix", n.HonorificPrefix)
		f.str("honorificSuffix", n.HonorificSuffix)
		f.str("middleName", n.MiddleName)
		f.close()
	}
	f.str("nickName", u.NickName)
	f.multi("phoneNumbers", u.PhoneNumbers)
	f.multi("photos", u.Photos)
	f.str("preferredLanguage", u.PreferredLanguage)
	f.str("profileUrl", u.ProfileURL)
	f.multi("roles", u.Roles)
	f.str("timezone", u.Timezone)
	f.str("title", u.Title)
	for _, urn := range urns {
		if urn != schema.EnterpriseUserURN {
			f.extension(urn, u.Extensions[urn])
			continue
		}
		e := u.Enterprise
		f.open(schema.EnterpriseUserURN)
		f.str("costCenter", e.CostCenter)
		f.str("department", e.Department)
		f.str("division", e.Division)
		f.str("employeeNumber", e.EmployeeNumber)
		if m := e.Manager; m != nil {
			f.open("manager")
			f.str("$ref", m.Ref)
			f.str("displayName", m.DisplayName)
			f.str("value", m.Value)
			f.close()
		}
		f.str("organization", e.Organization)
		f.close()
	}
	f.key("userName")
	f.b = appendString(f.b, u.UserName)
	f.str("userType", u.UserType)
	f.multi("x509Certificates", u.X509Certificates)

	f.open("meta")
	f.time("created", u.Meta.Created)
	f.time("lastModified", u.Meta.LastModified)
	if u.ID != "" {
		f.key("location")
		f.b = appendRef(f.b, base, "/Users/", u.ID)
	} else {
		f.str("location", u.Meta.Location)
	}
	f.key("resourceType")
	f.b = append(f.b, `"User"`...)
	f.str("version", entityTag(u.Meta.Version)) // as decorate shows it
	f.close()
	return append(f.b, '}')
}

// extension writes a host extension's object under its URN.
func (f *jsonField) extension(urn string, values map[string]any) {
	if f.first {
		f.first = false
	} else {
		f.b = append(f.b, ',')
	}
	f.b = appendString(f.b, urn)
	f.b = append(f.b, ':')
	b, err := appendJSON(f.b, values)
	if err != nil {
		// Extension values are JSON-form values the server parsed or a
		// store decoded; anything else is a host's bug, and a response
		// must still be JSON.
		b = append(f.b, "null"...)
	}
	f.b = b
}

// appendRef appends the JSON string base+path+id without building it.
func appendRef(b []byte, base, path, id string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, base)
	b = append(b, path...)
	b = appendEscaped(b, id)
	return append(b, '"')
}

// plainExtensions returns the URNs of rt's host extensions (all but the
// enterprise one) and whether a typed user can be written with them
// straight from the struct: every attribute is returned by default, so
// that nothing is to be hidden, and every URN sorts between "title" and
// "userName", where appendUser writes them.
func plainExtensions(rt *schema.ResourceType) ([]string, bool) {
	var urns []string
	for _, e := range rt.Extensions {
		if e.Schema.ID == schema.EnterpriseUserURN {
			continue
		}
		if e.Schema.ID <= "title" || e.Schema.ID >= "userName" || !returnedByDefault(e.Schema.Attributes) {
			return nil, false
		}
		urns = append(urns, e.Schema.ID)
	}
	return urns, true
}

func returnedByDefault(attrs []*schema.Attribute) bool {
	for _, a := range attrs {
		if a.Returned == schema.ReturnedNever || a.Returned == schema.ReturnedRequest || !returnedByDefault(a.SubAttributes) {
			return false
		}
	}
	return true
}
