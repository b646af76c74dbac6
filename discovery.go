package scim

import (
	"net/http"
	"strings"
	"time"

	"github.com/scimkit/scim/schema"
)

// The discovery endpoints (RFC 7644 section 4) are generated from the
// registered resource types and the server's real capabilities.

const (
	spcURN          = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeURN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
)

type supported struct {
	Supported bool `json:"supported"`
}

type spcDoc struct {
	Schemas               []string       `json:"schemas"`
	DocumentationURI      string         `json:"documentationUri,omitempty"`
	Patch                 supported      `json:"patch"`
	Bulk                  bulkCap        `json:"bulk"`
	Filter                filterCap      `json:"filter"`
	ChangePassword        supported      `json:"changePassword"`
	Sort                  supported      `json:"sort"`
	ETag                  supported      `json:"etag"`
	Pagination            paginationCap  `json:"pagination"`
	AuthenticationSchemes []authScheme   `json:"authenticationSchemes"`
	Meta                  map[string]any `json:"meta"`
}

type bulkCap struct {
	Supported      bool `json:"supported"`
	MaxOperations  int  `json:"maxOperations"`
	MaxPayloadSize int  `json:"maxPayloadSize"`
}

type filterCap struct {
	Supported  bool `json:"supported"`
	MaxResults int  `json:"maxResults"`
}

// paginationCap is RFC 9865 section 4's pagination attribute.
type paginationCap struct {
	Cursor                  bool   `json:"cursor"`
	Index                   bool   `json:"index"`
	DefaultPaginationMethod string `json:"defaultPaginationMethod"`
	DefaultPageSize         int    `json:"defaultPageSize"`
	MaxPageSize             int    `json:"maxPageSize"`
	CursorTimeout           int    `json:"cursorTimeout"` // seconds
}

type authScheme struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SpecURI     string `json:"specUri,omitempty"`
	Primary     bool   `json:"primary,omitempty"`
}

func (q *request) serviceProviderConfig() {
	writeJSON(q.w, http.StatusOK, spcDoc{
		Schemas:          []string{spcURN},
		DocumentationURI: q.s.cfg.DocumentationURI,
		Patch:            supported{true},
		Bulk:             bulkCap{Supported: true, MaxOperations: q.s.cfg.BulkMaxOperations, MaxPayloadSize: int(q.s.cfg.BulkMaxPayloadBytes)},
		Filter:           filterCap{Supported: true, MaxResults: q.s.cfg.MaxResults},
		ETag:             supported{true},
		ChangePassword:   supported{q.s.cfg.ChangePassword != nil},
		Sort:             supported{true},
		Pagination: paginationCap{Cursor: true, Index: true, DefaultPaginationMethod: "index",
			DefaultPageSize: q.s.cfg.DefaultCount, MaxPageSize: q.s.cfg.MaxResults,
			CursorTimeout: int(q.s.cursors.timeout / time.Second)},
		AuthenticationSchemes: []authScheme{{
			Type:        "oauthbearertoken",
			Name:        "OAuth Bearer Token",
			Description: "Authentication with a bearer token in the Authorization header.",
			SpecURI:     "https://www.rfc-editor.org/info/rfc6750",
			Primary:     true,
		}},
		Meta: map[string]any{"resourceType": "ServiceProviderConfig", "location": q.base + "/ServiceProviderConfig"},
	})
}

func (q *request) resourceTypeDoc(r *Resource) map[string]any {
	exts := []any{}
	for _, e := range r.Type.Extensions {
		exts = append(exts, map[string]any{"schema": e.Schema.ID, "required": e.Required})
	}
	return map[string]any{
		"schemas":          []string{resourceTypeURN},
		"id":               r.Type.ID,
		"name":             r.Type.Name,
		"endpoint":         r.Type.Endpoint,
		"description":      r.Type.Description,
		"schema":           r.Type.Schema.ID,
		"schemaExtensions": exts,
		"meta":             map[string]any{"resourceType": "ResourceType", "location": q.base + "/ResourceTypes/" + r.Type.ID},
	}
}

func (q *request) resourceTypes(rest []string) {
	if q.query().Has("filter") {
		q.fail(&Error{Status: http.StatusForbidden, Detail: "Filtering is not supported on /ResourceTypes."})
		return
	}
	if len(rest) == 1 {
		for _, r := range q.s.resources {
			if strings.EqualFold(r.Type.ID, rest[0]) {
				writeJSON(q.w, http.StatusOK, orderedDoc(q.resourceTypeDoc(r)))
				return
			}
		}
		q.fail(&Error{Status: http.StatusNotFound, Detail: "No such resource type."})
		return
	}
	docs := make([]any, len(q.s.resources))
	for i, r := range q.s.resources {
		docs[i] = orderedDoc(q.resourceTypeDoc(r))
	}
	q.writeList(docs)
}

// allSchemas returns each distinct schema of the registered resource types.
func (s *Server) allSchemas() []*schema.Schema {
	var out []*schema.Schema
	seen := map[string]bool{}
	add := func(sc *schema.Schema) {
		if !seen[sc.ID] {
			seen[sc.ID] = true
			out = append(out, sc)
		}
	}
	for _, r := range s.resources {
		add(r.Type.Schema)
		for _, e := range r.Type.Extensions {
			add(e.Schema)
		}
	}
	return out
}

func (q *request) schemaDoc(sc *schema.Schema) (any, error) {
	b, err := sc.MarshalJSON()
	if err != nil {
		return nil, err
	}
	m, err := decodeObject(b)
	if err != nil {
		return nil, err
	}
	m["meta"] = map[string]any{"resourceType": "Schema", "location": q.base + "/Schemas/" + sc.ID}
	return orderedDoc(m), nil
}

func (q *request) schemas(rest []string) {
	if q.query().Has("filter") {
		q.fail(&Error{Status: http.StatusForbidden, Detail: "Filtering is not supported on /Schemas."})
		return
	}
	all := q.s.allSchemas()
	if len(rest) == 1 {
		for _, sc := range all {
			if strings.EqualFold(sc.ID, rest[0]) {
				d, err := q.schemaDoc(sc)
				if err != nil {
					q.fail(err)
					return
				}
				writeJSON(q.w, http.StatusOK, d)
				return
			}
		}
		q.fail(&Error{Status: http.StatusNotFound, Detail: "No such schema."})
		return
	}
	docs := make([]any, 0, len(all))
	for _, sc := range all {
		d, err := q.schemaDoc(sc)
		if err != nil {
			q.fail(err)
			return
		}
		docs = append(docs, d)
	}
	q.writeList(docs)
}

func (q *request) writeList(docs []any) {
	writeJSON(q.w, http.StatusOK, listResponse{
		Schemas:      []string{listResponseURN},
		TotalResults: len(docs),
		StartIndex:   1,
		ItemsPerPage: len(docs),
		Resources:    docs,
	})
}
