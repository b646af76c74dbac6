package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/scimkit/scim"
)

// junoURN is Juno's own User extension: what Juno keeps about a learner.
const junoURN = "urn:ietf:params:scim:schemas:extension:junojourney:2.0:User"

// The learner extension's attributes and the accounts columns that keep
// them.
var learnerColumns = []struct{ attr, column string }{
	{"learnerLevel", "learner_level"},
	{"mentor", "mentor_id"},
	{"employeeId", "hr_employee_id"},
}

// accountColumns are the columns of accounts that a SCIM user is read
// from, in the order scanAccount reads them.
const accountColumns = `a.seq, a.id, a.login, a.full_name, a.given_name, a.family_name, a.middle_name,
	a.name_formatted, a.job_title, a.language, a.department, a.status, a.directory_id,
	a.employee_number, a.cost_center, a.division, a.organization, a.manager_id,
	a.learner_level, a.mentor_id, a.hr_employee_id, a.scim_extra, a.created_at, a.updated_at, a.version`

// account is one row of accounts in SCIM terms, with its creation
// sequence for ordering.
type account struct {
	seq  int64
	user *scim.User
}

func scanAccount(row interface{ Scan(...any) error }) (account, error) {
	var (
		a                                                  account
		u                                                  scim.User
		given, family, middle, formatted                   string
		department, status                                 string
		empNo, costCenter, division, organization, manager string
		learner                                            [3]string
		extra                                              string
		created, updated, version                          int64
	)
	err := row.Scan(&a.seq, &u.ID, &u.UserName, &u.DisplayName, &given, &family, &middle,
		&formatted, &u.Title, &u.PreferredLanguage, &department, &status, &u.ExternalID,
		&empNo, &costCenter, &division, &organization, &manager,
		&learner[0], &learner[1], &learner[2], &extra, &created, &updated, &version)
	if err != nil {
		return a, err
	}
	// The attributes Juno has no column for, as the directory sent them.
	var rest scim.User
	if extra != "" {
		if err := json.Unmarshal([]byte(extra), &rest); err != nil {
			return a, fmt.Errorf("juno: account %s: scim_extra: %w", u.ID, err)
		}
	}
	u.NickName, u.ProfileURL, u.UserType = rest.NickName, rest.ProfileURL, rest.UserType
	u.Locale, u.Timezone = rest.Locale, rest.Timezone
	u.IMs, u.Photos, u.Entitlements, u.Roles, u.X509Certificates = rest.IMs, rest.Photos, rest.Entitlements, rest.Roles, rest.X509Certificates
	u.Extensions = rest.Extensions

	u.Name = rest.Name
	if given != "" || family != "" || middle != "" || formatted != "" {
		if u.Name == nil {
			u.Name = &scim.Name{}
		}
		u.Name.GivenName, u.Name.FamilyName, u.Name.MiddleName, u.Name.Formatted = given, family, middle, formatted
	}
	switch status {
	case "active":
		u.Active = new(true)
	case "deactivated":
		u.Active = new(false)
	}
	u.Enterprise = rest.Enterprise
	if department != "" || empNo != "" || costCenter != "" || division != "" || organization != "" || manager != "" {
		if u.Enterprise == nil {
			u.Enterprise = &scim.EnterpriseUser{}
		}
		e := u.Enterprise
		e.Department, e.EmployeeNumber, e.CostCenter, e.Division, e.Organization = department, empNo, costCenter, division, organization
		if manager != "" {
			if e.Manager == nil {
				e.Manager = &scim.Manager{}
			}
			e.Manager.Value = manager
		}
	}
	for i, lc := range learnerColumns {
		if learner[i] == "" {
			continue
		}
		if u.Extensions == nil {
			u.Extensions = scim.Extensions{}
		}
		if u.Extensions[junoURN] == nil {
			u.Extensions[junoURN] = map[string]any{}
		}
		u.Extensions[junoURN][lc.attr] = learner[i]
	}
	u.Meta = scim.Meta{Created: fromNanos(created), LastModified: fromNanos(updated), Version: strconv.FormatInt(version, 10)}
	a.user = &u
	return a, nil
}

