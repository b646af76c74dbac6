package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/scimkit/scim/store/sqlstore"
)

// schemaV1 is Juno's own schema, as it was before SCIM: customers (the
// companies that buy Juno), their accounts, teams, courses, enrolments and
// login sessions. Nothing here is shaped like SCIM: accounts have a status,
// a work email and a job title, teams have a name.
const schemaV1 = `
CREATE TABLE customers (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TABLE accounts (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	customer_id TEXT NOT NULL REFERENCES customers(id),
	login       TEXT NOT NULL,
	full_name   TEXT NOT NULL DEFAULT '',
	given_name  TEXT NOT NULL DEFAULT '',
	family_name TEXT NOT NULL DEFAULT '',
	job_title   TEXT NOT NULL DEFAULT '',
	language    TEXT NOT NULL DEFAULT '',
	department  TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL DEFAULT 'active',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE TABLE teams (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	customer_id TEXT NOT NULL REFERENCES customers(id),
	name        TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE TABLE team_members (
	team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	added_at   INTEGER NOT NULL,
	PRIMARY KEY (team_id, account_id)
);
CREATE INDEX team_members_account ON team_members(account_id);
CREATE TABLE courses (
	id          TEXT PRIMARY KEY,
	customer_id TEXT NOT NULL REFERENCES customers(id),
	title       TEXT NOT NULL,
	level       TEXT NOT NULL
);
CREATE TABLE enrolments (
	course_id   TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
	account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	enrolled_at INTEGER NOT NULL,
	PRIMARY KEY (course_id, account_id)
);
CREATE TABLE sessions (
	id_hash    TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE TABLE admins (
	login         TEXT PRIMARY KEY,
	password_hash TEXT NOT NULL
);
CREATE TABLE admin_sessions (
	id_hash    TEXT PRIMARY KEY,
	login      TEXT NOT NULL REFERENCES admins(login) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
`

// schemaV2 is what adding SCIM took: columns for the attributes of the Juno
// Journey mapping that Juno had no column for, the learner extension's
// columns, a version per row for ETags, the userName's comparison key, a
// table for the several emails, phone numbers and addresses a directory
// sends, a JSON column for the attributes Juno does not use (kept so
// that they read back as the identity provider wrote them), and the
// customers' SCIM tokens.
const schemaV2 = `
ALTER TABLE accounts ADD COLUMN login_key TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN directory_id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN middle_name TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN name_formatted TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN employee_number TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN cost_center TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN division TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN organization TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN manager_id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN learner_level TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN mentor_id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN hr_employee_id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN scim_extra TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
UPDATE accounts SET login_key = lower(login);
CREATE UNIQUE INDEX accounts_login ON accounts(customer_id, login_key);
CREATE INDEX accounts_directory ON accounts(customer_id, directory_id);
CREATE INDEX accounts_customer ON accounts(customer_id, seq);
CREATE TABLE account_contacts (
	account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL,
	pos         INTEGER NOT NULL,
	type        TEXT NOT NULL DEFAULT '',
	value       TEXT NOT NULL DEFAULT '',
	display     TEXT NOT NULL DEFAULT '',
	is_primary  INTEGER NOT NULL DEFAULT 0,
	street      TEXT NOT NULL DEFAULT '',
	locality    TEXT NOT NULL DEFAULT '',
	region      TEXT NOT NULL DEFAULT '',
	postal_code TEXT NOT NULL DEFAULT '',
	country     TEXT NOT NULL DEFAULT '',
	formatted   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, kind, pos)
);
CREATE INDEX account_contacts_value ON account_contacts(kind, value);
ALTER TABLE teams ADD COLUMN directory_id TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN scim_extra TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX teams_customer ON teams(customer_id, seq);
ALTER TABLE teams ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE teams SET name_key = lower(name);
CREATE INDEX teams_name ON teams(customer_id, name_key);
CREATE INDEX teams_directory ON teams(customer_id, directory_id);
ALTER TABLE team_members ADD COLUMN scim_display TEXT NOT NULL DEFAULT '';
ALTER TABLE team_members ADD COLUMN scim_type TEXT NOT NULL DEFAULT '';
ALTER TABLE team_members ADD COLUMN pos INTEGER NOT NULL DEFAULT 0;
CREATE TABLE scim_tokens (
	customer_id TEXT NOT NULL,
	id          TEXT NOT NULL,
	digest      TEXT NOT NULL UNIQUE,
	label       TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL DEFAULT 0,
	last_used   INTEGER NOT NULL DEFAULT 0,
	revoked_at  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (customer_id, id)
);
`

// schemaV3 adds OAuth 2.0 clients for gallery apps (the client
// credentials grant): each customer's clients and their secrets, as
// digests. Their access tokens are rows of scim_tokens.
const schemaV3 = `
CREATE TABLE oauth_clients (
	id          TEXT PRIMARY KEY,
	customer_id TEXT NOT NULL,
	label       TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE INDEX oauth_clients_customer ON oauth_clients(customer_id, created_at, id);
CREATE TABLE oauth_client_secrets (
	client_id  TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
	id         TEXT NOT NULL,
	digest     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL DEFAULT 0,
	revoked_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (client_id, id)
);
`

// migrations are applied in order, each once, in one transaction each;
// PRAGMA user_version counts those applied.
var migrations = []string{schemaV1, schemaV2, schemaV3}

// openDB opens (creating it readable by its owner only) the SQLite file at
// path and brings its schema up to date. Two connections: one for Juno,
// whose transactions take their turns on it (SQLite takes one writer at a
// time anyway), and one the provisioning log's background writer keeps.
// Every transaction begins IMMEDIATE, taking the write lock first, so
// that one that reads before it writes never fails because the other
// connection committed in between (busy_timeout waits for the lock).
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path)+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(2)
	db.SetConnMaxLifetime(0)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	var have int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return err
	}
	for i := have; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("juno: migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in a transaction, committed when fn returns nil.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// newID returns a random version 4 UUID, Juno's id for every row.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomToken returns n random bytes, hex-encoded: session ids, CSRF tokens.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// nanos and fromNanos store times as Unix nanoseconds, so that a time
// read back equals the one written.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// now returns the current time at the precision stored.
func now() time.Time { return fromNanos(time.Now().UnixNano()) }
