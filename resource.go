package scim

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/scimkit/scim/filter"
)

// A resource's JSON form ("doc") is a map with canonical attribute names,
// numbers as json.Number and extensions under their URN keys: what the
// PATCH engine, filters and projection work on. The typed model converts
// to it field by field (no JSON round trip: this is on every read's path),
// and TestDocMatchesJSON keeps that conversion equal to encoding/json's.

// toDoc converts any JSON-encodable value to its JSON form.
func toDoc(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		// The typed model has only strings, bools, slices and structs.
		panic("scim: cannot encode resource: " + err.Error())
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		panic("scim: cannot decode resource: " + err.Error())
	}
	return m
}

// fromDoc converts a JSON-form resource into a typed one. The document must
// already be normalised and validated against the resource type's schema.
func fromDoc(doc map[string]any, v any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// docBuilder fills a map the way encoding/json's omitempty would.
type docBuilder map[string]any

func (d docBuilder) str(k, v string) {
	if v != "" {
		d[k] = v
	}
}

func (d docBuilder) time(k string, t time.Time) {
	if !t.IsZero() {
		d[k] = t.Format(time.RFC3339Nano)
	}
}

func multiValues(list []MultiValue) []any {
	out := make([]any, len(list))
	for i, v := range list {
		m := docBuilder{}
		m.str("value", v.Value)
		m.str("display", v.Display)
		m.str("type", v.Type)
		if v.Primary {
			m["primary"] = true
		}
		out[i] = map[string]any(m)
	}
	return out
}

func (d docBuilder) multi(k string, list []MultiValue) {
	if len(list) > 0 {
		d[k] = multiValues(list)
	}
}

func metaDoc(m Meta) map[string]any {
	d := docBuilder{}
	d.str("resourceType", m.ResourceType)
	d.time("created", m.Created)
	d.time("lastModified", m.LastModified)
	d.str("location", m.Location)
	d.str("version", m.Version)
	return d
}

// UserDoc returns u in its JSON form, the form filter.Match evaluates.
func UserDoc(u *User) map[string]any {
	d := docBuilder{}
	d.str("id", u.ID)
	d.str("externalId", u.ExternalID)
	d["userName"] = u.UserName
	if n := u.Name; n != nil {
		nd := docBuilder{}
		nd.str("formatted", n.Formatted)
		nd.str("familyName", n.FamilyName)
		nd.str("givenName", n.GivenName)
		nd.str("middleName", n.MiddleName)
		nd.str("honorificPrefix", n.HonorificPrefix)
		nd.str("honorificSuffix", n.HonorificSuffix)
		d["name"] = map[string]any(nd)
	}
	d.str("displayName", u.DisplayName)
	d.str("nickName", u.NickName)
	d.str("profileUrl", u.ProfileURL)
	d.str("title", u.Title)
	d.str("userType", u.UserType)
	d.str("preferredLanguage", u.PreferredLanguage)
	d.str("locale", u.Locale)
	d.str("timezone", u.Timezone)
	if u.Active != nil {
		d["active"] = *u.Active
	}
	d.multi("emails", u.Emails)
	d.multi("phoneNumbers", u.PhoneNumbers)
	d.multi("ims", u.IMs)
	d.multi("photos", u.Photos)
	if len(u.Addresses) > 0 {
		list := make([]any, len(u.Addresses))
		for i, a := range u.Addresses {
			m := docBuilder{}
			m.str("formatted", a.Formatted)
			m.str("streetAddress", a.StreetAddress)
			m.str("locality", a.Locality)
			m.str("region", a.Region)
			m.str("postalCode", a.PostalCode)
			m.str("country", a.Country)
			m.str("type", a.Type)
			if a.Primary {
				m["primary"] = true
			}
			list[i] = map[string]any(m)
		}
		d["addresses"] = list
	}
	d.multi("entitlements", u.Entitlements)
	d.multi("roles", u.Roles)
	d.multi("x509Certificates", u.X509Certificates)
	if e := u.Enterprise; e != nil {
		ed := docBuilder{}
		ed.str("employeeNumber", e.EmployeeNumber)
		ed.str("costCenter", e.CostCenter)
		ed.str("organization", e.Organization)
		ed.str("division", e.Division)
		ed.str("department", e.Department)
		if m := e.Manager; m != nil {
			md := docBuilder{}
			md.str("value", m.Value)
			md.str("$ref", m.Ref)
			md.str("displayName", m.DisplayName)
			ed["manager"] = map[string]any(md)
		}
		d["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any(ed)
	}
	if len(u.Groups) > 0 {
		list := make([]any, len(u.Groups))
		for i, g := range u.Groups {
			m := docBuilder{"value": g.Value}
			m.str("$ref", g.Ref)
			m.str("display", g.Display)
			m.str("type", g.Type)
			list[i] = map[string]any(m)
		}
		d["groups"] = list
	}
	d["meta"] = metaDoc(u.Meta)
	return d
}

// GroupDoc returns g in its JSON form, the form filter.Match evaluates.
func GroupDoc(g *Group) map[string]any {
	d := docBuilder{}
	d.str("id", g.ID)
	d.str("externalId", g.ExternalID)
	d["displayName"] = g.DisplayName
	if len(g.Members) > 0 {
		list := make([]any, len(g.Members))
		for i, m := range g.Members {
			list[i] = memberDoc(m)
		}
		d["members"] = list
	}
	d["meta"] = metaDoc(g.Meta)
	return d
}

func memberDoc(m Member) map[string]any {
	d := docBuilder{"value": m.Value}
	d.str("$ref", m.Ref)
	d.str("display", m.Display)
	d.str("type", m.Type)
	return d
}

// MatchUser reports whether u matches the resolved filter f; a nil filter
// matches every user. Stores that evaluate filters in memory use it.
func MatchUser(f filter.Expr, u *User) bool {
	if f == nil {
		return true
	}
	// Lookups by userName, externalId or id are on every provisioning
	// cycle's path: they read one scalar, so skip building the whole doc.
	doc := make(map[string]any, 2)
	if scalarsOnly(f, func(name string) bool {
		v, ok := userScalar(u, name)
		if ok && v != nil {
			doc[name] = v
		}
		return ok
	}) {
		return filter.Match(f, doc)
	}
	return filter.Match(f, UserDoc(u))
}

// scalarsOnly reports whether every comparison in f is on a top-level core
// attribute that add accepts; add is called with each one's name.
func scalarsOnly(f filter.Expr, add func(name string) bool) bool {
	switch x := f.(type) {
	case *filter.And:
		return scalarsOnly(x.Left, add) && scalarsOnly(x.Right, add)
	case *filter.Or:
		return scalarsOnly(x.Left, add) && scalarsOnly(x.Right, add)
	case *filter.Not:
		return scalarsOnly(x.X, add)
	case *filter.Compare:
		p := x.Path
		return p.Sub == "" && p.Resolved.Attr != nil && p.Resolved.Schema != nil && !p.Resolved.Extension && p.Resolved.Sub == nil && add(p.Name)
	}
	return false
}

// userScalar returns the JSON-form value of u's single-valued top-level
// attribute name (nil when absent), or false for any other attribute.
func userScalar(u *User, name string) (any, bool) {
	var s string
	switch name {
	case "id":
		s = u.ID
	case "externalId":
		s = u.ExternalID
	case "userName":
		return u.UserName, true // present even when empty, as in UserDoc
	case "displayName":
		s = u.DisplayName
	case "nickName":
		s = u.NickName
	case "profileUrl":
		s = u.ProfileURL
	case "title":
		s = u.Title
	case "userType":
		s = u.UserType
	case "preferredLanguage":
		s = u.PreferredLanguage
	case "locale":
		s = u.Locale
	case "timezone":
		s = u.Timezone
	case "active":
		if u.Active == nil {
			return nil, true
		}
		return *u.Active, true
	default:
		return nil, false
	}
	if s == "" {
		return nil, true
	}
	return s, true
}

// MatchGroup reports whether g matches the resolved filter f; a nil filter
// matches every group.
func MatchGroup(f filter.Expr, g *Group) bool {
	return f == nil || filter.Match(f, GroupDoc(g))
}

// MatchMember reports whether the group member m matches f, a filter
// resolved relative to the members attribute (as in MemberOp.Filter).
func MatchMember(f filter.Expr, m Member) bool {
	return f == nil || filter.Match(f, memberDoc(m))
}
