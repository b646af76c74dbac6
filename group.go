package scim

import "encoding/json"

// Group is a SCIM Group resource (RFC 7643 section 4.2). Its JSON encoding
// is the SCIM wire form.
type Group struct {
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []Member `json:"members,omitempty"`
	Meta        Meta     `json:"meta"`

	// Extensions holds the values of the schema extensions the host
	// registered in Config.GroupExtensions, each an object under its URN
	// key in JSON.
	Extensions Extensions `json:"-"`
}

// groupJSON is Group without its JSON methods.
type groupJSON Group

// MarshalJSON encodes g in the SCIM wire form, with each of g.Extensions
// under its URN key.
func (g Group) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal((*groupJSON)(&g))
	if err != nil || len(g.Extensions) == 0 {
		return b, err
	}
	return marshalWithExtensions(b, g.Extensions)
}

// UnmarshalJSON decodes the SCIM wire form; objects under URN keys go to
// g.Extensions.
func (g *Group) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*groupJSON)(g)); err != nil {
		return err
	}
	e, err := unmarshalExtensions(b)
	if err != nil {
		return err
	}
	g.Extensions = e
	return nil
}

// Member is one member of a group. Value is the member's id; Ref is filled
// by the server on output.
type Member struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}
