package scim

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/scimkit/scim/schema"
)

// changePassword (Config.ChangePassword). The core User password is
// never stored, returned, logged or put in an event; with the hook set,
// a new one sent in a POST, PUT or PATCH is handed to it once, after the
// write, for the host to hash in its own system.

// takesPasswords reports whether passwords sent for rt go to the hook.
func (s *Server) takesPasswords(rt *schema.ResourceType) bool {
	return s.cfg.ChangePassword != nil && rt.Schema.ID == schema.UserURN && passwordAttr(rt) != nil
}

// passwordAttr returns rt's core password attribute, or nil.
func passwordAttr(rt *schema.ResourceType) *schema.Attribute {
	if a := rt.Schema.Attr("password"); a != nil && isPassword(rt, a) {
		return a
	}
	return nil
}

// errPasswordType answers a password that is not a string.
func errPasswordType() error {
	return Errorf(InvalidValue, "\"password\" must be a string.")
}

// bodyPassword returns the password of a POST or PUT body, if any.
func bodyPassword(body map[string]any) (pw string, ok bool, err error) {
	for k, v := range body {
		if !strings.EqualFold(k, "password") || v == nil {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			return "", false, errPasswordType()
		}
		pw, ok = s, s != ""
	}
	return pw, ok, nil
}

// patchPassword returns the last password an add or replace operation
// of ops sets, by its path or as a key of a path-less value.
func patchPassword(rt *schema.ResourceType, ops []PatchOp) (pw string, ok bool, err error) {
	for _, op := range ops {
		if op.Op != "add" && op.Op != "replace" {
			continue
		}
		if op.Path == "" {
			trimmed := bytes.TrimSpace(op.Value)
			if len(trimmed) == 0 || trimmed[0] != '{' {
				continue
			}
			m, err := decodeObject(trimmed)
			if err != nil {
				continue // the PATCH engine refuses it
			}
			p, has, err := bodyPassword(m)
			if err != nil {
				return "", false, err
			}
			if has {
				pw, ok = p, true
			}
			continue
		}
		x, found := resolveName(rt, op.Path)
		if !found || x.Extension || x.Sub != nil || x.Attr == nil || !isPassword(rt, x.Attr) {
			continue
		}
		var s string
		if err := json.Unmarshal(op.Value, &s); err != nil {
			return "", false, errPasswordType()
		}
		if s != "" {
			pw, ok = s, true
		}
	}
	return pw, ok, nil
}

// changePassword hands a password the request carried to the hook.
func (q *request) changePassword(id string) error {
	if !q.hasPassword {
		return nil
	}
	pw := q.password
	q.password, q.hasPassword = "", false
	return q.s.cfg.ChangePassword(q.r.Context(), q.tenant, id, pw)
}
