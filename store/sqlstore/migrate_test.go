package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// target is one database both dialects can open repeatedly: a SQLite
// file, or a PostgreSQL schema.
type target struct {
	d    Dialect
	path string // SQLite file
	dsn  string // PostgreSQL DSN with its own search_path
}

func newTarget(t *testing.T, d Dialect) target {
	if d == Postgres {
		return target{d: d, dsn: pgSchemaDSN(t)}
	}
	return target{d: d, path: sqlitePath(t)}
}

// db opens a fresh pool on the target, closed when t ends.
func (tg target) db(t *testing.T) *sql.DB {
	t.Helper()
	if tg.d == Postgres {
		return pgDB(t, tg.dsn)
	}
	db, err := sql.Open("sqlite", SQLiteDSN(tg.path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// open opens a store with migrations ms on a fresh pool.
func (tg target) open(t *testing.T, ms []migration) (*Store, error) {
	t.Helper()
	s, err := open(context.Background(), tg.db(t), tg.d, ms)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func defaultMigrations(d Dialect) []migration {
	if d == Postgres {
		return postgresMigrations
	}
	return sqliteMigrations
}

// tables lists the store's tables that exist in the target.
func tables(t *testing.T, s *Store) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'scim!_%' ESCAPE '!' ORDER BY name"
	if s.d == Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'scim!_%' ESCAPE '!' ORDER BY table_name"
	}
	rows, err := s.db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func version(t *testing.T, s *Store) int {
	t.Helper()
	v, err := schemaVersion(context.Background(), s.single())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// allTables lists the tables of a fully migrated database of dialect d.
func allTables(d Dialect) []string {
	tail := []string{"scim_oplog_tail"} // SQLite's unindexed log batches
	if d == Postgres {
		tail = nil
	}
	return append(append([]string{"scim_events", "scim_group_keys", "scim_group_members", "scim_groups", "scim_meta",
		"scim_oauth_client_secrets", "scim_oauth_clients", "scim_oplog", "scim_oplog_members"}, tail...),
		"scim_schema_migrations", "scim_tokens", "scim_user_emails", "scim_user_keys", "scim_users")
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			t.Run("FreshAndReopen", func(t *testing.T) { testMigrateFresh(t, d) })
			t.Run("ConcurrentOpen", func(t *testing.T) { testMigrateConcurrent(t, d) })
			t.Run("Interrupted", func(t *testing.T) { testMigrateInterrupted(t, d) })
			t.Run("NewerSchema", func(t *testing.T) { testMigrateNewer(t, d) })
			t.Run("LateLowerStep", func(t *testing.T) { testMigrateLateStep(t, d) })
			t.Run("UnicodeUpgrade", func(t *testing.T) { testRefold(t, d) })
			t.Run("ProfileCollision", func(t *testing.T) { testRefoldCollision(t, d) })
		})
	}
}

// testMigrateFresh creates the schema, then opens again: nothing is
// applied twice and the data stays.
func testMigrateFresh(t *testing.T, d Dialect) {
	tg := newTarget(t, d)
	s, err := tg.open(t, nil)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	if d := cmp.Diff(allTables(d), tables(t, s)); d != "" {
		t.Errorf("tables after the first Open (-want +got):\n%s", d)
	}
	last := latest(defaultMigrations(d))
	if v := version(t, s); v != last {
		t.Errorf("schema version %d, want %d", v, last)
	}
	u, err := s.CreateUser(t.Context(), "t", &scim.User{UserName: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		again, err := tg.open(t, nil)
		if err != nil {
			t.Fatalf("Open #%d on a migrated database: %v", i+2, err)
		}
		var n int
		if err := again.db.QueryRow("SELECT count(*) FROM scim_schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(defaultMigrations(d)) {
			t.Errorf("scim_schema_migrations has %d rows, want %d", n, len(defaultMigrations(d)))
		}
		if _, err := again.GetUser(t.Context(), "t", u.ID); err != nil {
			t.Errorf("user lost on reopen: %v", err)
		}
	}
}

// testMigrateConcurrent starts several instances on one empty database at
// once: all succeed and the schema is created once.
func testMigrateConcurrent(t *testing.T, d Dialect) {
	tg := newTarget(t, d)
	const n = 4
	dbs := make([]*sql.DB, n)
	for i := range dbs {
		dbs[i] = tg.db(t)
	}
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(context.Background(), dbs[i], d)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	// Every instance works on the one schema.
	for i, s := range stores {
		if _, err := s.CreateUser(t.Context(), "t", &scim.User{UserName: "u" + string(rune('a'+i))}); err != nil {
			t.Errorf("instance %d: CreateUser: %v", i, err)
		}
	}
	p, err := stores[0].ListUsers(t.Context(), "t", scim.Query{StartIndex: 1, Count: 10})
	if err != nil || p.TotalResults != n {
		t.Errorf("ListUsers: %v, %d users, want %d", err, p.TotalResults, n)
	}
}

// testMigrateInterrupted fails a migration halfway, as a crash would stop
// it: the database keeps the previous version with no trace of the step,
// and the next start completes it.
func testMigrateInterrupted(t *testing.T, d Dialect) {
	tg := newTarget(t, d)
	s, err := tg.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(t.Context(), "t", &scim.User{UserName: "before"})
	if err != nil {
		t.Fatal(err)
	}
	base := defaultMigrations(d)
	next := latest(base) + 1
	broken := append(slices.Clone(base), migration{version: next, name: "test step", stmts: []string{
		"CREATE TABLE scim_test_step (x INTEGER)",
		"ALTER TABLE scim_users ADD COLUMN test_col INTEGER",
		"THIS IS NOT SQL", // the process dies here
	}})
	if _, err := tg.open(t, broken); err == nil || !strings.Contains(err.Error(), "migration") {
		t.Fatalf("Open with a failing step: %v, want a migration error", err)
	}
	check, err := tg.open(t, nil)
	if err != nil {
		t.Fatalf("Open after the failed step: %v", err)
	}
	if v := version(t, check); v != next-1 {
		t.Errorf("schema version after the failed step %d, want %d", v, next-1)
	}
	if d := cmp.Diff(allTables(d), tables(t, check)); d != "" {
		t.Errorf("the failed step left tables behind (-want +got):\n%s", d)
	}
	if _, err := check.db.Exec("SELECT test_col FROM scim_users"); err == nil {
		t.Error("the failed step left a column behind")
	}

	fixed := append(slices.Clone(base), migration{version: next, name: "test step", stmts: broken[len(broken)-1].stmts[:2]})
	done, err := tg.open(t, fixed)
	if err != nil {
		t.Fatalf("Open with the step fixed: %v", err)
	}
	if v := version(t, done); v != next {
		t.Errorf("schema version %d, want %d", v, next)
	}
	if _, err := done.db.Exec("SELECT test_col FROM scim_users"); err != nil {
		t.Errorf("the completed step's column: %v", err)
	}
	if _, err := done.GetUser(t.Context(), "t", u.ID); err != nil {
		t.Errorf("data lost across the migrations: %v", err)
	}
	// Once more: the step is recorded and not run again.
	if _, err := tg.open(t, fixed); err != nil {
		t.Errorf("reopening after the step: %v", err)
	}
}

// testMigrateNewer refuses a database a newer release has migrated.
func testMigrateNewer(t *testing.T, d Dialect) {
	tg := newTarget(t, d)
	s, err := tg.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.single().exec(t.Context(), "INSERT INTO scim_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		999, "from the future", stamp()); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.open(t, nil); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open on a newer schema: %v, want an error", err)
	}
}

// testMigrateLateStep opens a database migrated to a history with a
// gap, then with a history that gains the missing lower version at its
// end, as a step developed in parallel is merged: that step is applied,
// the database is not taken for a newer one, and its version stays the
// highest.
func testMigrateLateStep(t *testing.T, d Dialect) {
	tg := newTarget(t, d)
	base := defaultMigrations(d)
	top := latest(base)
	high := migration{version: top + 2, name: "high step", stmts: []string{"CREATE TABLE scim_high_step (x INTEGER)"}}
	low := migration{version: top + 1, name: "late step", stmts: []string{"CREATE TABLE scim_late_step (x INTEGER)"}}
	if _, err := tg.open(t, append(slices.Clone(base), high)); err != nil {
		t.Fatal(err)
	}
	s, err := tg.open(t, append(slices.Clone(base), high, low))
	if err != nil {
		t.Fatalf("Open with a late lower step: %v", err)
	}
	if _, err := s.db.Exec("INSERT INTO scim_late_step (x) VALUES (1)"); err != nil {
		t.Errorf("the late step was not applied: %v", err)
	}
	if v := version(t, s); v != high.version {
		t.Errorf("schema version %d, want %d", v, high.version)
	}
}

// testRefold pretends the folded keys were computed with other Unicode
// tables: the next Open recomputes them, and lookups work again.
func testRefold(t *testing.T, d Dialect) {
	tg := newTarget(t, d)
	s, err := tg.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	u, err := s.CreateUser(ctx, "t", &scim.User{UserName: "Ǆemal", DisplayName: "ΣΊΣΥΦΟΣ",
		Emails: []scim.MultiValue{{Value: "ǅ@example.com", Type: "Wörk"}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGroup(ctx, "t", &scim.Group{DisplayName: "Σales"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE scim_meta SET value = '1.0.0'",
		"UPDATE scim_users SET user_name_fold = 'stale-' || id, display_name_fold = 'stale'",
		"UPDATE scim_user_emails SET value_fold = 'stale', type_fold = 'stale'",
		"UPDATE scim_groups SET display_name_fold = 'stale'",
	} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	again, err := tg.open(t, nil)
	if err != nil {
		t.Fatalf("Open after a Unicode upgrade: %v", err)
	}
	for _, tt := range []struct {
		filter string
		want   []string
	}{
		{`userName eq "ǆEMAL"`, []string{u.ID}},
		{`displayName eq "σίσυφοσ"`, []string{u.ID}},
		{`emails[type eq "WÖRK"].value eq "ǆ@EXAMPLE.COM"`, []string{u.ID}},
	} {
		p, err := again.ListUsers(ctx, "t", scim.Query{Filter: mustFilter(t, schema.User(), tt.filter), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range p.Resources {
			got = append(got, r.ID)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s after the refold (-want +got):\n%s", tt.filter, d)
		}
	}
	p, err := again.ListGroups(ctx, "t", scim.Query{Filter: mustFilter(t, schema.Group(), `displayName eq "σALES"`), StartIndex: 1, Count: 10})
	if err != nil || p.TotalResults != 1 || p.Resources[0].ID != g.ID {
		t.Errorf("group lookup after the refold: %v, %+v", err, p)
	}
	var v string
	if err := again.db.QueryRow("SELECT value FROM scim_meta WHERE key = 'unicode_version'").Scan(&v); err != nil || v != foldVersion {
		t.Errorf("recorded fold version %q, %v; want %q", v, err, foldVersion)
	}
}

// testRefoldCollision stores users whose userNames were distinct under
// the former key (simple case folding alone) but name one person under
// the userName profile: NFC and NFD, ordinary and fullwidth. The next Open
// refuses with both ids, and changes nothing; once one is renamed, it
// opens and filters find the other by either form.
func testRefoldCollision(t *testing.T, d Dialect) {
	tg := newTarget(t, d)
	s, err := tg.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	create := func(name string) string {
		u, err := s.CreateUser(ctx, "t", &scim.User{UserName: name})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	nfc := create("jos\u00e9@y")
	nfd := create("placeholder-1@y")
	plain := create("full@y")
	wide := create("placeholder-2@y")
	other := create("other\u00e9@y")
	// Write the colliding names as an older release would have.
	rename := func(id, from, to string) {
		var doc string
		if err := s.single().queryRow(ctx, "SELECT doc FROM scim_users WHERE id = ?", id).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		if _, err := s.single().exec(ctx, "UPDATE scim_users SET user_name = ?, user_name_fold = ?, doc = ? WHERE id = ?",
			to, filter.Fold(to), strings.Replace(doc, from, to, 1), id); err != nil {
			t.Fatal(err)
		}
	}
	rename(nfd, "placeholder-1@y", "jose\u0301@y")
	rename(wide, "placeholder-2@y", "\uff46\uff55\uff4c\uff4c@y")
	if _, err := s.db.Exec("UPDATE scim_meta SET value = '1.0.0' WHERE key = 'unicode_version'"); err != nil {
		t.Fatal(err)
	}
	_, err = tg.open(t, nil)
	var ce *UserNameCollisionError
	if !errors.As(err, &ce) {
		t.Fatalf("Open with colliding userNames: %v, want a *UserNameCollisionError", err)
	}
	ids := []string{ce.IDs[0], ce.IDs[1]}
	slices.Sort(ids)
	want := []string{nfc, nfd}
	slices.Sort(want)
	if ce.Tenant != "t" || !slices.Equal(ids, want) {
		t.Errorf("collision %+v, want tenant t and users %v", ce, want)
	}
	if msg := err.Error(); !strings.Contains(msg, nfc) || !strings.Contains(msg, nfd) || !strings.Contains(msg, `"t"`) {
		t.Errorf("error %q does not name the tenant and both users", msg)
	}
	var v string
	if err := s.db.QueryRow("SELECT value FROM scim_meta WHERE key = 'unicode_version'").Scan(&v); err != nil || v != "1.0.0" {
		t.Errorf("fold version after the refused refold: %q, %v; want it unchanged", v, err)
	}
	// Resolve the first collision; the second is found next.
	if err := s.DeleteUser(ctx, "t", nfd, ""); err != nil {
		t.Fatal(err)
	}
	_, err = tg.open(t, nil)
	if !errors.As(err, &ce) || ce.Tenant != "t" || !slices.Contains(ce.IDs[:], plain) || !slices.Contains(ce.IDs[:], wide) {
		t.Fatalf("Open with the second collision: %v, want users %s and %s", err, plain, wide)
	}
	if err := s.DeleteUser(ctx, "t", wide, ""); err != nil {
		t.Fatal(err)
	}
	again, err := tg.open(t, nil)
	if err != nil {
		t.Fatalf("Open once the collisions are resolved: %v", err)
	}
	for _, tt := range []struct {
		filter string
		want   []string
	}{
		{`userName eq "jose\u0301@Y"`, []string{nfc}},
		{`userName eq "\uff26\uff35\uff2c\uff2c@y"`, []string{plain}},
		{`userName sw "OTHERE\u0301"`, []string{other}},
	} {
		p, err := again.ListUsers(ctx, "t", scim.Query{Filter: mustFilter(t, schema.User(), tt.filter), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range p.Resources {
			got = append(got, r.ID)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s after the refold (-want +got):\n%s", tt.filter, d)
		}
	}
}
