package sqlstore

// SQL that differs between the dialects. Everything else is written once,
// with ? placeholders that rebind numbers for PostgreSQL.

// greatest is the two-argument maximum.
func (d Dialect) greatest(a, b string) string {
	if d == Postgres {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "max(" + a + ", " + b + ")"
}

// inList is "col IN" the strings of a JSON array bound as one parameter.
func (d Dialect) inList(col string) string {
	if d == Postgres {
		return col + " IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))"
	}
	return col + " IN (SELECT value FROM json_each(?))"
}

// inInts is inList for an integer column and a JSON array of integers.
func (d Dialect) inInts(col string) string {
	if d == Postgres {
		return col + " IN (SELECT CAST(jsonb_array_elements_text(CAST(? AS jsonb)) AS bigint))"
	}
	return col + " IN (SELECT value FROM json_each(?))"
}

// lock returns a row-locking clause for PostgreSQL. SQLite needs none:
// its single writer already serialises every write.
func (d Dialect) lock(mode string) string {
	if d == Postgres {
		return " FOR " + mode
	}
	return ""
}

// upsertMembers inserts the [value, display, type] triples of a JSON array
// as members of one group, updating display and type of members already
// there. The triples must have distinct values.
func (d Dialect) upsertMembers() string {
	if d == Postgres {
		return `INSERT INTO scim_group_members (tenant, group_id, user_id, display, type)
			SELECT ?, ?, e->>0, e->>1, e->>2 FROM jsonb_array_elements(CAST(? AS jsonb)) AS e
			ON CONFLICT (tenant, group_id, user_id) DO UPDATE SET display = EXCLUDED.display, type = EXCLUDED.type`
	}
	// "WHERE true" keeps SQLite from reading ON CONFLICT as a join clause.
	return `INSERT INTO scim_group_members (tenant, group_id, user_id, display, type)
		SELECT ?, ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
		FROM json_each(?) WHERE true
		ON CONFLICT (tenant, group_id, user_id) DO UPDATE SET display = excluded.display, type = excluded.type`
}

// groupsOf is a scalar subquery giving the groups of the user row u as a
// JSON array of [id, displayName] in group creation order, or NULL or []
// when there are none.
func (d Dialect) groupsOf(u string) string {
	if d == Postgres {
		return `(SELECT json_agg(json_build_array(g.id, g.display_name) ORDER BY g.seq)
			FROM scim_group_members m JOIN scim_groups g ON g.tenant = m.tenant AND g.id = m.group_id
			WHERE m.tenant = ` + u + `.tenant AND m.user_id = ` + u + `.id)`
	}
	return `(SELECT json_group_array(json_array(x.id, x.display_name)) FROM (
			SELECT g.id, g.display_name
			FROM scim_group_members m JOIN scim_groups g ON g.tenant = m.tenant AND g.id = m.group_id
			WHERE m.tenant = ` + u + `.tenant AND m.user_id = ` + u + `.id ORDER BY g.seq) AS x)`
}

// membersOf is a scalar subquery giving the members of the group row g as
// a JSON array of [value, display, type], or NULL or [] when there are
// none.
func (d Dialect) membersOf(g string) string {
	if d == Postgres {
		return `(SELECT json_agg(json_build_array(m.user_id, m.display, m.type) ORDER BY m.user_id)
			FROM scim_group_members m WHERE m.tenant = ` + g + `.tenant AND m.group_id = ` + g + `.id)`
	}
	return `(SELECT json_group_array(json_array(m.user_id, m.display, m.type))
			FROM scim_group_members m WHERE m.tenant = ` + g + `.tenant AND m.group_id = ` + g + `.id)`
}

// boolArg is a boolean as the dialect binds it: SQLite keeps 0 and 1.
func (d Dialect) boolArg(b bool) any {
	if d == Postgres {
		return b
	}
	if b {
		return int64(1)
	}
	return int64(0)
}
