package idpsim

// mustJSON encodes a request body; the bodies are built from plain values
// and cannot fail to encode.
func mustJSON(v any) []byte {
	b, err := appendJSON(make([]byte, 0, 512), v)
	if err != nil {
		panic("entrasim: encoding a request body: " + err.Error())
	}
	return b
}

// opName spells a PATCH op as the mode does: Entra legacy capitalises.
func (s *simulation) opName(op string) string {
	if s.cfg.Mode == EntraLegacy {
		return string(op[0]-'a'+'A') + op[1:]
	}
	return op
}

// patchBody wraps operations in a PatchOp message.
func patchBody(ops ...obj) []byte {
	return mustJSON(obj{{"schemas", []string{patchURN}}, {"Operations", ops}})
}

// userResource is user i as a whole resource: the POST body (create) or
// Okta's PUT body (id set).
func (s *simulation) userResource(i int, put bool) []byte {
	u := &s.users[i]
	val := func(a int) (string, bool) {
		if u.gens[a] == 0 {
			return "", false
		}
		return s.value(a, i, u.gens[a]), true
	}
	schemas := []string{userURN, entURN}
	body := obj{{"schemas", schemas}}
	if put {
		body = append(body, kv{"id", u.id})
	}
	body = append(body, kv{"externalId", s.externalID(i)}, kv{"userName", s.userName(i, u.nameGen)}, kv{"active", u.active})
	var name obj
	var emails, addrs, phones []obj
	var work obj
	var ent obj
	for a := range attrs {
		v, ok := val(a)
		if !ok {
			continue
		}
		d := &attrs[a]
		switch {
		case d.kind == simple:
			body = append(body, kv{d.name, v})
		case d.kind == sub:
			name = append(name, kv{d.name, v})
		case d.kind == ext:
			ent = append(ent, kv{d.name, v})
		case d.parent == "emails":
			emails = append(emails, obj{{"primary", true}, {"type", d.typ}, {"value", v}})
		case d.parent == "addresses":
			if work == nil {
				work = obj{{"type", "work"}}
			}
			work = append(work, kv{d.name, v})
		case d.parent == "phoneNumbers":
			phones = append(phones, obj{{"type", d.typ}, {"value", v}})
		}
	}
	if work != nil {
		addrs = append(addrs, work)
	}
	if len(emails) > 0 {
		body = append(body, kv{"emails", emails})
	}
	if len(addrs) > 0 {
		body = append(body, kv{"addresses", addrs})
	}
	if len(name) > 0 {
		body = append(body, kv{"name", name})
	}
	if len(phones) > 0 {
		body = append(body, kv{"phoneNumbers", phones})
	}
	if put && u.manager >= 0 && u.mgrSet {
		ent = append(ent, kv{"manager", obj{{"value", s.users[u.manager].id}}})
	}
	if len(ent) > 0 {
		body = append(body, kv{entURN, ent})
	}
	if s.cfg.Mode == Okta {
		if !put {
			body = append(body, kv{"password", s.password(i)}, kv{"groups", []any{}})
		}
		body = append(body, kv{"locale", "en-US"})
	} else {
		body = append(body, kv{"meta", obj{{"resourceType", "User"}}}, kv{"roles", []any{}})
	}
	return mustJSON(body)
}

// attrOps are Entra's PATCH operations for changed attributes of user i; old holds
// the generations before the change (0: the attribute gains a value, so the
// op is Add). Legacy sends one op per attribute with an explicit path;
// the flag form keeps typed value paths and folds the rest into path-less
// ops keyed by path.
func (s *simulation) attrOps(i int, changed []int, old []uint16) []obj {
	u := &s.users[i]
	var ops []obj
	var repl, add obj
	for k, a := range changed {
		d := &attrs[a]
		v := s.value(a, i, u.gens[a])
		op := "replace"
		if old[k] == 0 {
			op = "add"
		}
		if s.cfg.Mode == EntraFlag && d.kind != typed {
			if op == "add" {
				add = append(add, kv{d.path, v})
			} else {
				repl = append(repl, kv{d.path, v})
			}
			continue
		}
		ops = append(ops, obj{{"op", s.opName(op)}, {"path", d.path}, {"value", v}})
	}
	if len(repl) > 0 {
		ops = append(ops, obj{{"op", "replace"}, {"value", repl}})
	}
	if len(add) > 0 {
		ops = append(ops, obj{{"op", "add"}, {"value", add}})
	}
	return ops
}

