package elimityscim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	escim "github.com/elimity-com/scim"
	"github.com/scimkit/scim/schema"
)

// Both directions walk the schema, never the keys of the value, so what
// crosses is exactly what the resource type defines.

// externalID is the common attribute both directions carry beside the
// schema's own.
var externalID = schema.Common("externalId")

// attributes converts a scimkit document into the ResourceAttributes
// elimity's validation would hand a handler.
func attributes(rt *schema.ResourceType, doc map[string]any) escim.ResourceAttributes {
	out := escim.ResourceAttributes{}
	putAll(out, rt.Schema.Attributes, doc)
	putAll(out, []*schema.Attribute{externalID}, doc)
	for _, e := range rt.Extensions {
		if m, ok := doc[e.Schema.ID].(map[string]any); ok {
			sub := map[string]any{}
			if putAll(sub, e.Schema.Attributes, m); len(sub) > 0 {
				out[e.Schema.ID] = sub
			}
		}
	}
	return out
}

func putAll(dst map[string]any, attrs []*schema.Attribute, src map[string]any) {
	for _, a := range attrs {
		v, ok := src[a.Name]
		if !ok || v == nil || a.Mutability == schema.ReadOnly {
			continue
		}
		if !a.MultiValued {
			dst[a.Name] = attribute(a, v)
			continue
		}
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = attribute(a, e)
		}
		dst[a.Name] = out
	}
}

// attribute converts one value of a: numbers to int64 or float64 as the
// type says, complex values through their sub-attributes.
func attribute(a *schema.Attribute, v any) any {
	switch a.Type {
	case schema.Complex:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := map[string]any{}
		putAll(out, a.SubAttributes, m)
		return out
	case schema.Integer:
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return i
			}
		}
	case schema.Decimal:
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				return f
			}
		}
	}
	return v
}

// document converts the Resource a handler returned into a scimkit
// document. id stands in for an empty r.ID.
func document(rt *schema.ResourceType, r escim.Resource, id string) (map[string]any, error) {
	doc := make(map[string]any, len(r.Attributes)+3)
	if err := takeAll(doc, rt.Schema.Attributes, r.Attributes); err != nil {
		return nil, err
	}
	if err := takeAll(doc, []*schema.Attribute{externalID}, r.Attributes); err != nil {
		return nil, err
	}
	if r.ExternalID.Present() && r.ExternalID.Value() != "" {
		doc["externalId"] = r.ExternalID.Value()
	}
	for _, e := range rt.Extensions {
		v, err := plain(lookup(r.Attributes, e.Schema.ID))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Schema.ID, err)
		}
		if m, ok := v.(map[string]any); ok {
			sub := map[string]any{}
			if err := takeAll(sub, e.Schema.Attributes, m); err != nil {
				return nil, err
			}
			if len(sub) > 0 {
				doc[e.Schema.ID] = sub
			}
		}
	}
	doc["id"] = id
	if r.ID != "" {
		doc["id"] = r.ID
	}
	meta := map[string]any{}
	if t := r.Meta.Created; t != nil {
		meta["created"] = t.Format(time.RFC3339Nano)
	}
	if t := r.Meta.LastModified; t != nil {
		meta["lastModified"] = t.Format(time.RFC3339Nano)
	}
	if r.Meta.Version != "" {
		meta["version"] = r.Meta.Version
	}
	if len(meta) > 0 {
		doc["meta"] = meta
	}
	return doc, nil
}

// lookup finds the value of name in m, by its exact name first, then
// case-insensitively, as attribute names are (RFC 7643 section 2.1).
func lookup(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func takeAll(dst map[string]any, attrs []*schema.Attribute, src map[string]any) error {
	for _, a := range attrs {
		v, err := value(a, lookup(src, a.Name))
		if err != nil {
			return fmt.Errorf("%s: %w", a.Name, err)
		}
		if v != nil {
			dst[a.Name] = v
		}
	}
	return nil
}

// value converts a handler's value of a to the document form, nil for
// unassigned: null, "", an empty list or an empty complex value.
func value(a *schema.Attribute, v any) (any, error) {
	v, err := plain(v)
	if err != nil || v == nil {
		return nil, err
	}
	if !a.MultiValued {
		return single(a, v)
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		e, err := plain(e)
		if err != nil {
			return nil, err
		}
		if e, err = single(a, e); err != nil {
			return nil, err
		}
		if e != nil {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func single(a *schema.Attribute, v any) (any, error) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil, nil
		}
	case []any:
		if len(x) == 0 {
			return nil, nil
		}
	case map[string]any:
		if a.Type != schema.Complex {
			return v, nil
		}
		out := map[string]any{}
		if err := takeAll(out, a.SubAttributes, x); err != nil {
			return nil, err
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return v, nil
}

// plain turns a Go value into its JSON form (string, bool, json.Number,
// nil, []any, map[string]any) one level deep: the common types directly,
// anything else through encoding/json, as elimity's server would encode
// it.
func plain(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, json.Number, []any, map[string]any:
		return v, nil
	case escim.ResourceAttributes:
		return map[string]any(x), nil
	case []map[string]any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case int:
		return json.Number(strconv.Itoa(x)), nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("a number that JSON cannot hold")
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}
