package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/scimkit/scim/schema"
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

// fromDoc converts a JSON-form resource into v, a pointer to a zero typed
// one. The document must already be normalised and validated against the
// resource type's schema. Users, written on every provisioning cycle, are
// converted field by field; anything else through encoding/json.
func fromDoc(doc map[string]any, v any) error {
	if u, ok := v.(*User); ok {
		return userFromDoc(doc, u)
	}
	return jsonFromDoc(doc, v)
}

// jsonFromDoc is fromDoc by a JSON round trip.
func jsonFromDoc(doc map[string]any, v any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// UserFromDoc converts doc, a user in the JSON form UserDoc returns (keys
// in canonical case, numbers as json.Number, extensions under their URN
// keys), into a new User: the inverse of UserDoc, without a JSON round
// trip. Keys it does not know, in canonical case, are ignored; a value of
// the wrong JSON type is an error.
func UserFromDoc(doc map[string]any) (*User, error) {
	u := new(User)
	if err := userFromDoc(doc, u); err != nil {
		return nil, err
	}
	return u, nil
}

// userFromDoc fills the zero User u from doc, the inverse of UserDoc. It
// gives what jsonFromDoc gives (TestUserFromDoc and FuzzUserFromDoc hold
// the two together) for the documents the server converts, whose keys
// normalize and UserDoc write in canonical case: other keys are ignored,
// null is absent, a present object or list is non-nil even when empty,
// and a value of the wrong JSON type is an error.
func userFromDoc(doc map[string]any, u *User) error {
	var r docReader
	for k, v := range doc {
		switch k {
		case "id":
			r.str(&u.ID, v)
		case "externalId":
			r.str(&u.ExternalID, v)
		case "userName":
			r.str(&u.UserName, v)
		case "name":
			if m, ok := r.object(v); ok {
				u.Name = new(Name)
				r.name(u.Name, m)
			}
		case "displayName":
			r.str(&u.DisplayName, v)
		case "nickName":
			r.str(&u.NickName, v)
		case "profileUrl":
			r.str(&u.ProfileURL, v)
		case "title":
			r.str(&u.Title, v)
		case "userType":
			r.str(&u.UserType, v)
		case "preferredLanguage":
			r.str(&u.PreferredLanguage, v)
		case "locale":
			r.str(&u.Locale, v)
		case "timezone":
			r.str(&u.Timezone, v)
		case "active":
			if v != nil {
				u.Active = new(bool)
				r.truth(u.Active, v)
			}
		case "emails":
			u.Emails = r.multi(v)
		case "phoneNumbers":
			u.PhoneNumbers = r.multi(v)
		case "ims":
			u.IMs = r.multi(v)
		case "photos":
			u.Photos = r.multi(v)
		case "addresses":
			u.Addresses = r.addresses(v)
		case "entitlements":
			u.Entitlements = r.multi(v)
		case "roles":
			u.Roles = r.multi(v)
		case "x509Certificates":
			u.X509Certificates = r.multi(v)
		case schema.EnterpriseUserURN:
			if m, ok := r.object(v); ok {
				u.Enterprise = new(EnterpriseUser)
				r.enterprise(u.Enterprise, m)
			}
		case "groups":
			u.Groups = r.groups(v)
		case "meta":
			if m, ok := r.object(v); ok {
				r.meta(&u.Meta, m)
			}
		}
	}
	u.Extensions = extensionsFromDoc(&r, doc)
	return r.err
}

// docReader reads JSON-form values into typed fields, keeping the first
// type mismatch it meets.
type docReader struct {
	err error
}

func (r *docReader) mismatch(v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("scim: cannot convert %T to %s", v, want)
	}
}

// str sets *dst to a string value; invalid UTF-8 becomes U+FFFD byte by
// byte, as through encoding/json.
func (r *docReader) str(dst *string, v any) {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			x = string([]rune(x))
		}
		*dst = x
	case nil:
	default:
		r.mismatch(v, "a string")
	}
}

func (r *docReader) truth(dst *bool, v any) {
	switch x := v.(type) {
	case bool:
		*dst = x
	case nil:
	default:
		r.mismatch(v, "a boolean")
	}
}

func (r *docReader) time(dst *time.Time, v any) {
	switch x := v.(type) {
	case string:
		if err := dst.UnmarshalText([]byte(x)); err != nil && r.err == nil {
			r.err = err
		}
	case nil:
	default:
		r.mismatch(v, "a time")
	}
}

