package scim

// Group is a SCIM Group resource (RFC 7643 section 4.2). Its JSON encoding
// is the SCIM wire form.
type Group struct {
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []Member `json:"members,omitempty"`
	Meta        Meta     `json:"meta"`
}

// Member is one member of a group. Value is the member's id; Ref is filled
// by the server on output.
type Member struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}
