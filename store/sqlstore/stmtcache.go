package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// preparer is what *sql.DB and *sql.Conn have for preparing statements.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// stmtCache keeps prepared statements by their text. SQLite spends about
// half of a lookup compiling its SQL, and modernc.org/sqlite keeps no
// statements of its own. Filters give statements many shapes, so the
// cache stops growing at maxStmts and then prepares the others afresh.
// (PostgreSQL drivers cache statements per connection already.)
type stmtCache struct {
	p     preparer
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

const maxStmts = 256

func newStmtCache(p preparer) *stmtCache {
	return &stmtCache{p: p, stmts: make(map[string]*sql.Stmt)}
}

// get returns the prepared statement for query, or nil when the cache is
// full.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.stmts[query]; st != nil {
		return st, nil
	}
	if len(c.stmts) >= maxStmts {
		return nil, nil
	}
	st, err := c.p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

// close closes every statement and empties the cache.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

// cachedQuerier runs statements through a stmtCache, falling back to q
// when the cache is full.
type cachedQuerier struct {
	q     querier
	cache *stmtCache
}

func (c cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.cache.get(ctx, query)
	if err != nil || st == nil {
		return c.q.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (c cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.cache.get(ctx, query)
	if err != nil || st == nil {
		return c.q.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (c cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.cache.get(ctx, query)
	if err != nil || st == nil {
		return c.q.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