// accountRow is a user split into accounts columns.
type accountRow struct {
	given, family, middle, formatted                  string
	status                                            string
	department, empNo, costCenter, division, org, mgr string
	learner                                           [3]string
	extra                                             string
}

// splitUser maps u onto Juno's columns; what has no column goes, as JSON,
// to scim_extra.
func splitUser(u *scim.User) (accountRow, error) {
	var r accountRow
	rest := scim.User{
		NickName: u.NickName, ProfileURL: u.ProfileURL, UserType: u.UserType, Locale: u.Locale, Timezone: u.Timezone,
		IMs: u.IMs, Photos: u.Photos, Entitlements: u.Entitlements, Roles: u.Roles, X509Certificates: u.X509Certificates,
	}
	if n := u.Name; n != nil {
		r.given, r.family, r.middle, r.formatted = n.GivenName, n.FamilyName, n.MiddleName, n.Formatted
		if n.HonorificPrefix != "" || n.HonorificSuffix != "" || *n == (scim.Name{}) {
			rest.Name = &scim.Name{HonorificPrefix: n.HonorificPrefix, HonorificSuffix: n.HonorificSuffix}
		}
	}
	switch {
	case u.Active == nil:
	case *u.Active:
		r.status = "active"
	default:
		r.status = "deactivated"
	}
	if e := u.Enterprise; e != nil {
		r.department, r.empNo, r.costCenter, r.division, r.org = e.Department, e.EmployeeNumber, e.CostCenter, e.Division, e.Organization
		var restMgr *scim.Manager
		if m := e.Manager; m != nil {
			r.mgr = m.Value
			if m.Ref != "" || m.DisplayName != "" || m.Value == "" {
				restMgr = &scim.Manager{Ref: m.Ref, DisplayName: m.DisplayName}
			}
		}
		// Keep the extension's presence when no column says it is there.
		if restMgr != nil || (r.department == "" && r.empNo == "" && r.costCenter == "" && r.division == "" && r.org == "" && r.mgr == "") {
			rest.Enterprise = &scim.EnterpriseUser{Manager: restMgr}
		}
	}
	for urn, vals := range u.Extensions {
		if urn != junoURN {
			if rest.Extensions == nil {
				rest.Extensions = scim.Extensions{}
			}
			rest.Extensions[urn] = vals
			continue
		}
		left := map[string]any{}
		for k, v := range vals {
			left[k] = v
		}
		for i, lc := range learnerColumns {
			if s, ok := left[lc.attr].(string); ok && s != "" {
				r.learner[i] = s
				delete(left, lc.attr)
			}
		}
		if len(left) > 0 || (r.learner == [3]string{}) {
			if rest.Extensions == nil {
				rest.Extensions = scim.Extensions{}
			}
			rest.Extensions[urn] = left
		}
	}
	b, err := json.Marshal(rest)
	if err != nil {
		return r, err
	}
	r.extra = string(b)
	return r, nil
}

// userStore is the scim.UserStore half of store, over accounts.
type userStore struct{ db *sql.DB }

func (s *userStore) CreateUser(ctx context.Context, tenant string, u *scim.User) (*scim.User, error) {
	r, err := splitUser(u)
	if err != nil {
		return nil, err
	}
	id, at := newID(), now()
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := ensureCustomer(ctx, tx, tenant, at); err != nil {
			return err
		}
		if err := checkLogin(ctx, tx, tenant, "", u.UserName); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, customer_id, login, login_key, full_name, given_name, family_name,
			middle_name, name_formatted, job_title, language, department, status, directory_id, employee_number, cost_center,
			division, organization, manager_id, learner_level, mentor_id, hr_employee_id, scim_extra, created_at, updated_at, version)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)`,
			id, tenant, u.UserName, scim.FoldUserName(u.UserName), u.DisplayName, r.given, r.family,
			r.middle, r.formatted, u.Title, u.PreferredLanguage, r.department, r.status, u.ExternalID, r.empNo, r.costCenter,
			r.division, r.org, r.mgr, r.learner[0], r.learner[1], r.learner[2], r.extra, nanos(at), nanos(at))
		if err != nil {
			return err
		}
		return putContacts(ctx, tx, id, u)
	})
	if err != nil {
		return nil, err
	}
	return s.GetUser(ctx, tenant, id)
}

// checkLogin returns scim.ErrConflict when another account of tenant than
// self has the login's key. The unique index says the same; asking first
// gives the error its name.
func checkLogin(ctx context.Context, tx *sql.Tx, tenant, self, login string) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE customer_id = ? AND login_key = ? AND id <> ?`,
		tenant, scim.FoldUserName(login), self).Scan(&n)
	if err == nil && n > 0 {
		return scim.ErrConflict
	}
	return err
}

