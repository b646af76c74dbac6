package jsonx

import "bytes"

// An object's keys are mostly the same few dozen names (a stored user has
// about forty keys, and every request body repeats "schemas", "value",
// "type"), and each would otherwise be a new string. knownKeys are
// returned as they are instead.
var knownKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		// Messages and common attributes.
		"schemas", "id", "externalId", "meta", "resourceType", "created", "lastModified", "location", "version",
		"Operations", "op", "path", "value", "totalResults", "itemsPerPage", "startIndex", "Resources",
		"filter", "sortBy", "sortOrder", "count", "attributes", "excludedAttributes", "method", "bulkId", "data",
		// User.
		"userName", "name", "formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix",
		"displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone",
		"active", "password", "emails", "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements",
		"roles", "x509Certificates", "type", "primary", "display", "$ref",
		"streetAddress", "locality", "region", "postalCode", "country",
		// The enterprise extension.
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
		"employeeNumber", "costCenter", "organization", "division", "department", "manager",
		// Group.
		"members",
	} {
		m[k] = k
	}
	return m
}()

// key reads an object's key: a known one without allocating, any other
// as str does. A known key has no escape, quote or control character, so
// the bytes up to the next quote are the whole key when they match one.
func (p *parser) key() (string, error) {
	if j := bytes.IndexByte(p.b[p.i+1:], '"'); j >= 0 {
		if k, ok := knownKeys[string(p.b[p.i+1:p.i+1+j])]; ok {
			p.i += j + 2
			return k, nil
		}
	}
	return p.str()
}
