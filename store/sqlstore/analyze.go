package sqlstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PostgreSQL plans a prepared statement once for all later executions
// (a "generic plan") after a few runs, and keeps that plan until the
// table's statistics change. A connection that prepared the userName
// lookup while scim_users was nearly empty keeps a plan that walks the
// tenant's users in creation order, filtering on the name: O(users) per
// lookup, 46 ms at 50,000 users, for as long as the connection lives.
// Only ANALYZE replaces it. Autovacuum runs ANALYZE when it is on and gets
// to the table; a database with autovacuum off, or the first minutes of a
// large initial cycle on a new database, never gets there. So the store
// keeps its own tables' statistics fresh: every statsCheckEvery writes it
// asks how much each table changed since its last ANALYZE and analyzes
// those past the threshold, in the background, one check at a time.

const (
	statsCheckEvery = 500
	// A table is analyzed when the rows changed since its last ANALYZE
	// exceed statsBase + statsScale × its rows. Autovacuum's defaults are
	// 50 and 0.1; a larger scale leaves the work to autovacuum when it is
	// running.
	statsBase    = 50
	statsScale   = 0.2
	statsTimeout = 2 * time.Minute
)

// statsTables are the tables whose statistics the store's plans depend on.
var statsTables = []string{"scim_users", "scim_user_emails", "scim_groups", "scim_group_members"}

// statsQuery reads, for each of statsTables, its rows at the last ANALYZE
// (-1: never) and the rows changed since.
var statsQuery = func() string {
	regs := make([]string, len(statsTables))
	for i, t := range statsTables {
		regs[i] = "to_regclass('" + t + "')"
	}
	return `SELECT s.relname, c.reltuples, s.n_mod_since_analyze
		FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
		WHERE s.relid IN (` + strings.Join(regs, ", ") + `)`
}()

// statsKeeper runs the checks for one Store.
type statsKeeper struct {
	writes  atomic.Int64
	running atomic.Bool
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

func newStatsKeeper() *statsKeeper {
	k := &statsKeeper{}
	k.ctx, k.cancel = context.WithCancel(context.Background())
	return k
}

// wrote counts a committed write and starts a check every statsCheckEvery.
func (s *Store) wrote() {
	k := s.stats
	if k == nil || k.writes.Add(1)%statsCheckEvery != 0 || !k.running.CompareAndSwap(false, true) {
		return
	}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		defer k.running.Store(false)
		ctx, cancel := context.WithTimeout(k.ctx, statsTimeout)
		defer cancel()
		// A failed check is retried at the next one; the store works
		// either way, only slower.
		_, _ = s.refreshStats(ctx)
	}()
}

// refreshStats analyzes the store's tables that changed enough since their
// last ANALYZE and returns their names.
func (s *Store) refreshStats(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, statsQuery)
	if err != nil {
		return nil, err
	}
	var due []string
	for rows.Next() {
		var name string
		var tuples float64 // -1 when never analyzed
		var changed int64
		if err := rows.Scan(&name, &tuples, &changed); err != nil {
			rows.Close()
			return nil, err
		}
		if float64(changed) > statsBase+statsScale*max(tuples, 0) {
			due = append(due, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var done []string
	for _, table := range statsTables { // names from this list only, never from input
		if !slices.Contains(due, table) {
			continue
		}
		if _, err := s.db.ExecContext(ctx, "ANALYZE "+table); err != nil {
			return done, err
		}
		done = append(done, table)
	}
	return done, nil
}

// close stops a running check and waits for it.
func (k *statsKeeper) close() {
	k.cancel()
	k.wg.Wait()
}
