package scim

import (
	"encoding/json"
	"time"
)

// User is a SCIM User resource (RFC 7643 section 4.1) with the enterprise
// extension (section 4.3). Its JSON encoding is the SCIM wire form. String
// values are kept exactly as the client sent them; an empty string means
// absent.
type User struct {
	ID                string          `json:"id,omitempty"`
	ExternalID        string          `json:"externalId,omitempty"`
	UserName          string          `json:"userName"`
	Name              *Name           `json:"name,omitempty"`
	DisplayName       string          `json:"displayName,omitempty"`
	NickName          string          `json:"nickName,omitempty"`
	ProfileURL        string          `json:"profileUrl,omitempty"`
	Title             string          `json:"title,omitempty"`
	UserType          string          `json:"userType,omitempty"`
	PreferredLanguage string          `json:"preferredLanguage,omitempty"`
	Locale            string          `json:"locale,omitempty"`
	Timezone          string          `json:"timezone,omitempty"`
	Active            *bool           `json:"active,omitempty"`
	Emails            []MultiValue    `json:"emails,omitempty"`
	PhoneNumbers      []MultiValue    `json:"phoneNumbers,omitempty"`
	IMs               []MultiValue    `json:"ims,omitempty"`
	Photos            []MultiValue    `json:"photos,omitempty"`
	Addresses         []Address       `json:"addresses,omitempty"`
	Entitlements      []MultiValue    `json:"entitlements,omitempty"`
	Roles             []MultiValue    `json:"roles,omitempty"`
	X509Certificates  []MultiValue    `json:"x509Certificates,omitempty"`
	Enterprise        *EnterpriseUser `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`

	// Extensions holds the values of the schema extensions the host
	// registered in Config.UserExtensions. In JSON each is an object under
	// its URN key, beside the enterprise extension.
	Extensions Extensions `json:"-"`

	// Groups is read-only: the groups the user is a direct member of. A
	// store fills it on read; it is ignored on write.
	Groups []GroupRef `json:"groups,omitempty"`

	Meta Meta `json:"meta"`
}

// userJSON is User without its JSON methods.
type userJSON User

// MarshalJSON encodes u in the SCIM wire form, with each of u.Extensions
// under its URN key.
func (u User) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal((*userJSON)(&u))
	if err != nil || len(u.Extensions) == 0 {
		return b, err
	}
	return marshalWithExtensions(b, u.Extensions)
}

// UnmarshalJSON decodes the SCIM wire form, keys matched
// case-insensitively; objects under URN keys other than the enterprise
// extension's go to u.Extensions.
func (u *User) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*userJSON)(u)); err != nil {
		return err
	}
	e, err := unmarshalExtensions(b)
	if err != nil {
		return err
	}
	u.Extensions = e
	return nil
}

// IsActive reports whether the user is active. A user whose active
// attribute is absent counts as active; the Server stores active on every
// user it creates or changes (true when a create leaves it out), so that
// filters on active agree with IsActive. A host writing users to its
// Store itself should set Active too.
func (u *User) IsActive() bool { return u.Active == nil || *u.Active }

// Name is the components of a user's name (RFC 7643 section 4.1.1).
type Name struct {
	Formatted       string `json:"formatted,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	MiddleName      string `json:"middleName,omitempty"`
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// MultiValue is one element of a multi-valued attribute such as emails or
// phoneNumbers (RFC 7643 section 2.4).
type MultiValue struct {
	Value   string `json:"value,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Address is one element of a user's addresses (RFC 7643 section 4.1.2).
type Address struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Type          string `json:"type,omitempty"`
	Primary       bool   `json:"primary,omitempty"`
}

// EnterpriseUser is the enterprise User extension (RFC 7643 section 4.3).
type EnterpriseUser struct {
	EmployeeNumber string   `json:"employeeNumber,omitempty"`
	CostCenter     string   `json:"costCenter,omitempty"`
	Organization   string   `json:"organization,omitempty"`
	Division       string   `json:"division,omitempty"`
	Department     string   `json:"department,omitempty"`
	Manager        *Manager `json:"manager,omitempty"`
}

// Manager references a user's manager. Whatever form a client sends (a bare
// id string, a wrapped list, an object), it is stored and returned as an
// object, which is what Entra ID reads back.
type Manager struct {
	Value       string `json:"value,omitempty"`
	Ref         string `json:"$ref,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// GroupRef is one element of a user's read-only groups attribute.
type GroupRef struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}

// Meta is a resource's metadata (RFC 7643 section 3.1). Stores set Created,
// LastModified and Version; the server fills ResourceType and Location.
type Meta struct {
	ResourceType string    `json:"resourceType,omitempty"`
	Created      time.Time `json:"created,omitzero"`
	LastModified time.Time `json:"lastModified,omitzero"`
	Location     string    `json:"location,omitempty"`
	// Version changes on every write to the resource. It is opaque to
	// clients; the server compares it to detect concurrent writes and
	// with If-Match, and shows it as the weak entity-tag W/"<Version>"
	// in meta.version and the ETag header.
	Version string `json:"version,omitempty"`
}
