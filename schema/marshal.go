package schema

import (
	"encoding/json"
	"errors"
)

// schemaJSON is the Schema resource of RFC 7643 section 7, in the order of
// the RFC's own examples (section 8.7.1).
type schemaJSON struct {
	Schemas     []string          `json:"schemas"`
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Description string            `json:"description,omitempty"`
	Attributes  []attributeJSON   `json:"attributes"`
	Meta        map[string]string `json:"meta"`
}

type attributeJSON struct {
	Name            string          `json:"name"`
	Type            Type            `json:"type"`
	MultiValued     bool            `json:"multiValued"`
	Description     string          `json:"description,omitempty"`
	Required        bool            `json:"required"`
	CanonicalValues []string        `json:"canonicalValues,omitempty"`
	CaseExact       bool            `json:"caseExact"`
	Mutability      string          `json:"mutability"`
	Returned        string          `json:"returned"`
	Uniqueness      string          `json:"uniqueness"`
	ReferenceTypes  []string        `json:"referenceTypes,omitempty"`
	SubAttributes   []attributeJSON `json:"subAttributes,omitempty"`
}

// MarshalJSON encodes the schema as the Schema resource of RFC 7643
// section 7, every characteristic spelled out (zero values as the RFC
// defaults they stand for). meta holds only resourceType; a server adds
// location. Indexed is not part of the RFC and is left out. A definition
// nested deeper than RFC 7643 allows (sub-attributes of sub-attributes) is
// an error, never an unbounded recursion.
func (s *Schema) MarshalJSON() ([]byte, error) {
	out := schemaJSON{
		Schemas:     []string{SchemaURN},
		ID:          s.ID,
		Name:        s.Name,
		Description: s.Description,
		Attributes:  make([]attributeJSON, 0, len(s.Attributes)),
		Meta:        map[string]string{"resourceType": "Schema"},
	}
	for _, a := range s.Attributes {
		if a == nil {
			return nil, s.fault("", errors.New("a nil attribute"))
		}
		aj := attrJSON(a)
		for _, sa := range a.SubAttributes {
			if sa == nil {
				return nil, s.fault(a.Name, errors.New("a nil sub-attribute"))
			}
			if len(sa.SubAttributes) > 0 {
				return nil, s.fault(a.Name+"."+sa.Name, errNested)
			}
			aj.SubAttributes = append(aj.SubAttributes, attrJSON(sa))
		}
		out.Attributes = append(out.Attributes, aj)
	}
	return json.Marshal(out)
}

func attrJSON(a *Attribute) attributeJSON {
	aj := attributeJSON{
		Name:            a.Name,
		Type:            typeOf(a),
		MultiValued:     a.MultiValued,
		Description:     a.Description,
		Required:        a.Required,
		CanonicalValues: a.CanonicalValues,
		CaseExact:       a.CaseExact,
		Mutability:      orDefault(a.Mutability, ReadWrite),
		Returned:        orDefault(a.Returned, ReturnedDefault),
		Uniqueness:      orDefault(a.Uniqueness, UniquenessNone),
	}
	if aj.Type == Reference {
		aj.ReferenceTypes = a.ReferenceTypes
	}
	return aj
}
