package scim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/scimkit/scim/schema"
)

// resources returns the resource types cfg serves, in /ResourceTypes
// order: the built-in User and Group over Config.Store, except where a
// Config.Resources entry serves the same endpoint, then the host's.
func resources(cfg Config) ([]Resource, error) {
	hosted := map[string]bool{}
	for _, r := range cfg.Resources {
		if r.Type == nil || r.Handler == nil || r.Type.Schema == nil {
			return nil, errors.New("scim: a Config.Resources entry needs Type (with Schema) and Handler")
		}
		hosted[endpointKey(r.Type)] = true
	}
	var out []Resource
	if cfg.Store == nil {
		if len(cfg.Resources) == 0 {
			return nil, errors.New("scim: Config.Store is nil and Config.Resources is empty, so there is nothing to serve; use memory.New() to try things out")
		}
	}
	builtins := []struct {
		rt      *schema.ResourceType
		exts    []schema.Extension
		field   string
		handler func() ResourceHandler
	}{
		{schema.User(), cfg.UserExtensions, "UserExtensions", func() ResourceHandler { return UserHandler(cfg.Store) }},
		{schema.Group(), cfg.GroupExtensions, "GroupExtensions", func() ResourceHandler { return GroupHandler(cfg.Store) }},
	}
	var served []*schema.ResourceType
	for _, b := range builtins {
		if cfg.Store == nil || hosted[endpointKey(b.rt)] {
			if len(b.exts) > 0 {
				return nil, fmt.Errorf("scim: Config.%s extends the built-in %s resource type, which Config.Store serves; a Config.Resources entry for %s takes its extensions in its Type", b.field, b.rt.Name, b.rt.Endpoint)
			}
			continue
		}
		b.rt.Extensions = append(b.rt.Extensions, b.exts...)
		served = append(served, b.rt)
		_, recorded := cfg.Store.(Outbox)
		out = append(out, Resource{Type: b.rt, Handler: b.handler(), recorded: recorded})
	}
	if cfg.Store != nil {
		if err := useIndexes(cfg.Store, served...); err != nil {
			return nil, err
		}
	}
	out = append(out, cfg.Resources...)
	for _, r := range out {
		if err := checkResourceType(r.Type); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// endpointKey is how endpoints are compared: case-insensitively, without
// slashes.
func endpointKey(rt *schema.ResourceType) string {
	return strings.ToLower(strings.Trim(rt.Endpoint, "/"))
}

// checkResourceType refuses a resource type the server cannot serve.
func checkResourceType(rt *schema.ResourceType) error {
	if err := rt.Validate(); err != nil {
		return fmt.Errorf("scim: %w", err)
	}
	return nil
}