func ensureCustomer(ctx context.Context, tx *sql.Tx, tenant string, at interface{ UnixNano() int64 }) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO customers (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		tenant, tenant, at.UnixNano())
	return err
}

// putContacts replaces the account's emails, phone numbers and addresses.
func putContacts(ctx context.Context, tx *sql.Tx, id string, u *scim.User) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_contacts WHERE account_id = ?`, id); err != nil {
		return err
	}
	const ins = `INSERT INTO account_contacts (account_id, kind, pos, type, value, display, is_primary,
		street, locality, region, postal_code, country, formatted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`
	for kind, list := range map[string][]scim.MultiValue{"email": u.Emails, "phone": u.PhoneNumbers} {
		for i, v := range list {
			if _, err := tx.ExecContext(ctx, ins, id, kind, i, v.Type, v.Value, v.Display, v.Primary, "", "", "", "", "", ""); err != nil {
				return err
			}
		}
	}
	for i, a := range u.Addresses {
		if _, err := tx.ExecContext(ctx, ins, id, "address", i, a.Type, "", "", a.Primary,
			a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country, a.Formatted); err != nil {
			return err
		}
	}
	return nil
}

func (s *userStore) GetUser(ctx context.Context, tenant, id string) (*scim.User, error) {
	as, err := loadAccounts(ctx, s.db, "a.customer_id = ? AND a.id = ?", tenant, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, scim.ErrNotFound
	}
	return as[0].user, nil
}

// loadAccounts reads the accounts that where (over accounts a) selects,
// in creation order, with their contacts and teams: three queries
// whatever their number.
func loadAccounts(ctx context.Context, db *sql.DB, where string, args ...any) (out []account, err error) {
	err = inTx(ctx, db, func(tx *sql.Tx) error {
		out, err = loadAccountsTx(ctx, tx, where, args...)
		return err
	})
	return out, err
}

func loadAccountsTx(ctx context.Context, db *sql.Tx, where string, args ...any) ([]account, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE `+where+` ORDER BY a.seq`, args...)
	if err != nil {
		return nil, err
	}
	var out []account
	byID := map[string]*scim.User{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, a)
		byID[a.user.ID] = a.user
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	rows, err = db.QueryContext(ctx, `SELECT c.account_id, c.kind, c.type, c.value, c.display, c.is_primary,
		c.street, c.locality, c.region, c.postal_code, c.country, c.formatted
		FROM account_contacts c JOIN accounts a ON a.id = c.account_id WHERE `+where+` ORDER BY c.account_id, c.kind, c.pos`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, kind string
		var v scim.MultiValue
		var ad scim.Address
		if err := rows.Scan(&id, &kind, &v.Type, &v.Value, &v.Display, &v.Primary,
			&ad.StreetAddress, &ad.Locality, &ad.Region, &ad.PostalCode, &ad.Country, &ad.Formatted); err != nil {
			rows.Close()
			return nil, err
		}
		u := byID[id]
		switch kind {
		case "email":
			u.Emails = append(u.Emails, v)
		case "phone":
			u.PhoneNumbers = append(u.PhoneNumbers, v)
		case "address":
			ad.Type, ad.Primary = v.Type, v.Primary
			u.Addresses = append(u.Addresses, ad)
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, `SELECT m.account_id, t.id, t.name FROM team_members m
		JOIN teams t ON t.id = m.team_id JOIN accounts a ON a.id = m.account_id WHERE `+where+` ORDER BY t.seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var g scim.GroupRef
		if err := rows.Scan(&id, &g.Value, &g.Display); err != nil {
			return nil, err
		}
		g.Type = "direct"
		byID[id].Groups = append(byID[id].Groups, g)
	}
	return out, rows.Err()
}

func (s *userStore) ReplaceUser(ctx context.Context, tenant string, u *scim.User, ifVersion string) (*scim.User, error) {
	r, err := splitUser(u)
	if err != nil {
		return nil, err
	}
	at := now()
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "accounts", tenant, u.ID, ifVersion); err != nil {
			return err
		}
		if err := checkLogin(ctx, tx, tenant, u.ID, u.UserName); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET login = ?, login_key = ?, full_name = ?, given_name = ?, family_name = ?,
			middle_name = ?, name_formatted = ?, job_title = ?, language = ?, department = ?, status = ?, directory_id = ?,
			employee_number = ?, cost_center = ?, division = ?, organization = ?, manager_id = ?, learner_level = ?,
			mentor_id = ?, hr_employee_id = ?, scim_extra = ?, updated_at = ?, version = version + 1
			WHERE customer_id = ? AND id = ?`,
			u.UserName, scim.FoldUserName(u.UserName), u.DisplayName, r.given, r.family,
			r.middle, r.formatted, u.Title, u.PreferredLanguage, r.department, r.status, u.ExternalID,
			r.empNo, r.costCenter, r.division, r.org, r.mgr, r.learner[0],
			r.learner[1], r.learner[2], r.extra, nanos(at), tenant, u.ID)
		if err != nil {
			return err
		}
		return putContacts(ctx, tx, u.ID, u)
	})
	if err != nil {
		return nil, err
	}
	return s.GetUser(ctx, tenant, u.ID)
}