// managerPatch sets the manager reference as Entra does: the manager's id
// as a bare string at the URN-qualified path.
func (s *simulation) managerPatch(mgrID string, first bool) []byte {
	op := "replace"
	if first {
		op = "add"
	}
	return patchBody(obj{{"op", s.opName(op)}, {"path", managerKey}, {"value", mgrID}})
}

// activeOp disables or re-enables a user: legacy "True"/"False"
// strings, flag booleans, Okta a path-less replace.
func (s *simulation) activeOp(active bool) obj {
	switch s.cfg.Mode {
	case EntraLegacy:
		v := "False"
		if active {
			v = "True"
		}
		return obj{{"op", "Replace"}, {"path", "active"}, {"value", v}}
	case EntraFlag:
		return obj{{"op", "replace"}, {"path", "active"}, {"value", active}}
	}
	return obj{{"op", "replace"}, {"value", obj{{"active", active}}}}
}

// renameOp changes the userName (Entra forms).
func (s *simulation) renameOp(userName string) obj {
	if s.cfg.Mode == EntraFlag {
		return obj{{"op", "replace"}, {"value", obj{{"userName", userName}}}}
	}
	return obj{{"op", "Replace"}, {"path", "userName"}, {"value", userName}}
}

// groupResource is the POST /Groups body: Entra adds its own schema URI and
// meta, Okta's Group Push an empty members list.
func (s *simulation) groupResource(g int) []byte {
	name := s.groupName(g, s.groups[g].nameGen)
	if s.cfg.Mode == Okta {
		return mustJSON(obj{{"schemas", []string{groupURN}}, {"displayName", name}, {"members", []any{}}})
	}
	return mustJSON(obj{{"schemas", []string{groupURN, msGroupURN}}, {"externalId", s.groupExternalID(g)},
		{"displayName", name}, {"meta", obj{{"resourceType", "Group"}}}})
}

// groupRenameOp is the op renaming group g to its current name. Okta
// re-sends id and displayName path-less with every group PATCH.
func (s *simulation) groupRenameOp(g int) obj {
	gm := &s.groups[g]
	name := s.groupName(g, gm.nameGen)
	switch s.cfg.Mode {
	case Okta:
		return obj{{"op", "replace"}, {"value", obj{{"id", gm.id}, {"displayName", name}}}}
	case EntraFlag:
		return obj{{"op", "replace"}, {"value", obj{{"displayName", name}}}}
	}
	return obj{{"op", "Replace"}, {"path", "displayName"}, {"value", name}}
}

// memberAddOp adds users to a group: Entra with a "$ref": null per member,
// Okta with each member's display name.
func (s *simulation) memberAddOp(users []int32) obj {
	vals := make([]obj, len(users))
	for k, j := range users {
		u := &s.users[j]
		switch s.cfg.Mode {
		case EntraLegacy:
			vals[k] = obj{{"$ref", nil}, {"value", u.id}}
		case EntraFlag:
			vals[k] = obj{{"value", u.id}}
		default:
			dn := s.userName(int(j), u.nameGen)
			if u.gens[0] > 0 {
				dn = s.value(0, int(j), u.gens[0])
			}
			vals[k] = obj{{"value", u.id}, {"display", dn}}
		}
	}
	return obj{{"op", s.opName("add")}, {"path", "members"}, {"value", vals}}
}

// memberRemoveOps removes members: legacy one Remove with a value list;
// flag and Okta one remove per member by a value filter.
func (s *simulation) memberRemoveOps(ids []string) []obj {
	if s.cfg.Mode == EntraLegacy {
		vals := make([]obj, len(ids))
		for k, id := range ids {
			vals[k] = obj{{"value", id}}
		}
		return []obj{{{"op", "Remove"}, {"path", "members"}, {"value", vals}}}
	}
	ops := make([]obj, len(ids))
	for k, id := range ids {
		ops[k] = obj{{"op", "remove"}, {"path", "members[value eq " + quoteFilter(id) + "]"}}
	}
	return ops
}
