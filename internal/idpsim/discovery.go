package idpsim

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// discover replays what Entra reads when a provisioning configuration is
// saved: /ServiceProviderConfig (PATCH and filtering must be supported)
// and /Schemas, where every mapped attribute must be advertised (the
// Microsoft validator's Schema_Discoverability test) along with the Group
// schema.
func (s *simulation) discover(ctx context.Context) {
	o := s.begin("tenant", s.cfg.BaseURL, "schema discovery")
	defer func() {
		if !o.failed() {
			s.log.printf("Schema discovery succeeded")
		}
		o.endCheck()
	}()
	if r, ok := s.call(ctx, o, kGet, http.MethodGet, "/ServiceProviderConfig", nil, "GET /ServiceProviderConfig", http.StatusOK); ok {
		if doc := o.object(r, "GET /ServiceProviderConfig"); doc != nil {
			for _, feature := range []string{"patch", "filter"} {
				f, _ := doc[feature].(map[string]any)
				if f["supported"] != true {
					o.fail(fmt.Sprintf("ServiceProviderConfig says %s is not supported: Entra requires it", feature), "%s: %s = %s", r, feature, show(doc[feature]))
				}
			}
		}
	}
	r, ok := s.call(ctx, o, kGet, http.MethodGet, "/Schemas", nil, "GET /Schemas", http.StatusOK)
	if !ok {
		return
	}
	doc := o.object(r, "GET /Schemas")
	if doc == nil {
		return
	}
	if !hasString(doc["schemas"], listURN) {
		o.fail("/Schemas is not a ListResponse: Entra reads it as one", "%s: schemas = %s", r, show(doc["schemas"]))
	}
	byID := map[string]map[string]any{}
	list, _ := doc["Resources"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if id, _ := m["id"].(string); id != "" {
				byID[strings.ToLower(id)] = m
			}
		}
	}
	var extra []string
	for _, sc := range []struct {
		urn   string
		attrs []string // name or parent.sub
	}{
		{userURN, userSchemaAttrs()},
		{entURN, entSchemaAttrs()},
		{groupURN, []string{"displayName", "members", "members.value"}},
	} {
		schema := byID[strings.ToLower(sc.urn)]
		if schema == nil {
			reason := "schema " + sc.urn + " missing from /Schemas: the mapped attributes cannot be discovered"
			if sc.urn == groupURN {
				reason = "Group schema missing from /Schemas: the gallery group tests fail"
			}
			o.fail(reason, "%s", r)
			continue
		}
		adv := advertised(schema)
		for _, a := range sc.attrs {
			if !adv[strings.ToLower(a)] {
				o.fail(a+" missing from /Schemas: the validator's Schema_Discoverability test fails", "%s: schema %s", r, sc.urn)
			}
		}
		if sc.urn == userURN {
			extra = append(extra, unmappedSubs(schema)...)
		}
	}
	if len(extra) > 0 && s.cfg.Mode.entra() {
		slices.Sort(extra)
		s.note("/Schemas advertises %s, outside the Juno Journey mapping: Microsoft's validator has rejected such sub-attributes (\"... is not supported by the SCIM protocol\")", strings.Join(extra, ", "))
	}
}

// advertised lists a schema's attributes and sub-attributes, lower-cased,
// as "name" and "name.sub".
func advertised(schema map[string]any) map[string]bool {
	out := map[string]bool{}
	list, _ := schema["attributes"].([]any)
	for _, e := range list {
		a, _ := e.(map[string]any)
		name, _ := a["name"].(string)
		if name == "" {
			continue
		}
		out[strings.ToLower(name)] = true
		subs, _ := a["subAttributes"].([]any)
		for _, se := range subs {
			sa, _ := se.(map[string]any)
			if sn, _ := sa["name"].(string); sn != "" {
				out[strings.ToLower(name+"."+sn)] = true
			}
		}
	}
	return out
}

// userSchemaAttrs are the core User attributes of the mapping, as
// "name" and "parent.sub" (lower-cased for lookup).
func userSchemaAttrs() []string {
	set := map[string]bool{"username": true, "active": true}
	for _, d := range attrs {
		switch d.kind {
		case simple:
			set[strings.ToLower(d.name)] = true
		case sub:
			set[strings.ToLower(d.parent)] = true
			set[strings.ToLower(d.parent+"."+d.name)] = true
		case typed:
			set[strings.ToLower(d.parent)] = true
			set[strings.ToLower(d.parent+"."+d.name)] = true
			set[strings.ToLower(d.parent+".type")] = true
		}
	}
	return sortedKeys(set)
}

// entSchemaAttrs are the enterprise extension attributes of the mapping.
func entSchemaAttrs() []string {
	set := map[string]bool{"manager": true, "manager.value": true}
	for _, d := range attrs {
		if d.kind == ext {
			set[strings.ToLower(d.name)] = true
		}
	}
	return sortedKeys(set)
}

// unmappedSubs lists the sub-attributes a User schema advertises for the
// typed multi-valued attributes of the mapping beyond what the mapping
// uses (value, type, primary and the mapped address parts).
func unmappedSubs(schema map[string]any) []string {
	var out []string
	list, _ := schema["attributes"].([]any)
	for _, e := range list {
		a, _ := e.(map[string]any)
		name, _ := a["name"].(string)
		subs, _ := a["subAttributes"].([]any)
		for _, se := range subs {
			sa, _ := se.(map[string]any)
			sn, _ := sa["name"].(string)
			if mappedTyped(name, "") && !mappedTyped(name, sn) && !slices.Contains([]string{"value", "type", "primary"}, strings.ToLower(sn)) {
				out = append(out, name+"."+sn)
			}
		}
	}
	return out
}

// mappedTyped reports whether the mapping uses typed attribute parent (and
// its sub-attribute sub, unless sub is empty).
func mappedTyped(parent, sub string) bool {
	for _, d := range attrs {
		if d.kind == typed && strings.EqualFold(d.parent, parent) && (sub == "" || strings.EqualFold(d.name, sub)) {
			return true
		}
	}
	return false
}
