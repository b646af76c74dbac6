package filter

// TEMPORARY: signatures the filter helper implements; delete this file when done.

import "github.com/scimkit/scim/schema"

// Parse parses a filter with the default limits.
func Parse(s string) (Expr, error) { return ParseWith(s, Limits{}) }

// ParseWith parses a filter with the given limits.
func ParseWith(s string, l Limits) (Expr, error) { panic("unimplemented") }

// ParsePath parses a PATCH path with the default limits.
func ParsePath(s string) (Path, error) { panic("unimplemented") }

// Resolve checks every attribute path of e against rt and returns a copy
// with names canonicalised and Resolved set.
func Resolve(e Expr, rt *schema.ResourceType) (Expr, error) { panic("unimplemented") }

// ResolveWithin resolves e relative to the sub-attributes of the complex
// attribute parent (as a value filter's paths are).
func ResolveWithin(e Expr, parent *schema.Attribute) (Expr, error) { panic("unimplemented") }

// ResolvePath resolves a PATCH path against rt.
func ResolvePath(p Path, rt *schema.ResourceType) (Path, error) { panic("unimplemented") }

// Match reports whether the JSON-form resource (or multi-valued element)
// doc satisfies the resolved expression e.
func Match(e Expr, doc map[string]any) bool { panic("unimplemented") }
