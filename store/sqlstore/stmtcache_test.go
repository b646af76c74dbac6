package sqlstore

import (
	"fmt"
	"testing"
)

// TestStmtCache checks that cached statements give the answers fresh ones
// give, and that the cache stops at maxStmts and then runs statements
// without it.
func TestStmtCache(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	c := newStmtCache(s.db)
	q := cachedQuerier{q: s.db, cache: c}
	for round := range 2 {
		for i := range maxStmts + 10 {
			var got int
			if err := q.QueryRowContext(t.Context(), fmt.Sprintf("SELECT ? + %d", i), 1).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != i+1 {
				t.Fatalf("round %d, statement %d: got %d, want %d", round, i, got, i+1)
			}
		}
	}
	if n := len(c.stmts); n != maxStmts {
		t.Errorf("cache holds %d statements, want %d", n, maxStmts)
	}
	c.close()
	if n := len(c.stmts); n != 0 {
		t.Errorf("after close the cache holds %d statements", n)
	}
}
