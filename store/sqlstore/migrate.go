package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// migration is one schema step. Each runs in its own transaction together
// with the row that records it, so a crash leaves either the previous
// version or this one, never half of it; both dialects have transactional
// DDL.
type migration struct {
	version int
	name    string
	stmts   []string
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS scim_schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

// sqliteMigrations is the SQLite schema history. Never edit a released
// step: append a new one.
//
// Users and groups are rowid tables whose rowid (seq) gives creation
// order; (tenant, id) is their unique key. Unique keys are named indexes
// (not table constraints) so that query plans name them. Times are Unix nanoseconds, so
// they round-trip exactly. Folded columns hold filter.Fold of the value,
// which is what case-insensitive filters compare.
var sqliteMigrations = []migration{{
	version: 1,
	name:    "users, emails, groups, members",
	stmts: []string{
		`CREATE TABLE scim_users (
			seq INTEGER PRIMARY KEY,
			tenant TEXT NOT NULL,
			id TEXT NOT NULL,
			user_name TEXT NOT NULL,
			user_name_fold TEXT NOT NULL,
			external_id TEXT NOT NULL,
			display_name_fold TEXT NOT NULL,
			active INTEGER,
			created_ns INTEGER NOT NULL,
			modified_ns INTEGER NOT NULL,
			version INTEGER NOT NULL,
			doc TEXT NOT NULL
		)`,
		`CREATE UNIQUE INDEX scim_users_id ON scim_users (tenant, id)`,
		`CREATE UNIQUE INDEX scim_users_user_name ON scim_users (tenant, user_name_fold)`,
		`CREATE INDEX scim_users_seq ON scim_users (tenant, seq)`,
		`CREATE INDEX scim_users_external_id ON scim_users (tenant, external_id)`,
		`CREATE INDEX scim_users_display_name ON scim_users (tenant, display_name_fold)`,
		`CREATE TABLE scim_user_emails (
			tenant TEXT NOT NULL,
			user_id TEXT NOT NULL,
			idx INTEGER NOT NULL,
			value_fold TEXT NOT NULL,
			type_fold TEXT NOT NULL,
			PRIMARY KEY (tenant, user_id, idx),
			FOREIGN KEY (tenant, user_id) REFERENCES scim_users (tenant, id) ON DELETE CASCADE
		) WITHOUT ROWID`,
		`CREATE INDEX scim_user_emails_value ON scim_user_emails (tenant, value_fold)`,
		`CREATE TABLE scim_groups (
			seq INTEGER PRIMARY KEY,
			tenant TEXT NOT NULL,
			id TEXT NOT NULL,
			display_name TEXT NOT NULL,
			display_name_fold TEXT NOT NULL,
			external_id TEXT NOT NULL,
			created_ns INTEGER NOT NULL,
			modified_ns INTEGER NOT NULL,
			version INTEGER NOT NULL
		)`,
		`CREATE UNIQUE INDEX scim_groups_id ON scim_groups (tenant, id)`,
		`CREATE INDEX scim_groups_seq ON scim_groups (tenant, seq)`,
		`CREATE INDEX scim_groups_display_name ON scim_groups (tenant, display_name_fold)`,
		`CREATE INDEX scim_groups_external_id ON scim_groups (tenant, external_id)`,
		`CREATE TABLE scim_group_members (
			tenant TEXT NOT NULL,
			group_id TEXT NOT NULL,
			user_id TEXT NOT NULL,
			display TEXT NOT NULL,
			type TEXT NOT NULL,
			PRIMARY KEY (tenant, group_id, user_id),
			FOREIGN KEY (tenant, group_id) REFERENCES scim_groups (tenant, id) ON DELETE CASCADE,
			FOREIGN KEY (tenant, user_id) REFERENCES scim_users (tenant, id) ON DELETE CASCADE
		) WITHOUT ROWID`,
		`CREATE INDEX scim_group_members_user ON scim_group_members (tenant, user_id)`,
	},
}, metaMigration, plannerHints, sqliteTokensMigration, sqliteEvents, sqliteExtensions, sqliteSortIndexes, sqliteOperationLog, sqliteClients, sqliteOperationLogTail}

// plannerHints gives SQLite's query planner the shape of the membership
// tables before ANALYZE has ever run. Without statistics, SQLite 3.54
// answers "the memberships of user X" (DeleteUser, its ON DELETE CASCADE,
// and the groups attribute of every user read) by walking the primary key
// (tenant, group_id, user_id) over the whole tenant instead of the
// (tenant, user_id) index: O(memberships) per call. These rows are the
// documented way to steer it (sqlite.org/optoverview.html, "Manual Control
// Of Query Plans Using SQLITE_STAT Tables"); a later ANALYZE replaces them
// with measured ones.
var plannerHints = migration{
	version: 3,
	name:    "planner hints for memberships",
	stmts: []string{
		`ANALYZE scim_meta`, // creates sqlite_stat1 without scanning data
		`DELETE FROM sqlite_stat1 WHERE tbl IN ('scim_group_members', 'scim_groups')`,
		`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
			('scim_group_members', 'scim_group_members', '1000000 1000000 100 1'),
			('scim_group_members', 'scim_group_members_user', '1000000 1000000 10'),
			('scim_groups', 'scim_groups_id', '10000 10000 1'),
			('scim_groups', 'scim_groups_seq', '10000 10000 1')`,
		`ANALYZE sqlite_schema`,
	},
}

// metaMigration adds a key-value table for facts about the stored data,
// such as the Unicode version its folded columns were computed with.
var metaMigration = migration{
	version: 2,
	name:    "meta",
	stmts:   []string{`CREATE TABLE scim_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`},
}

// postgresMigrations is the PostgreSQL schema history, the same tables as
// sqliteMigrations. Keys and folded columns use the "C" collation: they
// are compared bytewise, as filter.Match compares folded strings, and
// bytewise B-tree comparisons are the cheapest.
var postgresMigrations = []migration{{
	version: 1,
	name:    "users, emails, groups, members",
	stmts: []string{
		`CREATE TABLE scim_users (
			tenant text COLLATE "C" NOT NULL,
			id text COLLATE "C" NOT NULL,
			seq bigint GENERATED ALWAYS AS IDENTITY,
			user_name text NOT NULL,
			user_name_fold text COLLATE "C" NOT NULL,
			external_id text COLLATE "C" NOT NULL,
			display_name_fold text COLLATE "C" NOT NULL,
			active boolean,
			created_ns bigint NOT NULL,
			modified_ns bigint NOT NULL,
			version bigint NOT NULL,
			doc jsonb NOT NULL,
			CONSTRAINT scim_users_pkey PRIMARY KEY (tenant, id),
			CONSTRAINT scim_users_user_name UNIQUE (tenant, user_name_fold)
		)`,
		`CREATE INDEX scim_users_seq ON scim_users (tenant, seq)`,
		`CREATE INDEX scim_users_external_id ON scim_users (tenant, external_id)`,
		`CREATE INDEX scim_users_display_name ON scim_users (tenant, display_name_fold)`,
		`CREATE TABLE scim_user_emails (
			tenant text COLLATE "C" NOT NULL,
			user_id text COLLATE "C" NOT NULL,
			idx integer NOT NULL,
			value_fold text COLLATE "C" NOT NULL,
			type_fold text COLLATE "C" NOT NULL,
			CONSTRAINT scim_user_emails_pkey PRIMARY KEY (tenant, user_id, idx),
			FOREIGN KEY (tenant, user_id) REFERENCES scim_users (tenant, id) ON DELETE CASCADE
		)`,
		`CREATE INDEX scim_user_emails_value ON scim_user_emails (tenant, value_fold)`,
		`CREATE TABLE scim_groups (
			tenant text COLLATE "C" NOT NULL,
			id text COLLATE "C" NOT NULL,
			seq bigint GENERATED ALWAYS AS IDENTITY,
			display_name text NOT NULL,
			display_name_fold text COLLATE "C" NOT NULL,
			external_id text COLLATE "C" NOT NULL,
			created_ns bigint NOT NULL,
			modified_ns bigint NOT NULL,
			version bigint NOT NULL,
			CONSTRAINT scim_groups_pkey PRIMARY KEY (tenant, id)
		)`,
		`CREATE INDEX scim_groups_seq ON scim_groups (tenant, seq)`,
		`CREATE INDEX scim_groups_display_name ON scim_groups (tenant, display_name_fold)`,
		`CREATE INDEX scim_groups_external_id ON scim_groups (tenant, external_id)`,
		`CREATE TABLE scim_group_members (
			tenant text COLLATE "C" NOT NULL,
			group_id text COLLATE "C" NOT NULL,
			user_id text COLLATE "C" NOT NULL,
			display text NOT NULL,
			type text NOT NULL,
			CONSTRAINT scim_group_members_pkey PRIMARY KEY (tenant, group_id, user_id),
			FOREIGN KEY (tenant, group_id) REFERENCES scim_groups (tenant, id) ON DELETE CASCADE,
			FOREIGN KEY (tenant, user_id) REFERENCES scim_users (tenant, id) ON DELETE CASCADE
		)`,
		`CREATE INDEX scim_group_members_user ON scim_group_members (tenant, user_id)`,
	},
}, metaMigration, postgresTokensMigration, postgresEvents, postgresExtensions, postgresSortIndexes, postgresOperationLog, postgresClients}

// sqliteTokensMigration adds the bearer tokens of scim.Tokens: one row per
// token, found by the digest of its secret (unique across tenants) and
// listed or revoked by (tenant, id), an index that also serves every
// lookup by tenant. Times are Unix nanoseconds; NULL means never.
var sqliteTokensMigration = migration{
	version: 4,
	name:    "tokens",
	stmts: []string{
		`CREATE TABLE scim_tokens (
			seq INTEGER PRIMARY KEY,
			tenant TEXT NOT NULL,
			id TEXT NOT NULL,
			digest TEXT NOT NULL,
			label TEXT NOT NULL,
			created_ns INTEGER NOT NULL,
			expires_ns INTEGER,
			last_used_ns INTEGER,
			revoked_ns INTEGER
		)`,
		`CREATE UNIQUE INDEX scim_tokens_digest ON scim_tokens (digest)`,
		`CREATE UNIQUE INDEX scim_tokens_id ON scim_tokens (tenant, id)`,
	},
}

// postgresTokensMigration is sqliteTokensMigration for PostgreSQL.
var postgresTokensMigration = migration{
	version: 4,
	name:    "tokens",
	stmts: []string{
		`CREATE TABLE scim_tokens (
			tenant text COLLATE "C" NOT NULL,
			id text COLLATE "C" NOT NULL,
			digest text COLLATE "C" NOT NULL,
			label text NOT NULL,
			created_ns bigint NOT NULL,
			expires_ns bigint,
			last_used_ns bigint,
			revoked_ns bigint,
			CONSTRAINT scim_tokens_pkey PRIMARY KEY (tenant, id),
			CONSTRAINT scim_tokens_digest UNIQUE (digest)
		)`,
	},
}

// sqliteExtensions keeps the values of host schema extensions: a group's
// in a JSON column (a user's are in its doc already), and the attributes
// the server asks to index (scim.Indexer) in key tables, one row per
// resource and attribute. value is the value as stored, value_fold its
// filter.Fold, and uniq, set only for unique attributes, the form whose
// equality uniqueness means (value when caseExact, else value_fold): the
// partial unique index on it decides races between writers.
var sqliteExtensions = migration{
	version: 6,
	name:    "extension values and keys",
	stmts: []string{
		`ALTER TABLE scim_groups ADD COLUMN ext TEXT`,
		`CREATE TABLE scim_user_keys (
			tenant TEXT NOT NULL,
			user_id TEXT NOT NULL,
			attr TEXT NOT NULL,
			value TEXT NOT NULL,
			value_fold TEXT NOT NULL,
			uniq TEXT,
			PRIMARY KEY (tenant, user_id, attr),
			FOREIGN KEY (tenant, user_id) REFERENCES scim_users (tenant, id) ON DELETE CASCADE
		) WITHOUT ROWID`,
		`CREATE INDEX scim_user_keys_value ON scim_user_keys (tenant, attr, value_fold)`,
		`CREATE UNIQUE INDEX scim_user_keys_unique ON scim_user_keys (tenant, attr, uniq) WHERE uniq IS NOT NULL`,
		`CREATE TABLE scim_group_keys (
			tenant TEXT NOT NULL,
			group_id TEXT NOT NULL,
			attr TEXT NOT NULL,
			value TEXT NOT NULL,
			value_fold TEXT NOT NULL,
			uniq TEXT,
			PRIMARY KEY (tenant, group_id, attr),
			FOREIGN KEY (tenant, group_id) REFERENCES scim_groups (tenant, id) ON DELETE CASCADE
		) WITHOUT ROWID`,
		`CREATE INDEX scim_group_keys_value ON scim_group_keys (tenant, attr, value_fold)`,
		`CREATE UNIQUE INDEX scim_group_keys_unique ON scim_group_keys (tenant, attr, uniq) WHERE uniq IS NOT NULL`,
	},
}

// postgresExtensions is sqliteExtensions for PostgreSQL.
var postgresExtensions = migration{
	version: 6,
	name:    "extension values and keys",
	stmts: []string{
		`ALTER TABLE scim_groups ADD COLUMN ext jsonb`,
		`CREATE TABLE scim_user_keys (
			tenant text COLLATE "C" NOT NULL,
			user_id text COLLATE "C" NOT NULL,
			attr text COLLATE "C" NOT NULL,
			value text COLLATE "C" NOT NULL,
			value_fold text COLLATE "C" NOT NULL,
			uniq text COLLATE "C",
			CONSTRAINT scim_user_keys_pkey PRIMARY KEY (tenant, user_id, attr),
			FOREIGN KEY (tenant, user_id) REFERENCES scim_users (tenant, id) ON DELETE CASCADE
		)`,
		`CREATE INDEX scim_user_keys_value ON scim_user_keys (tenant, attr, value_fold)`,
		`CREATE UNIQUE INDEX scim_user_keys_unique ON scim_user_keys (tenant, attr, uniq) WHERE uniq IS NOT NULL`,
		`CREATE TABLE scim_group_keys (
			tenant text COLLATE "C" NOT NULL,
			group_id text COLLATE "C" NOT NULL,
			attr text COLLATE "C" NOT NULL,
			value text COLLATE "C" NOT NULL,
			value_fold text COLLATE "C" NOT NULL,
			uniq text COLLATE "C",
			CONSTRAINT scim_group_keys_pkey PRIMARY KEY (tenant, group_id, attr),
			FOREIGN KEY (tenant, group_id) REFERENCES scim_groups (tenant, id) ON DELETE CASCADE
		)`,
		`CREATE INDEX scim_group_keys_value ON scim_group_keys (tenant, attr, value_fold)`,
		`CREATE UNIQUE INDEX scim_group_keys_unique ON scim_group_keys (tenant, attr, uniq) WHERE uniq IS NOT NULL`,
	},
}

// sqliteEvents adds the event outbox (see outbox.go). seq is
// AUTOINCREMENT so that a number is never used twice: a late
// acknowledgement must not delete a newer event that took a deleted
// one's number. scim_events_resource finds a resource's earlier events;
// scim_events_claim holds all a claim looks at in commit order, so that
// looking for the first events of their resources past a backlog does not
// read the events themselves (it doubled delivery from a backlog).
var sqliteEvents = migration{
	version: 5,
	name:    "event outbox",
	stmts: []string{
		`CREATE TABLE scim_events (
			seq INTEGER PRIMARY KEY AUTOINCREMENT,
			tenant TEXT NOT NULL,
			resource_type TEXT NOT NULL,
			resource_id TEXT NOT NULL,
			event TEXT NOT NULL,
			lease_owner TEXT,
			lease_until INTEGER NOT NULL DEFAULT 0,
			attempts INTEGER NOT NULL DEFAULT 0,
			created_ns INTEGER NOT NULL
		)`,
		`CREATE INDEX scim_events_resource ON scim_events (tenant, resource_type, resource_id, seq)`,
		`CREATE INDEX scim_events_claim ON scim_events (seq, lease_until, tenant, resource_type, resource_id)`,
	},
}

// postgresEvents is sqliteEvents for PostgreSQL. Leases are times of the
// database's clock, which every instance shares.
var postgresEvents = migration{
	version: 5,
	name:    "event outbox",
	stmts: []string{
		`CREATE TABLE scim_events (
			seq bigint GENERATED ALWAYS AS IDENTITY,
			tenant text COLLATE "C" NOT NULL,
			resource_type text COLLATE "C" NOT NULL,
			resource_id text COLLATE "C" NOT NULL,
			event text NOT NULL,
			lease_owner text,
			lease_until timestamptz NOT NULL DEFAULT '-infinity',
			attempts integer NOT NULL DEFAULT 0,
			created_ns bigint NOT NULL,
			CONSTRAINT scim_events_pkey PRIMARY KEY (seq)
		)`,
		`CREATE INDEX scim_events_resource ON scim_events (tenant, resource_type, resource_id, seq)`,
	},
}

// sqliteSortIndexes serves sortBy=meta.created and meta.lastModified
// (sort.go) from an index. The other orders admin screens ask for
// (userName, displayName, externalId) use the lookup indexes of version
// 1: a SQLite index ends with the rowid, seq, which breaks ties.
var sqliteSortIndexes = migration{
	version: 7,
	name:    "sort indexes",
	stmts: []string{
		`CREATE INDEX scim_users_created ON scim_users (tenant, created_ns)`,
		`CREATE INDEX scim_users_modified ON scim_users (tenant, modified_ns)`,
		`CREATE INDEX scim_groups_created ON scim_groups (tenant, created_ns)`,
		`CREATE INDEX scim_groups_modified ON scim_groups (tenant, modified_ns)`,
	},
}

// postgresSortIndexes is sqliteSortIndexes for PostgreSQL, where an index
// does not end with seq: the lookup indexes on displayName and externalId
// are rebuilt (under the same names, so they still serve the lookups)
// with seq last, so that a sort with its tie-break reads one index in
// order. userName and id are unique and need no tie-break.
var postgresSortIndexes = migration{
	version: 7,
	name:    "sort indexes",
	stmts: []string{
		`DROP INDEX scim_users_display_name`,
		`CREATE INDEX scim_users_display_name ON scim_users (tenant, display_name_fold, seq)`,
		`DROP INDEX scim_users_external_id`,
		`CREATE INDEX scim_users_external_id ON scim_users (tenant, external_id, seq)`,
		`CREATE INDEX scim_users_created ON scim_users (tenant, created_ns, seq)`,
		`CREATE INDEX scim_users_modified ON scim_users (tenant, modified_ns, seq)`,
		`DROP INDEX scim_groups_display_name`,
		`CREATE INDEX scim_groups_display_name ON scim_groups (tenant, display_name_fold, seq)`,
		`DROP INDEX scim_groups_external_id`,
		`CREATE INDEX scim_groups_external_id ON scim_groups (tenant, external_id, seq)`,
		`CREATE INDEX scim_groups_created ON scim_groups (tenant, created_ns, seq)`,
		`CREATE INDEX scim_groups_modified ON scim_groups (tenant, modified_ns, seq)`,
	},
}

// sqliteOperationLog keeps the provisioning log (operationlog.go): one
// row per operation, newest first by (time_ns, seq) within a tenant, and
// one scim_oplog_members row per user whose membership a group record
// changed, so that a user's history finds its group changes from an
// index. The resource index leads with the id, which a user's history
// always gives, so that it serves a query for any resource type too.
// OpenOperationLog applies this step alone, so it creates nothing the
// other steps need.
var sqliteOperationLog = migration{
	version: 8,
	name:    "provisioning log",
	stmts: []string{
		`CREATE TABLE scim_oplog (
			seq INTEGER PRIMARY KEY AUTOINCREMENT,
			tenant TEXT NOT NULL,
			time_ns INTEGER NOT NULL,
			request_id TEXT NOT NULL,
			client TEXT NOT NULL,
			method TEXT NOT NULL,
			op TEXT NOT NULL,
			resource_type TEXT NOT NULL,
			resource_id TEXT NOT NULL,
			outcome TEXT NOT NULL,
			status INTEGER NOT NULL,
			scim_type TEXT NOT NULL,
			changed TEXT,
			members_added TEXT,
			members_removed TEXT,
			members_omitted INTEGER NOT NULL,
			duration_ns INTEGER NOT NULL
		)`,
		`CREATE INDEX scim_oplog_time ON scim_oplog (tenant, time_ns)`,
		`CREATE INDEX scim_oplog_resource ON scim_oplog (tenant, resource_id, resource_type, time_ns)`,
		`CREATE TABLE scim_oplog_members (
			tenant TEXT NOT NULL,
			user_id TEXT NOT NULL,
			time_ns INTEGER NOT NULL,
			seq INTEGER NOT NULL,
			PRIMARY KEY (tenant, user_id, time_ns, seq)
		) WITHOUT ROWID`,
		`CREATE INDEX scim_oplog_members_seq ON scim_oplog_members (seq)`,
	},
}

// sqliteOperationLogTail keeps the provisioning log's batches that are
// not yet in scim_oplog (operationlogtail.go): one row per batch, its
// records packed in recs, their seqs first_seq to first_seq+n-1, and the
// batch's time range, which a query with a time range or a cursor skips
// rows by. OpenOperationLog applies it with sqliteOperationLog.
// PostgreSQL has no such table.
//
// It also gives the planner the log's shape, as plannerHints does the
// store's, until an ANALYZE measures it: a tenant has many records and a
// resource few. Without it, SQLite answers a resource's history with no
// type by walking the tenant's whole time index, which gives the order
// without a sort (48 ms instead of 1.6 at 65,536 records).
var sqliteOperationLogTail = migration{
	version: 10,
	name:    "provisioning log tail",
	stmts: []string{
		`CREATE TABLE scim_oplog_tail (
			first_seq INTEGER PRIMARY KEY,
			n INTEGER NOT NULL,
			min_ns INTEGER NOT NULL,
			max_ns INTEGER NOT NULL,
			recs BLOB NOT NULL
		)`,
		`ANALYZE scim_oplog_tail`, // creates sqlite_stat1 without scanning data
		`DELETE FROM sqlite_stat1 WHERE tbl IN ('scim_oplog', 'scim_oplog_members')`,
		`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
			('scim_oplog', 'scim_oplog_time', '1000000 100000 1'),
			('scim_oplog', 'scim_oplog_resource', '1000000 100000 20 20 1'),
			('scim_oplog_members', 'scim_oplog_members', '100000 10000 20 1 1'),
			('scim_oplog_members', 'scim_oplog_members_seq', '100000 5')`,
		`ANALYZE sqlite_schema`,
	},
}

// postgresOperationLog is sqliteOperationLog for PostgreSQL, where
// indexes end with seq explicitly.
var postgresOperationLog = migration{
	version: 8,
	name:    "provisioning log",
	stmts: []string{
		`CREATE TABLE scim_oplog (
			seq bigint GENERATED ALWAYS AS IDENTITY,
			tenant text COLLATE "C" NOT NULL,
			time_ns bigint NOT NULL,
			request_id text NOT NULL,
			client text NOT NULL,
			method text NOT NULL,
			op text COLLATE "C" NOT NULL,
			resource_type text COLLATE "C" NOT NULL,
			resource_id text COLLATE "C" NOT NULL,
			outcome text COLLATE "C" NOT NULL,
			status integer NOT NULL,
			scim_type text NOT NULL,
			changed text,
			members_added text,
			members_removed text,
			members_omitted integer NOT NULL,
			duration_ns bigint NOT NULL,
			CONSTRAINT scim_oplog_pkey PRIMARY KEY (seq)
		)`,
		`CREATE INDEX scim_oplog_time ON scim_oplog (tenant, time_ns, seq)`,
		`CREATE INDEX scim_oplog_resource ON scim_oplog (tenant, resource_id, resource_type, time_ns, seq)`,
		`CREATE TABLE scim_oplog_members (
			tenant text COLLATE "C" NOT NULL,
			user_id text COLLATE "C" NOT NULL,
			time_ns bigint NOT NULL,
			seq bigint NOT NULL,
			CONSTRAINT scim_oplog_members_pkey PRIMARY KEY (tenant, user_id, time_ns, seq)
		)`,
		`CREATE INDEX scim_oplog_members_seq ON scim_oplog_members (seq)`,
	},
}

// sqliteClients adds the OAuth clients of scim.Clients and their secrets
// (digests only), and an index that finds expired access tokens for
// PruneTokens. apply runs every step its database has not recorded, in
// the order of the list, so a database that took 9 before 8 existed
// (a step developed in parallel) takes 8 on its next upgrade.
// Client ids are unique across tenants: a token request names no tenant.
var sqliteClients = migration{
	version: 9,
	name:    "oauth clients",
	stmts: []string{
		`CREATE TABLE scim_oauth_clients (
			seq INTEGER PRIMARY KEY,
			id TEXT NOT NULL,
			tenant TEXT NOT NULL,
			label TEXT NOT NULL,
			created_ns INTEGER NOT NULL
		)`,
		`CREATE UNIQUE INDEX scim_oauth_clients_id ON scim_oauth_clients (id)`,
		`CREATE INDEX scim_oauth_clients_tenant ON scim_oauth_clients (tenant, created_ns, id)`,
		`CREATE TABLE scim_oauth_client_secrets (
			seq INTEGER PRIMARY KEY,
			client_id TEXT NOT NULL,
			id TEXT NOT NULL,
			digest TEXT NOT NULL,
			created_ns INTEGER NOT NULL,
			expires_ns INTEGER,
			revoked_ns INTEGER
		)`,
		`CREATE UNIQUE INDEX scim_oauth_client_secrets_id ON scim_oauth_client_secrets (client_id, id)`,
		`CREATE INDEX scim_tokens_expires ON scim_tokens (expires_ns) WHERE expires_ns IS NOT NULL`,
	},
}

// postgresClients is sqliteClients for PostgreSQL.
var postgresClients = migration{
	version: 9,
	name:    "oauth clients",
	stmts: []string{
		`CREATE TABLE scim_oauth_clients (
			id text COLLATE "C" NOT NULL,
			tenant text COLLATE "C" NOT NULL,
			label text NOT NULL,
			created_ns bigint NOT NULL,
			CONSTRAINT scim_oauth_clients_pkey PRIMARY KEY (id)
		)`,
		`CREATE INDEX scim_oauth_clients_tenant ON scim_oauth_clients (tenant, created_ns, id)`,
		`CREATE TABLE scim_oauth_client_secrets (
			client_id text COLLATE "C" NOT NULL REFERENCES scim_oauth_clients (id),
			id text COLLATE "C" NOT NULL,
			digest text COLLATE "C" NOT NULL,
			created_ns bigint NOT NULL,
			expires_ns bigint,
			revoked_ns bigint,
			CONSTRAINT scim_oauth_client_secrets_pkey PRIMARY KEY (client_id, id)
		)`,
		`CREATE INDEX scim_tokens_expires ON scim_tokens (expires_ns) WHERE expires_ns IS NOT NULL`,
	},
}

// latest returns the highest version in ms, which need not be last: steps
// developed in parallel may be appended out of order.
func latest(ms []migration) int {
	top := 0
	for _, m := range ms {
		top = max(top, m.version)
	}
	return top
}

func stamp() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// migrateSQLite applies the steps of ms not yet recorded, and refuses a
// database past known, the newest version the caller knows. Each step
// holds SQLite's write lock (BEGIN IMMEDIATE), so instances starting at
// once take turns, and each finds the steps the others did already
// recorded.
func migrateSQLite(ctx context.Context, conn *sql.Conn, ms []migration, known int) error {
	step := func(fn func() error) error {
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return err
		}
		if err := fn(); err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
			return err
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
			return err
		}
		return nil
	}
	if err := step(func() error {
		_, err := conn.ExecContext(ctx, migrationsTable)
		return err
	}); err != nil {
		return fmt.Errorf("sqlstore: creating scim_schema_migrations: %w", err)
	}
	t := &tx{q: conn, d: SQLite}
	for _, m := range ms {
		if err := step(func() error { return apply(ctx, t, m) }); err != nil {
			return fmt.Errorf("sqlstore: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	if err := checkNewer(ctx, t, known); err != nil {
		return err
	}
	if hasMeta(ms) {
		if err := step(func() error { return refold(ctx, t) }); err != nil {
			return fmt.Errorf("sqlstore: recomputing folded keys: %w", err)
		}
	}
	return nil
}

// hasMeta reports whether ms creates scim_meta (tests migrate with
// histories of their own).
func hasMeta(ms []migration) bool {
	for _, m := range ms {
		if m.version == metaMigration.version {
			return true
		}
	}
	return false
}

// migratePostgres is migrateSQLite for PostgreSQL: each step takes a
// transaction-scoped advisory lock keyed by the current schema, so
// instances starting at once take turns, and a crashed one releases it.
func migratePostgres(ctx context.Context, db *sql.DB, ms []migration, known int) error {
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("sqlstore: reading current_schema: %w", err)
	}
	if !schema.Valid {
		return errors.New("sqlstore: no schema on the search_path to create tables in")
	}
	h := fnv.New64a()
	h.Write([]byte("scimkit migrations " + schema.String))
	key := int64(h.Sum64())
	step := func(fn func(t *tx) error) error {
		stx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer stx.Rollback()
		t := &tx{q: stx, d: Postgres}
		if _, err := t.exec(ctx, "SELECT pg_advisory_xact_lock(?)", key); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		return stx.Commit()
	}
	if err := step(func(t *tx) error {
		_, err := t.exec(ctx, migrationsTable)
		return err
	}); err != nil {
		return fmt.Errorf("sqlstore: creating scim_schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := step(func(t *tx) error { return apply(ctx, t, m) }); err != nil {
			return fmt.Errorf("sqlstore: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	if err := checkNewer(ctx, &tx{q: db, d: Postgres}, known); err != nil {
		return err
	}
	if hasMeta(ms) {
		if err := step(func(t *tx) error { return refold(ctx, t) }); err != nil {
			return fmt.Errorf("sqlstore: recomputing folded keys: %w", err)
		}
	}
	return nil
}

// apply runs m unless it is recorded already, and records it.
func apply(ctx context.Context, t *tx, m migration) error {
	var n int
	if err := t.queryRow(ctx, "SELECT count(*) FROM scim_schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, s := range m.stmts {
		if _, err := t.exec(ctx, s); err != nil {
			return err
		}
	}
	_, err := t.exec(ctx, "INSERT INTO scim_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.version, m.name, stamp())
	return err
}

// checkNewer refuses a database that a newer release has migrated past
// what this one knows: its writes could break that release's invariants.
func checkNewer(ctx context.Context, t *tx, known int) error {
	var top sql.NullInt64
	if err := t.queryRow(ctx, "SELECT max(version) FROM scim_schema_migrations").Scan(&top); err != nil {
		return err
	}
	if top.Valid && int(top.Int64) > known {
		return fmt.Errorf("sqlstore: the database schema is at version %d, newer than this release's %d", top.Int64, known)
	}
	return nil
}

// schemaVersion returns the highest applied migration, or 0.
func schemaVersion(ctx context.Context, t *tx) (int, error) {
	var top sql.NullInt64
	if err := t.queryRow(ctx, "SELECT max(version) FROM scim_schema_migrations").Scan(&top); err != nil {
		return 0, err
	}
	return int(top.Int64), nil
}
