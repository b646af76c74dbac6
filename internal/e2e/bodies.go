package e2e

// EnterpriseURN is the enterprise User extension's schema URN.
const EnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// JunoUser is a POST body with every attribute of the Juno Journey
// mapping, in the shape Entra sends (the enterprise manager, a bare id, is
// set later by PATCH).
const JunoUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
  "active": true,
  "displayName": "Ada Lovelace",
  "title": "Analyst",
  "preferredLanguage": "en-GB",
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@contoso.com"}],
  "addresses": [{"type": "work", "country": "GB", "region": "Greater London", "locality": "London",
                 "postalCode": "W1 1AA", "formatted": "1 Main St\nLondon W1 1AA", "streetAddress": "1 Main St", "primary": false}],
  "name": {"givenName": "Ada", "familyName": "Lovelace", "middleName": "King", "formatted": "Ada King Lovelace"},
  "phoneNumbers": [{"type": "work", "value": "+44 (20) 7946 0000"}, {"type": "mobile", "value": "07700 900000"},
                   {"type": "fax", "value": "020 7946 0001"}],
  "meta": {"resourceType": "User"},
  "roles": [],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "department": "Engineering", "employeeNumber": "E-1815", "costCenter": "CC-42",
    "division": "R&D", "organization": "Analytical Engines Ltd"
  }
}`

// UserBody is the smallest POST body of an active user.
func UserBody(userName string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `","active":true}`
}

// PatchBody is a PatchOp request with the operations ops (JSON objects
// separated by commas).
func PatchBody(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
}