// object returns an object value; false for null or a mismatch.
func (r *docReader) object(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case nil:
	default:
		r.mismatch(v, "an object")
	}
	return nil, false
}

// list returns a list value; false for null or a mismatch.
func (r *docReader) list(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case nil:
	default:
		r.mismatch(v, "a list")
	}
	return nil, false
}

func (r *docReader) name(n *Name, m map[string]any) {
	for k, v := range m {
		switch k {
		case "formatted":
			r.str(&n.Formatted, v)
		case "familyName":
			r.str(&n.FamilyName, v)
		case "givenName":
			r.str(&n.GivenName, v)
		case "middleName":
			r.str(&n.MiddleName, v)
		case "honorificPrefix":
			r.str(&n.HonorificPrefix, v)
		case "honorificSuffix":
			r.str(&n.HonorificSuffix, v)
		}
	}
}

// elements calls f with each object element of the list v, which it
// returns at its length; a null element stays a zero value.
func elements[T any](r *docReader, v any, f func(*T, map[string]any)) []T {
	l, ok := r.list(v)
	if !ok {
		return nil
	}
	out := make([]T, len(l))
	for i, e := range l {
		if m, ok := r.object(e); ok {
			f(&out[i], m)
		}
	}
	return out
}

func (r *docReader) multi(v any) []MultiValue {
	return elements(r, v, func(mv *MultiValue, m map[string]any) {
		for k, v := range m {
			switch k {
			case "value":
				r.str(&mv.Value, v)
			case "display":
				r.str(&mv.Display, v)
			case "type":
				r.str(&mv.Type, v)
			case "primary":
				r.truth(&mv.Primary, v)
			}
		}
	})
}

func (r *docReader) addresses(v any) []Address {
	return elements(r, v, func(a *Address, m map[string]any) {
		for k, v := range m {
			switch k {
			case "formatted":
				r.str(&a.Formatted, v)
			case "streetAddress":
				r.str(&a.StreetAddress, v)
			case "locality":
				r.str(&a.Locality, v)
			case "region":
				r.str(&a.Region, v)
			case "postalCode":
				r.str(&a.PostalCode, v)
			case "country":
				r.str(&a.Country, v)
			case "type":
				r.str(&a.Type, v)
			case "primary":
				r.truth(&a.Primary, v)
			}
		}
	})
}

func (r *docReader) groups(v any) []GroupRef {
	return elements(r, v, func(g *GroupRef, m map[string]any) {
		for k, v := range m {
			switch k {
			case "value":
				r.str(&g.Value, v)
			case "$ref":
				r.str(&g.Ref, v)
			case "display":
				r.str(&g.Display, v)
			case "type":
				r.str(&g.Type, v)
			}
		}
	})
}

func (r *docReader) enterprise(e *EnterpriseUser, m map[string]any) {
	for k, v := range m {
		switch k {
		case "employeeNumber":
			r.str(&e.EmployeeNumber, v)
		case "costCenter":
			r.str(&e.CostCenter, v)
		case "organization":
			r.str(&e.Organization, v)
		case "division":
			r.str(&e.Division, v)
		case "department":
			r.str(&e.Department, v)
		case "manager":
			if mm, ok := r.object(v); ok {
				e.Manager = new(Manager)
				for k, v := range mm {
					switch k {
					case "value":
						r.str(&e.Manager.Value, v)
					case "$ref":
						r.str(&e.Manager.Ref, v)
					case "displayName":
						r.str(&e.Manager.DisplayName, v)
					}
				}
			}
		}
	}
}

func (r *docReader) meta(mt *Meta, m map[string]any) {
	for k, v := range m {
		switch k {
		case "resourceType":
			r.str(&mt.ResourceType, v)
		case "created":
			r.time(&mt.Created, v)
		case "lastModified":
			r.time(&mt.LastModified, v)
		case "location":
			r.str(&mt.Location, v)
		case "version":
			r.str(&mt.Version, v)
		}
	}
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
	putExtensions(d, u.Extensions)
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
	putExtensions(d, g.Extensions)
	return d
}

func memberDoc(m Member) map[string]any {
	d := docBuilder{"value": m.Value}
	d.str("$ref", m.Ref)
	d.str("display", m.Display)
	d.str("type", m.Type)
	return d
}