// checkVersion returns scim.ErrNotFound when table has no row id of
// tenant, and scim.ErrVersionMismatch when ifVersion is set and is not
// the row's version.
func checkVersion(ctx context.Context, tx *sql.Tx, table, tenant, id, ifVersion string) error {
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM `+table+` WHERE customer_id = ? AND id = ?`, tenant, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return scim.ErrNotFound
	}
	if err != nil {
		return err
	}
	if ifVersion != "" && ifVersion != strconv.FormatInt(v, 10) {
		return scim.ErrVersionMismatch
	}
	return nil
}

func (s *userStore) DeleteUser(ctx context.Context, tenant, id, ifVersion string) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "accounts", tenant, id, ifVersion); err != nil {
			return err
		}
		at := nanos(now())
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET version = version + 1, updated_at = ?
			WHERE id IN (SELECT team_id FROM team_members WHERE account_id = ?)`, at, id); err != nil {
			return err
		}
		// Memberships, contacts, enrolments and sessions go with the
		// account (ON DELETE CASCADE).
		_, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE customer_id = ? AND id = ?`, tenant, id)
		return err
	})
}

func (s *userStore) ListUsers(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.User], error) {
	where, args := "a.customer_id = ?", []any{tenant}
	if col, v, ok := accountLookup(q); ok {
		where += " AND " + col
		args = append(args, v)
	}
	as, err := loadAccounts(ctx, s.db, where, args...)
	if err != nil {
		return nil, err
	}
	return page(as, q,
		func(a account) bool { return scim.MatchUser(q.Filter, a.user) },
		func(a account) scim.SortKey { return scim.UserSortKey(q.SortBy, a.user) },
		func(a account) (int64, *scim.User) { return a.seq, a.user })
}

// accountLookup narrows a list to the rows an index finds, for the
// lookups identity providers send on every cycle (userName eq,
// externalId eq, id eq, alone or in an and). The whole filter is still
// evaluated on what it finds.
func accountLookup(q scim.Query) (cond string, v string, ok bool) {
	for _, c := range conjuncts(q.Filter) {
		if s, ok := eqString(c, "userName"); ok {
			return "a.login_key = ?", scim.FoldUserName(s), true
		}
		if s, ok := eqString(c, "id"); ok {
			return "a.id = ?", strings.ToLower(s), true // ids are lower case
		}
		if s, ok := eqString(c, "externalId"); ok && caseExact(c) {
			return "a.directory_id = ?", s, true
		}
	}
	return "", "", false
}
